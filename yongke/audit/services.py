"""Writing to the audit log: every state change calls `audit_record` inside its transaction.

The log is append-only and hash-chained (`yongke.audit.chain`): each entry carries the hash
of the one before it. Appends are serialised so the chain never forks: on PostgreSQL by a
transaction-level advisory lock taken before the last hash is read (held to the commit of the
transaction that writes the entry); SQLite runs one writer at a time (IMMEDIATE transactions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from yongke.audit import context
from yongke.audit.chain import canonical_address, entry_hash, json_safe
from yongke.audit.models import AuditEvent

if TYPE_CHECKING:  # the log sits below the accounts: it only names whoever acted
    from yongke.accounts.actors import Viewer

# The key of the advisory lock that serialises appends to the chain ("audit" in ASCII).
CHAIN_LOCK = 0x61756469_74

# The action of an export that writes people's personal data (names, phone numbers, ID numbers,
# e-mail addresses) to a file for a reader; data = {"format", "rows", "fields"} (docs/audit.md).
PERSONAL_DATA_EXPORT = "export.personal_data"


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


# The entries of an `audit_batch` block not yet appended (None outside one).
_BATCH: ContextVar[list[AuditEvent] | None] = ContextVar("yongke_audit_batch", default=None)


@contextmanager
def audit_batch() -> Iterator[None]:
    """The entries recorded inside the block are appended to the chain together when it ends, in
    the order they were recorded. The chain's lock is then held for those appends only, not from
    the first entry to the commit: an import of thousands of rows would otherwise hold every
    other audited write (a submission, a payment) for its whole length. Use it inside the
    transaction of the writes it records: an exception discards the entries with the writes.
    Inside the block `audit_record` returns its entry unsaved (no id yet)."""
    if _BATCH.get() is not None:  # nested: the outermost block appends
        yield
        return
    pending: list[AuditEvent] = []
    token = _BATCH.set(pending)
    try:
        yield
    finally:
        _BATCH.reset(token)
    _append(pending)


def _append(events: list[AuditEvent]) -> None:
    """Chain and store entries in order, under the chain's lock; each carries the time it was appended."""
    if not events:
        return
    with transaction.atomic():
        _lock_chain()
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        for event in events:
            event.at = timezone.now()
            event.prev_hash = prev
            event.hash = prev = hash_of(event)
            event.save()


def _source_address(address: str | None) -> str | None:
    """The address an entry records: the one given, else the web request's client. A caller
    that passes the request's own peer (REMOTE_ADDR) gets the client a trusted proxy named."""
    source = context.current()
    if source is None:
        return address or None
    if not address or address == source.peer:
        return source.client
    return address


def audit_record(
    *,
    actor: Viewer | None,
    action: str,
    target_type: str,
    target_id: Any,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    address: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """One entry of the append-only log. A user is named by username, the system as
    ``system:<reason>``, nobody signed in as ``anonymous``. Without `address`, the address of
    the web request being served (if any) is recorded."""
    name = getattr(actor, "username", None) or "anonymous"
    addr = canonical_address(_source_address(address)) or None
    event = AuditEvent(
        actor=actor if isinstance(actor, User) else None,
        actor_name=name,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        from_state=from_state or "",
        to_state=to_state or "",
        comment=comment or "",
        address=addr,
        data=json_safe(data or {}),
    )
    pending = _BATCH.get()
    if pending is not None:
        pending.append(event)  # appended when the audit_batch block ends
        return event
    _append([event])
    return event


def hash_of(event: AuditEvent, *, prev_hash: str | None = None) -> str:
    """The hash an entry should carry, from its fields (and its stored previous hash unless given)."""
    return entry_hash(
        at=event.at,
        actor_name=event.actor_name,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        from_state=event.from_state,
        to_state=event.to_state,
        comment=event.comment,
        address=event.address,
        data=event.data,
        prev_hash=event.prev_hash if prev_hash is None else prev_hash,
    )


# --------------------------------------------------------------------------- old and new values

SECRET = "***"


def mask_tail(value: Any) -> str:
    """A secret number shown by its last four characters only (`****1234`)."""
    text = str(value or "")
    return "*" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "*" * len(text)


def snapshot(instance: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a model instance (a foreign key by its id) as a plain dict."""
    out: dict[str, Any] = {}
    for f in fields:
        field = instance._meta.get_field(f)
        out[f] = getattr(instance, field.attname)
    return out


def changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    mask: Mapping[str, Callable[[Any], Any]] | None = None,
) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value changed, JSON-safe; a field named in
    `mask` is recorded through its function (e.g. `mask_tail`), never in the clear. A field
    only one side has counts as changed from/to None."""
    mask = mask or {}
    out: dict[str, list[Any]] = {}
    for key in list(before) + [k for k in after if k not in before]:
        old, new = json_safe(before.get(key)), json_safe(after.get(key))
        if old == new:
            continue
        hide = mask.get(key)
        if hide is not None:
            old = None if old is None else hide(before.get(key))
            new = None if new is None else hide(after.get(key))
            if old == new:  # two secrets that look alike once masked are still a change
                old, new = json_safe(old), json_safe(new)
        out[key] = [json_safe(old), json_safe(new)]
    return out

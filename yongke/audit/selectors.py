"""Reading the audit log's chain: `chain_verify` walks it end to end (the CLI and the auditor's page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yongke.audit.models import AuditEvent
from yongke.audit.services import hash_of


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    entries: int
    first_bad: dict[str, Any] | None
    last_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad": self.first_bad, "last_hash": self.last_hash}


def chain_verify() -> ChainVerdict:
    """Walk the log in the order it was written (by id). The first entry that breaks the chain:

    - `altered`: its hash does not match its own fields (an entry changed, or one inserted by hand);
    - `removed`: the hash it names as previous belongs to no entry (the one before it is gone);
    - `reordered`: the hash it names as previous belongs to another entry, not the one before it.
    """
    prev = ""
    count = 0
    fields = ("id", "at", "actor_name", "action", "target_type", "target_id", "from_state", "to_state", "comment", "address", "data")
    for event in AuditEvent.objects.order_by("id").only(*fields, "prev_hash", "hash").iterator(chunk_size=2000):
        count += 1
        if hash_of(event) != event.hash:
            return _bad(event, "altered", count)
        if event.prev_hash != prev:
            known = bool(event.prev_hash) and AuditEvent.objects.filter(hash=event.prev_hash).exclude(pk=event.pk).exists()
            return _bad(event, "reordered" if known else "removed", count)
        prev = event.hash
    return ChainVerdict(ok=True, entries=count, first_bad=None, last_hash=prev)


def _bad(event: AuditEvent, reason: str, count: int) -> ChainVerdict:
    return ChainVerdict(
        ok=False,
        entries=AuditEvent.objects.count(),
        first_bad={"id": event.pk, "reason": reason, "position": count},
        last_hash="",
    )

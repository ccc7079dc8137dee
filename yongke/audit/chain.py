"""The audit log's hash chain, pure (no Django): the canonical text of an entry and its hash.

Each entry stores the hash of the entry before it (`prev_hash`, empty for the first) and its
own hash: SHA-256 over a canonical JSON (sorted keys, no spaces, UTF-8) of the fields below
and the previous hash. Changing any of them, removing an entry or moving one breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from typing import Any


def canonical_address(address: str | None) -> str:
    """The source address as the chain sees it: Python's own spelling, whatever the database returns."""
    if not address:
        return ""
    try:
        return str(ipaddress.ip_address(str(address).strip()))
    except ValueError:
        return str(address)


def canonical_time(at: dt.datetime) -> str:
    """The entry's time in UTC to the microsecond."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    at: dt.datetime,
    actor_name: str,
    action: str,
    target_type: str,
    target_id: str,
    from_state: str,
    to_state: str,
    comment: str,
    address: str | None,
    data: Any,
    prev_hash: str,
) -> bytes:
    fields = {
        "at": canonical_time(at),
        "actor_name": actor_name,
        "action": action,
        "target": [target_type, str(target_id)],
        "states": [from_state or "", to_state or ""],
        "comment": comment or "",
        "address": canonical_address(address),
        "data": data if data is not None else {},
        "prev": prev_hash or "",
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def entry_hash(**fields: Any) -> str:
    """The SHA-256 (hex) of an entry's canonical text; `fields` as for `canonical`."""
    return hashlib.sha256(canonical(**fields)).hexdigest()


def json_safe(value: Any) -> Any:
    """A value as JSON stores it: dates as ISO text, sets sorted, tuples as lists, models by key,
    anything else unknown as its text; round-tripped so the hash sees what the database returns."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    pk = getattr(value, "pk", None)
    if pk is not None:
        return pk
    return str(value)

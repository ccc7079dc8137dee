"""The web request's client address, kept for the audit log while the request runs (pure)."""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    peer: str  # who connected (REMOTE_ADDR)
    client: str  # the client: the peer, or the address a trusted proxy forwarded


_source: contextvars.ContextVar[Source | None] = contextvars.ContextVar("yongke_audit_source", default=None)


def current() -> Source | None:
    return _source.get()


def set_source(source: Source | None) -> contextvars.Token[Source | None]:
    return _source.set(source)


def reset(token: contextvars.Token[Source | None]) -> None:
    _source.reset(token)


def _ip(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return None


def networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`YONGKE_TRUSTED_PROXIES`: addresses or networks (CIDR); a malformed one is an error."""
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: list) -> str | None:
    """The client of a request: REMOTE_ADDR, unless that peer is a trusted proxy; then the
    X-Forwarded-For list read from the right, skipping the trusted proxies, up to the first
    address that is not one (the leftmost when all are)."""
    peer = _ip(remote_addr or "")
    if peer is None:
        return None
    if not forwarded_for or not any(peer in n for n in trusted):
        return str(peer)
    client = peer
    for part in reversed(forwarded_for.split(",")):
        hop = _ip(part)
        if hop is None:  # a malformed hop: trust nothing further left
            break
        client = hop
        if not any(hop in n for n in trusted):
            break
    return str(client)

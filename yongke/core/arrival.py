"""When a request arrived: the moment a deadline is judged at.

A submission sent before the deadline is on time even if its row lock is taken after it (50
people submitting in the last second queue on the call's and the application's locks). The
middleware records `timezone.now()` as the request arrives, on `request.arrived_at` and in a
context variable the services read (`arrival_time()`); the CLI records the command's start
(`arrived()` around the command). Outside both, the service takes the time itself, at its
start, never after a lock.

Behind a reverse proxy the request arrives at the proxy: in a deadline rush gunicorn's workers
are busy and the request waits in the listen queue before Django sees it. The proxy's receipt
time, `X-Request-Start: t=<seconds since the epoch>` (nginx: `proxy_set_header X-Request-Start
"t=${msec}";`), is the arrival when the direct peer is one of `YONGKE_TRUSTED_PROXIES`, it is not
later than now (a later one is taken as now) and not more than `YONGKE_REQUEST_START_MAX_SECONDS`
(300) before it (an older one is ignored: a proxy's clock or a replay would otherwise move a
deadline). From any other peer the header is ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

_arrived_at: ContextVar[dt.datetime | None] = ContextVar("yongke_arrived_at", default=None)


def arrival_time() -> dt.datetime:
    """The time the current request or command arrived, else now."""
    return _arrived_at.get() or timezone.now()


def arrived_at() -> dt.datetime | None:
    """The recorded arrival time, or None outside a request or command."""
    return _arrived_at.get()


@contextlib.contextmanager
def arrived(at: dt.datetime | None = None) -> Iterator[dt.datetime]:
    """Record `at` (default: now) as the arrival time for the duration of the block."""
    when = at or dt.datetime.now(dt.UTC)
    token = _arrived_at.set(when)
    try:
        yield when
    finally:
        _arrived_at.reset(token)


def _networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


def proxy_start(raw: str | None, peer: str | None, trusted: list, now: dt.datetime, max_seconds: float) -> dt.datetime | None:
    """The arrival a trusted proxy's `X-Request-Start` gives, or None (see the module's text).
    Seconds with a fraction (nginx `t=${msec}`); milliseconds and microseconds are read too."""
    if not raw or not trusted or not peer:
        return None
    try:
        address = ipaddress.ip_address(peer.strip().strip("[]"))
    except ValueError:
        return None
    if not any(address in n for n in trusted):
        return None
    text = raw.strip()
    text = text[2:] if text.startswith("t=") else text
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    if seconds > 1e14:
        seconds /= 1e6
    elif seconds > 1e11:
        seconds /= 1e3
    at = dt.datetime.fromtimestamp(seconds, dt.UTC)
    if at >= now:
        return now
    return at if (now - at).total_seconds() <= max_seconds else None


class ArrivalMiddleware:
    """Records the request's arrival (`request.arrived_at`, and `arrival_time()` until the
    response is returned): now, or a trusted proxy's receipt time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = _networks(getattr(settings, "YONGKE_TRUSTED_PROXIES", []))
        self.max_seconds = float(getattr(settings, "YONGKE_REQUEST_START_MAX_SECONDS", 300))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        at = proxy_start(request.META.get("HTTP_X_REQUEST_START"), request.META.get("REMOTE_ADDR"), self.trusted, now, self.max_seconds)
        now = at or now
        request.arrived_at = now  # type: ignore[attr-defined]
        token = _arrived_at.set(now)
        try:
            return self.get_response(request)
        finally:
            _arrived_at.reset(token)

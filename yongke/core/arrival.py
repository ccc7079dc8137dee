"""When a request arrived: the moment a deadline is judged at.

A submission sent before the deadline is on time even if its row lock is taken after it (50
people submitting in the last second queue on the call's and the application's locks). The
middleware records `timezone.now()` as the request arrives, on `request.arrived_at` and in a
context variable the services read (`arrival_time()`); the CLI records the command's start
(`arrived()` around the command). Outside both, the service takes the time itself, at its
start, never after a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

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


class ArrivalMiddleware:
    """Records the request's arrival (`request.arrived_at`, and `arrival_time()` until the
    response is returned)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        request.arrived_at = now  # type: ignore[attr-defined]
        token = _arrived_at.set(now)
        try:
            return self.get_response(request)
        finally:
            _arrived_at.reset(token)

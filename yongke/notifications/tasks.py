"""The background half of notifications: a django.tasks task that delivers announced events
(inbox entries, email, SMS) as the system. It runs on the backend named by
settings.YONGKE_NOTIFY_BACKEND (by default the jobs' backend, YONGKE_JOB_BACKEND), never in
the request that announced them.

A delivery that fails (the database busy or away) is tried again later: the task enqueues
itself with `run_after`, waiting settings.YONGKE_NOTIFY_RETRY_DELAYS[n] seconds before try
n + 2, and stays failed after the last (a refusal, e.g. an unknown template, is not retried). Trying again is safe: an inbox entry is unique per
user and event, so a second delivery adds only what the first did not.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.tasks import task, task_backends
from django.utils import timezone

from yongke.accounts.actors import System
from yongke.core.errors import YongkeError
from yongke.notifications.services import notifications_deliver

logger = logging.getLogger(__name__)

NOTIFIER = System("notifications")


def _backend() -> str:
    return getattr(settings, "YONGKE_NOTIFY_BACKEND", "") or getattr(settings, "YONGKE_JOB_BACKEND", "default")


def _retry_later(events: list[dict[str, Any]], attempt: int) -> dt.datetime | None:
    """Enqueue try `attempt + 1` after its delay; None when tries are used up or the backend
    cannot defer (the immediate backend of the tests runs everything at once)."""
    delays = list(getattr(settings, "YONGKE_NOTIFY_RETRY_DELAYS", []))
    alias = _backend()
    if attempt > len(delays) or not task_backends[alias].supports_defer:
        return None
    when = timezone.now() + dt.timedelta(seconds=delays[attempt - 1])
    deliver.using(backend=alias, run_after=when).enqueue(events, attempt=attempt + 1)
    return when


@task
def deliver(events: list[dict[str, Any]], attempt: int = 1) -> dict[str, Any]:
    """Deliver the events (see `yongke.notifications.events` for their shape); `attempt` counts the tries."""
    try:
        return notifications_deliver(actor=NOTIFIER, events=events).as_dict()
    except YongkeError:  # bad events or a refusal: trying again gives the same answer
        logger.exception("notification delivery refused (%d event(s)), not tried again", len(events))
        raise
    except Exception:
        when = _retry_later(events, attempt)
        if when is None:
            logger.exception("notification delivery failed (%d event(s), try %d, no more tries)", len(events), attempt)
        else:
            logger.exception(
                "notification delivery failed (%d event(s), try %d); tried again after %s", len(events), attempt, when.isoformat()
            )
        raise

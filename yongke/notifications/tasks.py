"""The background half of notifications: a django.tasks task that delivers announced events
(inbox entries, email, SMS) as the system. It runs on the backend named by
settings.YONGKE_NOTIFY_BACKEND (by default the jobs' backend, YONGKE_JOB_BACKEND), never in
the request that announced them."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from yongke.accounts.actors import System
from yongke.notifications.services import notifications_deliver

logger = logging.getLogger(__name__)

NOTIFIER = System("notifications")


@task
def deliver(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Deliver the events (see `yongke.notifications.events` for their shape)."""
    try:
        return notifications_deliver(actor=NOTIFIER, events=events).as_dict()
    except Exception:
        # The thread backend records a failed task without logging it: say what failed here.
        logger.exception("notification delivery failed (%d event(s))", len(events))
        raise

"""The periodic jobs: each a task calling one existing service as `System("scheduler")`.

`yongke scheduler` (django-crontask's `crontask` command, APScheduler, with this module
loaded; a bare `manage crontask` would not load it) enqueues each task on
the jobs' queue at the times of `settings.YONGKE_SCHEDULE` (crontab lines, Beijing time; an
empty line switches a job off); a worker runs it. Run exactly one scheduler per deployment.
The services are idempotent (a reminder is sent once per deadline, a revocation once), so a
run that is late or repeated does no harm.

Not scheduled, because nothing needs to run: a call closes at its `closes_at` by itself (the
services read the time; `call_close` is the officer's early close, 提前截止) and a 公示
window ends at `objection_ends_at` by itself (objections are refused after it; the next step
is the officer's decision).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from crontask import cron  # type: ignore[import-untyped]  # ships no type information
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.tasks import Task, task

from yongke.accounts.actors import System
from yongke.jobs import services as job_services
from yongke.notifications.events import deadline_reminders
from yongke.projects.acceptance import report_reminders
from yongke.projects.credit import acceptance_overdue_scan
from yongke.projects.services import projects_revoke_unsigned, signing_reminders
from yongke.review.services import reminders_due, reminders_mark

SCHEDULER = System("scheduler")
SCHEDULED: dict[str, Task] = {}


def _json(value: Any) -> Any:
    """A task's result is stored as JSON: times and dates become their ISO text."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def periodic(name: str) -> Callable[[Task], Task]:
    """Register the task with the scheduler at settings.YONGKE_SCHEDULE[name] (unless empty)."""

    def register(t: Task) -> Task:
        SCHEDULED[name] = t
        schedule = settings.YONGKE_SCHEDULE.get(name, "")
        if schedule:
            cron(schedule, sentry_monitor_config=None)(t.using(backend=settings.YONGKE_JOB_BACKEND))
        return t

    return register


@periodic("workers_reap")
@task
def workers_reap() -> dict[str, Any]:
    """Tasks and Jobs left running by a dead worker marked failed, their files removed."""
    return _json(job_services.workers_reap(actor=SCHEDULER))


@periodic("notify_deadlines")
@task
def notify_deadlines() -> dict[str, Any]:
    """`yongke notify deadlines`: applicants of calls closing within YONGKE_DEADLINE_DAYS."""
    calls = deadline_reminders(actor=SCHEDULER, days=settings.YONGKE_DEADLINE_DAYS)
    return _json({"calls": calls, "reminded": sum(c["reminded"] for c in calls)})


@periodic("review_remind")
@task
def review_remind() -> dict[str, Any]:
    """`yongke review remind`: experts whose review round closes within two days."""
    due = reminders_due()
    reminders_mark(actor=SCHEDULER, assignments=due)
    return {"reminded": [a.pk for a in due]}


@periodic("project_remind")
@task
def project_remind() -> dict[str, Any]:
    """`yongke project remind`: units whose time to sign the task book is ending."""
    return _json({"reminded": signing_reminders(actor=SCHEDULER)})


@periodic("project_expire")
@task
def project_expire() -> dict[str, Any]:
    """`yongke project expire`: projects whose task book was not signed in time are revoked."""
    return {"revoked": [p.pk for p in projects_revoke_unsigned(actor=SCHEDULER)]}


@periodic("project_report_remind")
@task
def project_report_remind() -> dict[str, Any]:
    """`yongke project report-remind`: units of the reports due soon or overdue."""
    return _json({"reminded": report_reminders(actor=SCHEDULER)})


@periodic("project_overdue_scan")
@task
def project_overdue_scan() -> dict[str, Any]:
    """`yongke project overdue-scan`: the credit consequence of an overdue acceptance."""
    return {"recorded": [o.project.pk for o in acceptance_overdue_scan(actor=SCHEDULER)]}

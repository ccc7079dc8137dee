"""Announcing what happened: the services that make a transition call one of these, inside
their transaction. Each checks who announces, builds the events from the objects it is given
and queues their delivery (`tasks.deliver`) for when the transaction commits: nothing is sent,
and no inbox entry is written, inside the request, and a rolled-back step announces nothing.

An event is plain JSON, so that any task backend can carry it::

    {"template": "returned", "key": "application:12:return:5", "to": {"organisation": 3},
     "params": {"title": …, "direction": …, "comment": …}, "link": "/applications/12/"}

`to` is an organisation (its applicant and org-admin accounts, resolved when delivered) or
`{"users": [ids]}`; `key` names the event, so that a user gets it once however often it is
announced.

This room stands below applications and review (they call it), so it reads their objects
through the attributes they hand over and names their models for the type checker only; the
deadline scan reads calls through the registry's reverse relations, as applications.selectors
reads the review's assignments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import require_role, scope_of
from yongke.core.errors import BadInput, PermissionDenied
from yongke.notifications import tasks
from yongke.notifications.models import Notification

if TYPE_CHECKING:
    from yongke.applications.models import Application
    from yongke.review.models import ReviewAssignment

type Event = dict[str, Any]

# The steps of the workflows that are news to the applicant, and what each says.
APPLICATION_TEMPLATES: dict[tuple[str, str], str] = {
    ("pre", "return"): "returned",
    ("post", "return"): "returned",
    ("pre", "recommend"): "recommended",
    ("pre", "not_recommend"): "not_recommended",
    ("pre", "accept"): "accepted",
    ("pre", "refuse"): "refused",
    ("post", "check"): "checked",
    ("post", "refuse"): "claim_refused",
    ("pre", "fund"): "funded",
    ("pre", "not_fund"): "not_funded",
    ("pre", "publish"): "published",
    ("post", "publish"): "published",
}
APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)
UNSUBMITTED = ("draft", "returned")  # what a deadline is a deadline for
OPEN_REVIEW = ("invited", "accepted")  # review tasks an expert still owes
MAX_DEADLINE_DAYS = 60


def _local(ts: dt.datetime | None) -> str:
    return timezone.localtime(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def _link(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a deployment without the portal: the event still goes out, without a link
        return ""


def _backend() -> str:
    return getattr(settings, "YONGKE_NOTIFY_BACKEND", "") or getattr(settings, "YONGKE_JOB_BACKEND", "default")


def _announce(events: list[Event]) -> list[Event]:
    """Queue the delivery once the surrounding transaction commits (at once outside one). A queue
    that refuses the task is logged and does not undo the step that was taken (robust)."""
    if events:
        transaction.on_commit(lambda: tasks.deliver.using(backend=_backend()).enqueue(events), robust=True)
    return events


def _require_someone(actor: Actor) -> None:
    """An announcement names who caused it: a signed-in user or the system, never nobody."""
    scope = scope_of(actor)
    if not (scope.is_system or (isinstance(actor, User) and actor.is_authenticated and actor.is_active)):
        raise PermissionDenied("无权发送通知 / not allowed", detail={"actor": str(actor)})


# --------------------------------------------------------------------------- applications


def application_event(*, actor: Actor, application: Application, action: str, comment: str = "") -> Event | None:
    """Tell the applicant organisation's members of a step just taken (`application_transition`
    calls this after writing the new state). Steps that are no news (submitting, withdrawing…)
    announce nothing; a step the application has not taken is refused."""
    _require_someone(actor)
    template = APPLICATION_TEMPLATES.get((application.funding, action))
    if template is None:
        return None
    step = application.workflow.transition(action)
    if step is None or application.state != step.target:
        raise BadInput(
            f"action: 申报当前状态不是「{action}」的结果，不能发送该通知 / the step was not taken",
            detail={"field": "action", "value": action, "state": application.state},
        )
    params = {
        "title": application.title,
        "direction": application.direction,
        "call": application.call.name,
        "comment": comment.strip(),
        "amount": f"{application.decided_amount:,}" if application.decided_amount is not None else "",
        "objection_ends_at": _local(application.objection_ends_at),
    }
    event = {
        "template": template,
        "key": f"application:{application.pk}:{action}:{application.lock_version}",
        "to": {"organisation": application.organisation_id},
        "params": params,
        "link": _link("portal:application_detail", application.pk),
    }
    return _announce([event])[0]


# --------------------------------------------------------------------------- other rooms


def announce(*, actor: Actor, events: list[Event]) -> list[Event]:
    """Queue events a room above built itself (the projects: task books, payments, changes), of
    templates known here; delivered after the commit like every other. An event's `link` may
    name a portal page as [name, *args] (no link without the portal); an event to nobody is dropped."""
    _require_someone(actor)
    from yongke.notifications.messages import TEMPLATES

    out = []
    for event in events:
        if event.get("template") not in TEMPLATES:
            raise BadInput(f"template: 未知的通知模板 {event.get('template')} / unknown template", detail={"field": "template"})
        link = event.get("link", "")
        if isinstance(link, (list, tuple)):
            event = {**event, "link": _link(link[0], *link[1:])}
        if event.get("to"):
            out.append(event)
    return _announce(out)


# --------------------------------------------------------------------------- expert review


def _expert_events(assignments: Sequence[ReviewAssignment], *, template: str, key: str) -> list[Event]:
    prefetch_related_objects(list(assignments), "application", "expert", "round")  # one query each, whatever is not loaded yet
    events = []
    for a in assignments:
        user_id = a.expert.user_id
        if user_id is None:  # an expert without an account is told by the officer, not by us
            continue
        app = a.application
        events.append(
            {
                "template": template,
                "key": key.format(a=a),
                "to": {"users": [user_id]},
                # Blind review: the work's title and direction, never the applicant's name.
                "params": {"title": app.title, "direction": app.direction, "due": _local(a.round.due_at)},
                "link": _link("portal:expert_task", a.pk) if a.pk else _link("portal:expert_invitations"),
            }
        )
    return events


def experts_invited(*, actor: Actor, assignments: Sequence[ReviewAssignment]) -> list[Event]:
    """Invite the experts of newly made assignments (`review_round_run`)."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以邀请评审专家 / officers only")
    fresh = [a for a in assignments if a.state == "invited"]
    return _announce(_expert_events(fresh, template="invited", key="invitation:{a.round_id}:{a.application_id}:{a.expert_id}"))


def experts_reminded(*, actor: Actor, assignments: Sequence[ReviewAssignment], now: dt.datetime | None = None) -> list[Event]:
    """Remind the experts of open review tasks (`reminders_mark`), at most once a day per task."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以提醒评审专家 / officers only")
    day = timezone.localdate(now or timezone.now()).isoformat()
    owed = [a for a in assignments if a.state in OPEN_REVIEW]
    return _announce(_expert_events(owed, template="reminded", key="reminder:{a.pk}:" + day))


# --------------------------------------------------------------------------- deadlines


def deadline_reminders(*, actor: Actor, days: int | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Remind the applicants of calls closing within `days` (settings.YONGKE_DEADLINE_DAYS,
    default 3) whose organisation still has an application there unsubmitted (a draft, or one
    returned for 补正). Once per call per user: whoever was reminded of a call is not again.
    Returns, per call, who is being reminded now."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以发送截止提醒 / officers only")
    days = settings.YONGKE_DEADLINE_DAYS if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DEADLINE_DAYS:
        raise BadInput(f"days: 提前天数应为1至{MAX_DEADLINE_DAYS}的整数 / 1 to {MAX_DEADLINE_DAYS} days", detail={"field": "days"})
    now = now or timezone.now()
    # One filter() call: every condition holds for the same application (and its call).
    pairs = (
        RoleGrant.objects.filter(
            role__in=APPLICANT_ROLES,
            user__is_active=True,
            organisation__applications__state__in=UNSUBMITTED,
            organisation__applications__call__closed_at__isnull=True,
            organisation__applications__call__opens_at__lte=now,
            organisation__applications__call__closes_at__gt=now,
            organisation__applications__call__closes_at__lte=now + dt.timedelta(days=days),
        )
        .values_list(
            "user_id",
            "organisation__applications__call_id",
            "organisation__applications__call__name",
            "organisation__applications__call__closes_at",
        )
        .distinct()
    )
    calls: dict[int, dict[str, Any]] = {}
    users: dict[int, set[int]] = defaultdict(set)
    for user_id, call_id, name, closes_at in pairs:
        calls[call_id] = {"call": call_id, "name": name, "closes_at": _local(closes_at)}
        users[call_id].add(user_id)
    told = set(Notification.objects.filter(key__in=[f"deadline:{c}" for c in calls]).values_list("user_id", "key"))
    out, events = [], []
    for call_id in sorted(calls):
        fresh = sorted(u for u in users[call_id] if (u, f"deadline:{call_id}") not in told)
        out.append({**calls[call_id], "reminded": len(fresh)})
        if fresh:
            c = calls[call_id]
            events.append(
                {
                    "template": "deadline",
                    "key": f"deadline:{call_id}",
                    "to": {"users": fresh},
                    "params": {"call": c["name"], "closes_at": c["closes_at"]},
                    "link": _link("portal:my_applications"),
                }
            )
    _announce(events)
    return out

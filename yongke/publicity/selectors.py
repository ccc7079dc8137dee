"""Reads of the 公示: the public list with its periods and results, the officers' objections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Cast

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Application, Call
from yongke.applications.selectors import applications_visible_to
from yongke.applications.stats import publicity_list
from yongke.audit.models import AuditEvent
from yongke.core import workdays
from yongke.core.directions import direction_order
from yongke.core.errors import NotFound, PermissionDenied
from yongke.publicity.models import CallPublicity, Objection

PENDING = Objection.Outcome.PENDING


def default_contact() -> str:
    return str(settings.YONGKE_PUBLICITY_CONTACT)


def objection_contact(call: Call) -> str:
    """Whom to contact with an objection to the call's 公示: the call's own, else the settings' default."""
    row = CallPublicity.objects.filter(call=call).first()
    return row.contact if row else default_contact()


def published_at() -> Subquery:
    """When the application was put in 公示: the time of its 公示 step in the audit log."""
    steps = AuditEvent.objects.filter(
        target_type="application", target_id=Cast(OuterRef("pk"), output_field=CharField()), action="publish"
    ).order_by("-at", "-id")
    return Subquery(steps.values("at")[:1])


def with_publicity(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Applications with their 公示 start (`published_at`), objections received and still pending."""
    return qs.annotate(
        published_at=published_at(),
        objections_received=Count("objections", distinct=True),
        objections_pending=Count("objections", filter=Q(objections__outcome=PENDING), distinct=True),
    )


def period_of(app: Any) -> workdays.Period | None:
    """The application's 公示 period in working days (None before it is published)."""
    if app.objection_ends_at is None:
        return None
    start = getattr(app, "published_at", None) or app.objection_ends_at
    return workdays.period_of(start, app.objection_ends_at)


def publicity_public(*, call_id: int | None = None) -> list[Application]:
    """The public 公示 list: each application with its period, the call's contact and the
    result so far — how many objections were received and how each was handled (never who
    lodged it or how to reach them: that is for the officers)."""
    qs = with_publicity(publicity_list(call_id=call_id).select_related("call__publicity")).prefetch_related(
        Prefetch("objections", queryset=Objection.objects.only("id", "application_id", "outcome", "handling", "lodged_at"))
    )
    apps = list(qs)
    for a in apps:
        _annotate(a)
    return apps


def _annotate(app: Any) -> None:
    """The application's 公示 period and its call's contact, for the pages."""
    app.period = period_of(app)
    app.contact = _call_contact(app.call)


def _call_contact(call: Call) -> str:
    try:
        return call.publicity.contact
    except CallPublicity.DoesNotExist:
        return default_contact()


def _require_officer(user: Viewer) -> None:
    scope = scope_of(user)
    if not (scope.sees_everything or Role.OFFICER in scope.roles):
        raise PermissionDenied("只有项目处和审计人员可以查看异议 / officers and auditors only")


def publicity_for_officer(user: Viewer, *, call_id: int | None = None, now: dt.datetime | None = None) -> list[Application]:
    """The officer's 公示 work: their programmes' applications in 公示, and any that received
    objections since, each with its period and every objection (who, contact, reasons, handling)."""
    _require_officer(user)
    qs = applications_visible_to(user).filter(Q(state="published") | Q(pk__in=Objection.objects.values("application_id")))
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    qs = with_publicity(qs.select_related("call__publicity")).prefetch_related(
        Prefetch("objections", queryset=Objection.objects.select_related("handled_by").order_by("lodged_at", "id"))
    )
    apps = list(qs.order_by("call_id", *direction_order(), "id"))
    for a in apps:
        _annotate(a)
    return apps


def objections_visible_to(user: Viewer) -> QuerySet[Objection]:
    """Objections to the applications `user` may see, for officers and auditors."""
    _require_officer(user)
    return Objection.objects.filter(application__in=applications_visible_to(user).values("pk")).select_related("application")


def objection_for(user: Viewer, pk: int) -> Objection:
    obj = objections_visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"异议 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    return obj


def application_in_publicity(pk: int) -> Application:
    """An application of the public 公示 list (anyone may read it there) with its period and
    the call's contact, else NotFound."""
    app = with_publicity(publicity_list().filter(pk=pk).select_related("call__publicity")).first()
    if app is None:
        raise NotFound("该项目不在公示中 / not in publicity", detail={"id": pk})
    _annotate(app)
    return app

"""Reads behind the officers' and recommending units' exports: the 推荐汇总表 of a unit, and
how many applications each direction of a call already holds (what the call form may not
take away). Each knows who asks."""

from __future__ import annotations

from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Application, Call
from yongke.applications.selectors import applications_visible_to
from yongke.audit.models import AuditEvent
from yongke.core.directions import direction_order
from yongke.core.errors import BadInput, PermissionDenied
from yongke.core.regions import RECOMMENDING_UNITS

_GONE = ("withdrawn", "declined")


def _step(action: str, field: str) -> Subquery:
    """The latest audit entry of a workflow step of the application: its time or comment."""
    events = AuditEvent.objects.filter(
        target_type="application", target_id=Cast(OuterRef("pk"), output_field=CharField()), action=action
    ).order_by("-at", "-id")
    return Subquery(events.values(field)[:1])


def recommendation_summary(user: Viewer, *, unit: str, call_id: int | None = None) -> QuerySet[Application]:
    """推荐汇总表: what a recommending unit (a district, or a development zone) recommended,
    with the opinion it gave (the comment of its 推荐 step) and when.

    A recommending unit reads its own units' summary only; officers read any unit's (of their
    programmes, as they see applications); auditors and admins every one."""
    if unit not in RECOMMENDING_UNITS:
        raise BadInput("推荐单位：未知的推荐单位 / unknown recommending unit", detail={"field": "unit", "value": unit})
    scope = scope_of(user)
    if not (scope.sees_everything or Role.OFFICER in scope.roles or unit in scope.units):
        raise PermissionDenied("只能导出本单位的推荐汇总表 / your own unit's summary only", detail={"unit": unit})
    qs = applications_visible_to(user).filter(Q(organisation__zone=unit) | (Q(organisation__zone="") & Q(organisation__district=unit)))
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    return (
        qs.annotate(recommended_at=_step("recommend", "at"), recommend_comment=_step("recommend", "comment"))
        .filter(recommended_at__isnull=False)
        .order_by("call_id", *direction_order(), "recommended_at", "id")
    )


def call_direction_counts(user: Viewer, call: Call) -> dict[str, int]:
    """Per direction of the call, the applications made to it that are not withdrawn — a
    direction holding any cannot be taken out of the call (`call_update`)."""
    scope = scope_of(user)
    if not scope.has(Role.OFFICER, Role.SYSADMIN):
        raise PermissionDenied("无权查看 / not allowed")
    rows = Application.objects.filter(call=call).exclude(state__in=_GONE).order_by().values("direction").annotate(n=Count("id"))
    return {r["direction"]: r["n"] for r in rows}


def call_application_counts(user: Viewer, calls: list[Call]) -> dict[int, int]:
    """Per call, the applications submitted to it (not drafts, not withdrawn)."""
    scope = scope_of(user)
    if not scope.has(Role.OFFICER, Role.SYSADMIN):
        raise PermissionDenied("无权查看 / not allowed")
    rows = (
        Application.objects.filter(call__in=[c.pk for c in calls], submitted_at__isnull=False)
        .exclude(state__in=_GONE)
        .order_by()
        .values("call_id")
        .annotate(n=Count("id"))
    )
    return {r["call_id"]: r["n"] for r in rows}

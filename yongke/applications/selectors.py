"""Reads of calls and applications; every one knows who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Application, Call
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound, PermissionDenied


def applications_visible_to(user) -> QuerySet[Application]:
    """Applicants: their organisations' applications. Recommending units: their jurisdiction's,
    once submitted. Officers: their programmes'. Finance: decided ones. Experts: those assigned
    to them. Auditors and admins: all."""
    scope = scope_of(user)
    qs = Application.objects.select_related("organisation", "leader", "call")
    if scope.sees_everything:
        return qs
    cond = Q(pk__in=[])
    if scope.organisations:
        cond |= Q(organisation__in=scope.organisations)
    if scope.units:
        cond |= (Q(organisation__zone__in=scope.units) | (Q(organisation__zone="") & Q(organisation__district__in=scope.units))) & ~Q(
            state__in=("draft", "proposed", "declined"))
    if Role.OFFICER in scope.roles:
        mine = Q() if "*" in scope.programmes else Q(programme__in=scope.programmes)
        cond |= mine & ~Q(state__in=("draft", "proposed", "declined", "withdrawn"))
    if Role.FINANCE in scope.roles:
        cond |= Q(state__in=("funded", "published", "contracted", "checked", "paid"))
    if Role.EXPERT in scope.roles:
        cond |= Q(pk__in=_assigned_to(user))
    return qs.filter(cond)


def _assigned_to(user) -> list[int]:
    """Applications assigned to this expert for review (the review app records assignments)."""
    try:
        from yongke.review.selectors import application_ids_assigned_to
    except ImportError:
        return []
    return application_ids_assigned_to(user)


def application_for(user, pk: int) -> Application:
    app = applications_visible_to(user).filter(pk=pk).first()
    if app is None:
        raise NotFound(f"申报 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    return app


def identity_hidden(scope, app: Application) -> bool:
    """Blind review: an expert sees the work, not who applied. Whoever sees the application
    through another role (its own organisation, its programme's officers, auditors) still does.
    `scope` is `scope_of(user)`."""
    if not app.call.blind_review or Role.EXPERT not in scope.roles:
        return False
    return not (scope.sees_everything or scope.officer_for(app.programme) or app.organisation_id in scope.organisations)


def calls_visible_to(user) -> QuerySet[Call]:
    """Calls are public notices: everyone may read them. The guide's data and text stay
    unloaded until a compiled guide is needed (they are cached by digest)."""
    return Call.objects.select_related("guide_version").defer("guide_version__spec", "guide_version__text")


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    scope = scope_of(user)
    if not (scope.is_superuser or Role.AUDITOR in scope.roles or Role.SYSADMIN in scope.roles):
        raise PermissionDenied("只有审计人员可以查看审计日志 / auditors only")
    return AuditEvent.objects.all()


def application_timeline(user, app: Application) -> QuerySet[AuditEvent]:
    """The status history of an application its viewer may see."""
    application_for(user, app.pk)
    return AuditEvent.objects.filter(target_type="application", target_id=str(app.pk)).order_by("at", "id")

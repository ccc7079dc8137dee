"""Reads of the expert review, each knowing who asks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.core.errors import NotFound, PermissionDenied
from yongke.review import scoring
from yongke.review.models import Expert, PanelMove, ReviewAssignment, ReviewRound, Score


def application_ids_assigned_to(user) -> list[int]:
    """Applications an expert may read: those assigned to them that they have not declined."""
    return list(
        ReviewAssignment.objects.filter(expert__user=user, round__status__in=("assigned", "closed"))
        .exclude(state=ReviewAssignment.State.DECLINED)
        .values_list("application_id", flat=True)
    )


def assignments_for(user) -> QuerySet[ReviewAssignment]:
    """An expert's own review tasks."""
    return (
        ReviewAssignment.objects.filter(expert__user=user)
        .select_related("application", "application__organisation", "round", "round__call")
        .order_by("state", "-invited_at")
    )


def expert_pool_for(user: Viewer) -> QuerySet[Expert]:
    """The whole expert pool: officers, auditors and admins only."""
    scope = scope_of(user)
    if not (scope.sees_everything or scope.has(Role.OFFICER)):
        raise PermissionDenied("只有项目处人员可以查看专家库 / officers only")
    return Expert.objects.select_related("person", "organisation")


def experts_visible_to(user: Viewer) -> QuerySet[Expert]:
    """Officers see the pool; an expert sees their own entry; anyone else none."""
    scope = scope_of(user)
    if scope.sees_everything or scope.has(Role.OFFICER):
        return Expert.objects.select_related("person", "organisation")
    if isinstance(user, User) and scope.roles:  # roles are granted to users only
        return Expert.objects.filter(user=user).select_related("person", "organisation")
    return Expert.objects.none()


def rounds_visible_to(user: Viewer) -> QuerySet[ReviewRound]:
    scope = scope_of(user)
    if not (scope.sees_everything or scope.has(Role.OFFICER)):
        raise PermissionDenied("只有项目处人员可以查看评审分配 / officers only")
    return ReviewRound.objects.select_related("call")


def round_for(user: Viewer, pk: int) -> ReviewRound:
    rnd = rounds_visible_to(user).filter(pk=pk).first()
    if rnd is None:
        raise NotFound(f"评审轮次 {pk} 不存在 / not found")
    return rnd


def ranking(user, rnd: ReviewRound, *, method: str = "trimmed") -> dict[str, Any]:
    """Per direction: applications ranked by aggregated score, the funding line under the
    call's budget, flags, and the panel's recorded moves — for an officer (or admin, auditor)."""
    round_for(user, rnd.pk)
    return ranking_of(rnd, method=method)


def ranking_of(rnd: ReviewRound, *, method: str = "trimmed") -> dict[str, Any]:
    """The ranking without an access check: for the console operator and for callers that checked."""
    if method not in ("trimmed", "calibrated", "mean"):
        raise ValueError("method")
    scores = {
        (str(s.assignment.application_id), str(s.assignment.expert_id)): s.total
        for s in Score.objects.filter(assignment__round=rnd).select_related("assignment")
    }
    aggregates, expert_stats = scoring.aggregate(scores)
    apps = {str(a.application_id): a.application for a in rnd.assignments.select_related("application", "application__organisation")}
    moves: dict[str, dict[str, tuple[int, str]]] = {}
    for m in PanelMove.objects.filter(round=rnd).order_by("moved_at", "id"):
        moves.setdefault(apps[str(m.application_id)].direction, {})[str(m.application_id)] = (m.position, m.reason)
    by_direction: dict[str, list] = {}
    for app_id, app in apps.items():
        agg = aggregates.get(app_id)
        value = getattr(agg, method) if agg else float("nan")
        by_direction.setdefault(app.direction, []).append((app_id, value if value == value else -1.0, int(app.requested_amount)))
    out = {}
    for direction, items in sorted(by_direction.items()):
        ranked = scoring.rank(items, rnd.call.budget_for(direction)[1], adjustments=moves.get(direction))
        out[direction] = [
            {
                "application": int(r.application),
                "title": apps[r.application].title,
                "position": r.position,
                "score": round(r.score, 2) if r.application in aggregates else None,
                "amount": r.amount,
                "cumulative": r.cumulative,
                "funded": r.funded,
                "panel_reason": r.moved_by_panel,
                "scores": aggregates[r.application].scores if r.application in aggregates else {},
                "flags": aggregates[r.application].flags if r.application in aggregates else [],
            }
            for r in ranked
        ]
    flagged = {e: st for e, st in expert_stats.items() if st.get("flag")}
    return {"round": rnd.pk, "method": method, "directions": out, "flagged_experts": flagged}

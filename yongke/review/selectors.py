"""Reads of the expert review, each knowing who asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Application
from yongke.core.directions import direction_key
from yongke.core.errors import NotFound, PermissionDenied
from yongke.review import scoring
from yongke.review.models import DecisionWaiver, Expert, PanelMove, ReviewAssignment, ReviewRound, Score

# Rounds whose assignments stand: an infeasible round assigned nobody, a draft is not run yet.
LIVE_ROUNDS = ("assigned", "closed")


# An expert reads an application's content once they have accepted (declared no conflict),
# while its round is open: a closed round ends the access (the task itself stays listed).
READING_STATES = (ReviewAssignment.State.ACCEPTED, ReviewAssignment.State.SUBMITTED)
OPEN_ROUND = "assigned"


def application_ids_assigned_to(user) -> list[int]:
    """Applications an expert may read now: accepted by them, in a round still open."""
    return list(
        ReviewAssignment.objects.filter(expert__user=user, round__status=OPEN_ROUND, state__in=READING_STATES).values_list(
            "application_id", flat=True
        )
    )


def expert_task_for(user, pk: int) -> ReviewAssignment:
    """One of the expert's own tasks; anyone else's is not found (404, never 403)."""
    a = assignments_for(user).select_related("score", "application__call").filter(pk=pk).first()
    if a is None:
        raise NotFound(f"评审任务 {pk} 不存在 / not found", detail={"id": pk})
    return a


def task_readable(task: ReviewAssignment) -> bool:
    """Whether the expert may read the task's application now (accepted, round open)."""
    return task.state in READING_STATES and task.round.status == OPEN_ROUND


def task_is_blind(task: ReviewAssignment) -> bool:
    return bool(task.application.call.blind_review)


def assignments_for(user) -> QuerySet[ReviewAssignment]:
    """An expert's own review tasks."""
    return (
        ReviewAssignment.objects.filter(expert__user=user)
        .select_related("application", "application__organisation", "round", "round__call")
        .order_by("state", "-invited_at")
    )


def expert_pool_for(user: Viewer) -> QuerySet[Expert]:
    """The whole expert pool: officers only (the pool is shared by every programme)."""
    scope = scope_of(user)
    if not scope.has(Role.OFFICER):
        raise PermissionDenied("只有项目处人员可以查看专家库 / officers only")
    return Expert.objects.select_related("person", "organisation")


def expert_pool_search(
    user: Viewer, *, text: str = "", industry: str = "", organisation: str = "", available: bool | None = None
) -> QuerySet[Expert]:
    """The pool as an officer searches it: `text` in the name, organisation, title, region or a
    keyword; `industry` a GB/T 4754 field code or its prefix (C39 finds C3976); `organisation` in the
    organisation's name. Each expert carries `load` (open tasks: invited or accepted, in a
    round that stands) and `reviews` (tasks ever assigned). Officers only (expert_pool_for)."""
    qs = expert_pool_for(user)
    text, industry, organisation = text.strip(), industry.strip().upper(), organisation.strip()
    if text:
        match = (
            Q(person__name__icontains=text)
            | Q(organisation__name__icontains=text)
            | Q(title__icontains=text)
            | Q(region__icontains=text)
            | Q(pk__in=[e.pk for e in Expert.objects.only("id", "keywords") if any(text in k for k in e.keywords)])
        )
        qs = qs.filter(match)
    if industry:
        qs = qs.filter(pk__in=[e.pk for e in Expert.objects.only("id", "fields") if any(f.upper().startswith(industry) for f in e.fields)])
    if organisation:
        qs = qs.filter(organisation__name__icontains=organisation)
    if available is not None:
        qs = qs.filter(available=available)
    open_tasks = Q(
        assignments__state__in=(ReviewAssignment.State.INVITED, ReviewAssignment.State.ACCEPTED),
        assignments__round__status="assigned",
    )
    return qs.annotate(load=Count("assignments", filter=open_tasks, distinct=True), reviews=Count("assignments", distinct=True)).order_by(
        "person__name", "pk"
    )


def experts_visible_to(user: Viewer) -> QuerySet[Expert]:
    """Officers see the pool; an expert sees their own entry; anyone else none."""
    scope = scope_of(user)
    if scope.has(Role.OFFICER):
        return Expert.objects.select_related("person", "organisation")
    if isinstance(user, User) and scope.roles:  # roles are granted to users only
        return Expert.objects.filter(user=user).select_related("person", "organisation")
    return Expert.objects.none()


def round_programmes(rnd: ReviewRound) -> set[str]:
    """The programmes of a round: its applications', else (nobody assigned yet) those of the
    call's applications in the round's directions."""
    return set(Application.objects.filter(review_assignments__round=rnd).values_list("programme", flat=True)) or set(
        Application.objects.filter(call=rnd.call, direction__in=rnd.directions or [""]).values_list("programme", flat=True)
    )


def rounds_visible_to(user: Viewer) -> QuerySet[ReviewRound]:
    """The rounds of the officer's programmes (a round reviewing any application of theirs)."""
    scope = scope_of(user)
    if not scope.has(Role.OFFICER):
        raise PermissionDenied("只有项目处人员可以查看评审分配 / officers only")
    qs = ReviewRound.objects.select_related("call")
    if scope.is_system or "*" in scope.programmes:
        return qs
    unassigned = [r.pk for r in qs.filter(assignments__isnull=True) if round_programmes(r) & scope.programmes]
    mine = ReviewRound.objects.filter(assignments__application__programme__in=scope.programmes).values("pk")
    return qs.filter(Q(pk__in=mine) | Q(pk__in=unassigned))


def round_for(user: Viewer, pk: int) -> ReviewRound:
    rnd = rounds_visible_to(user).filter(pk=pk).first()
    if rnd is None:
        raise NotFound(f"评审轮次 {pk} 不存在 / not found")
    return rnd


def ranking(user, rnd: ReviewRound, *, method: str = "trimmed") -> dict[str, Any]:
    """Per direction: applications ranked by aggregated score, the funding line under the
    call's budget, flags, and the panel's recorded moves — for an officer, of the directions of
    their programmes only. Applications whose review is not complete are listed apart (see `ranking_of`)."""
    round_for(user, rnd.pk)
    out = ranking_of(rnd, method=method)
    scope = scope_of(user)
    if scope.is_system or "*" in scope.programmes:
        return out
    programme_of = dict(rnd.assignments.values_list("application__direction", "application__programme"))
    theirs = {d for d, p in programme_of.items() if scope.officer_for(p)}
    out["directions"] = {d: rows for d, rows in out["directions"].items() if d in theirs}
    out["incomplete"] = {d: rows for d, rows in out["incomplete"].items() if d in theirs}
    shown = {r["application"] for rows in (*out["directions"].values(), *out["incomplete"].values()) for r in rows}
    complete = sum(len(rows) for rows in out["directions"].values())
    out["review"] = {"applications": len(shown), "complete": complete, "incomplete": len(shown) - complete}
    return out


# --------------------------------------------------------------------------- completeness


@dataclass(frozen=True)
class Progress:
    """How far one application's review in one round has come: "已评 scored/assigned"."""

    assigned: int  # experts assigned in the round, a declined one included: their score is missing too
    scored: int
    declined: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)  # the assignments without a score

    @property
    def complete(self) -> bool:
        return self.assigned > 0 and self.scored >= self.assigned

    @property
    def label(self) -> str:
        return f"已评 {self.scored}/{self.assigned}"

    @property
    def status(self) -> str:
        """ranked (every score in), incomplete (some), unscored (none)."""
        return "ranked" if self.complete else ("incomplete" if self.scored else "unscored")

    def as_dict(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "assigned": self.assigned,
            "declined": self.declined,
            "complete": self.complete,
            "progress": self.label,
            "status": self.status,
        }


def progress_in(rnd: ReviewRound) -> dict[int, Progress]:
    """Every application of the round and how many of its experts have scored."""
    rows = (
        rnd.assignments.values("application_id")
        .annotate(
            assigned=Count("id"),
            scored=Count("score"),
            declined=Count("id", filter=Q(state=ReviewAssignment.State.DECLINED)),
        )
        .order_by("application_id")
    )
    return {r["application_id"]: Progress(r["assigned"], r["scored"], r["declined"]) for r in rows}


def latest_round_of(application: Application) -> ReviewRound | None:
    """The latest round that assigned experts to the application (and still stands)."""
    return (
        ReviewRound.objects.filter(assignments__application=application, status__in=LIVE_ROUNDS)
        .order_by("-created_at", "-id")
        .distinct()
        .first()
    )


def review_progress_of(application: Application) -> tuple[ReviewRound | None, Progress]:
    """The application's review in its latest round, with the experts whose score is missing.
    No access check: for the services that decide on it (they check who acts)."""
    rnd = latest_round_of(application)
    if rnd is None:
        return None, Progress(0, 0)
    tasks = list(rnd.assignments.filter(application=application).select_related("expert__person", "score").order_by("id"))
    missing = [
        {"task": a.pk, "expert": a.expert_id, "name": a.expert.person.name, "state": a.state} for a in tasks if not hasattr(a, "score")
    ]
    declined = sum(1 for a in tasks if a.state == ReviewAssignment.State.DECLINED)
    return rnd, Progress(len(tasks), len(tasks) - len(missing), declined, missing)


def waiver_for(rnd: ReviewRound, application: Application) -> DecisionWaiver | None:
    """The officer's latest recorded reason to decide the application before its review in rnd is complete."""
    return DecisionWaiver.objects.filter(round=rnd, application=application).select_related("recorded_by").first()


def waiver_out(w: DecisionWaiver) -> dict[str, Any]:
    return {
        "id": w.pk,
        "reason": w.reason,
        "scored": w.scored,
        "assigned": w.assigned,
        "recorded_by": w.recorded_by.username if w.recorded_by else None,
        "recorded_at": timezone.localtime(w.recorded_at).isoformat(),
    }


# --------------------------------------------------------------------------- the ranking


def ranking_of(rnd: ReviewRound, *, method: str = "trimmed") -> dict[str, Any]:
    """The ranking without an access check: for the console operator and for callers that checked.

    `directions` ranks, per direction, the applications every assigned expert has scored, and
    draws the funding line among them. An application with a score missing — or none at all —
    is never ranked nor above the line: it is listed under `incomplete` with its progress
    ("已评 1/3"), its provisional aggregate (`provisional_score`, not a result) and the
    officer's recorded reason to decide without waiting, if any. Every row says `scored` of
    `assigned` experts.
    """
    if method not in ("trimmed", "calibrated", "mean"):
        raise ValueError("method")
    scores = {
        (str(s.assignment.application_id), str(s.assignment.expert_id)): s.total
        for s in Score.objects.filter(assignment__round=rnd).select_related("assignment")
    }
    aggregates, expert_stats = scoring.aggregate(scores)
    progress = progress_in(rnd)
    apps = {str(a.application_id): a.application for a in rnd.assignments.select_related("application", "application__organisation")}
    complete = {a for a in apps if progress[int(a)].complete}
    by_direction: dict[str, list] = {}
    pending: dict[str, list[dict[str, Any]]] = {}
    waivers = {
        w.application_id: w for w in DecisionWaiver.objects.filter(round=rnd).select_related("recorded_by").order_by("recorded_at", "id")
    }
    for app_id, app in sorted(apps.items(), key=lambda x: int(x[0])):
        agg = aggregates.get(app_id)
        value = getattr(agg, method) if agg else float("nan")
        if app_id in complete:
            by_direction.setdefault(app.direction, []).append((app_id, value if value == value else -1.0, int(app.requested_amount)))
            continue
        w = waivers.get(app.pk)
        pending.setdefault(app.direction, []).append(
            {
                "application": app.pk,
                "title": app.title,
                "score": None,
                "provisional_score": round(value, 2) if agg else None,
                "amount": int(app.requested_amount),
                "funded": False,
                "scores": agg.scores if agg else {},
                "flags": agg.flags if agg else [],
                **progress[app.pk].as_dict(),
                "waiver": waiver_out(w) if w else None,
            }
        )
    moves = _panel_moves(rnd, apps, complete, by_direction)
    out = {}
    for direction, items in sorted(by_direction.items(), key=lambda kv: direction_key(kv[0])):
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
                **progress[int(r.application)].as_dict(),
            }
            for r in ranked
        ]
    flagged = {e: st for e, st in expert_stats.items() if st.get("flag")}
    counts = {"applications": len(apps), "complete": len(complete), "incomplete": len(apps) - len(complete)}
    return {
        "round": rnd.pk,
        "method": method,
        "directions": out,
        "flagged_experts": flagged,
        "incomplete": dict(sorted(pending.items())),
        "review": counts,
    }


def _panel_moves(
    rnd: ReviewRound, apps: dict[str, Application], complete: set[str], ranked: dict[str, list]
) -> dict[str, dict[str, tuple[int, str]]]:
    """The panel's moves of ranked applications, each within its direction's ranking (a move
    recorded before a review counted as incomplete is kept for the record, not applied)."""
    moves: dict[str, dict[str, tuple[int, str]]] = {}
    for m in PanelMove.objects.filter(round=rnd).order_by("moved_at", "id"):
        app_id = str(m.application_id)
        if app_id not in complete:
            continue
        direction = apps[app_id].direction
        moves.setdefault(direction, {})[app_id] = (min(m.position, len(ranked.get(direction, []))), m.reason)
    return moves

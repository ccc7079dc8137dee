"""Expert review screens: the expert's invitations and scoring, the officer's assignment runs
and the ranking with the funding line. Reads through yongke.review.selectors, writes through
yongke.review.services; a domain refusal is shown with its message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.applications.models import Application
from yongke.applications.selectors import application_for, calls_visible_to
from yongke.core.directions import sort_directions
from yongke.core.errors import NotFound, YongkeError
from yongke.guide.selectors import compiled_for
from yongke.jobs.services import job_start_review_round
from yongke.portal.forms import direction_fact_specs, score_entry
from yongke.portal.texts import error_field, error_text
from yongke.portal.views.common import acting_user, direction_names, flash, roles_required
from yongke.review import blind, conf, services
from yongke.review.models import Expert, ReviewAssignment, ReviewRound
from yongke.review.scoring import DEFAULT_RUBRIC
from yongke.review.selectors import (
    assignments_for,
    expert_pool_search,
    expert_task_for,
    ranking,
    round_for,
    rounds_visible_to,
    task_is_blind,
    task_readable,
)

MODES = [("optimal", "最优匹配"), ("fair", "公平优先"), ("random", "随机抽取")]
EXPERT_PAGE = 200  # experts listed at once; a search narrows the rest
METHODS = [("trimmed", "去掉最高最低分的平均"), ("calibrated", "校准（标准分）平均"), ("mean", "算术平均")]


def _rubric() -> list[dict[str, Any]]:
    return [{"key": c.key, "label": c.label, "weight": round(c.weight * 100), "max": c.max_points} for c in DEFAULT_RUBRIC]


# --------------------------------------------------------------------------- the expert


@dataclass(frozen=True)
class TaskRow:
    """One line of the expert's task list: the task and what the list shows beside it."""

    task: ReviewAssignment
    title: str  # blind review: the title with the applicant's names replaced
    direction_name: str
    hidden: bool  # blind review: the applicant's name is not shown
    overdue: bool


def _own_task(request: HttpRequest, pk: int) -> ReviewAssignment:
    try:
        return expert_task_for(request.user, pk)
    except NotFound:
        raise Http404("评审任务不存在 / not found") from None


@roles_required(Role.EXPERT)
def expert_invitations(request: HttpRequest) -> HttpResponse:
    """The expert's invitations and tasks (landing page)."""
    tasks = list(
        assignments_for(request.user)
        .select_related("score", "application__call", "application__leader")
        .prefetch_related(*(f"application__{p}" for p in blind.IDENTITY_PREFETCH))
    )
    names = direction_names(request.user, [t.application for t in tasks])
    now = timezone.now()
    rows = [
        TaskRow(
            task=t,
            title=blind.projected_title(t.application, blind=task_is_blind(t)),
            direction_name=names.get((t.application.guide_version_id, t.application.direction), ""),
            hidden=task_is_blind(t),
            overdue=bool(t.round.due_at and now >= t.round.due_at),
        )
        for t in tasks
    ]
    groups = [
        ("invited", _("待答复的邀请"), [r for r in rows if r.task.state == "invited"]),
        ("accepted", _("待评分"), [r for r in rows if r.task.state == "accepted"]),
        ("submitted", _("已提交评分"), [r for r in rows if r.task.state == "submitted"]),
        ("declined", _("已谢绝"), [r for r in rows if r.task.state == "declined"]),
    ]
    return render(request, "portal/expert_tasks.html", {"groups": groups, "count": len(tasks)})


@roles_required(Role.EXPERT)
def expert_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: before accepting, the title, direction and conflict questions; once accepted
    and while the round is open, the application as the expert sees it (`yongke.review.blind`)."""
    task = _own_task(request, pk)
    return render(request, "portal/expert_task.html", _task_context(request, task))


@roles_required(Role.EXPERT)
def expert_attachment(request: HttpRequest, pk: int, n: int) -> FileResponse:
    """An attachment of the task's application, named by its category and number."""
    task = _own_task(request, pk)
    if not task_readable(task):
        raise Http404("评审任务不存在 / not found")
    row = next((r for r in blind.project(task.application, blind=task_is_blind(task))["attachments"] if r["n"] == n), None)
    if row is None:
        raise Http404("没有这个附件")
    att = row["attachment"]
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=row["name"], content_type=att.content_type)


def _task_context(request: HttpRequest, task: ReviewAssignment, **extra: Any) -> dict[str, Any]:
    app = task.application
    hidden = task_is_blind(task)
    guide = compiled_for(app.guide_version).guide
    direction = guide.direction(app.direction)
    ctx: dict[str, Any] = {
        "task": task,
        "title": blind.projected_title(app, blind=hidden),
        "direction": direction,
        "hidden": hidden,
        "questions": blind.CONFLICT_QUESTIONS,
        "rubric": _rubric(),
        "now": timezone.now(),
        "overdue": bool(task.round.due_at and timezone.now() >= task.round.due_at),
        "closed": task.round.status != "assigned",
    }
    if task_readable(task):
        view = blind.project(app, blind=hidden)
        ctx.update(
            {
                "view": view,
                "facts_shown": [{"spec": s, "value": view["facts"].get(s.name)} for s in direction_fact_specs(guide, direction)],
            }
        )
    if task.state == ReviewAssignment.State.SUBMITTED:
        score = task.score
        ctx["score"] = score
        ctx["score_rows"] = [{**c, "points": score.points.get(c["key"])} for c in ctx["rubric"]]
    ctx.update(extra)
    return ctx


@roles_required(Role.EXPERT)
@require_POST
def expert_respond(request: HttpRequest, pk: int) -> HttpResponse:
    task = _own_task(request, pk)
    accept = request.POST.get("answer") == "accept"
    try:
        services.invitation_respond(
            actor=acting_user(request),
            assignment=task,
            accept=accept,
            statement=request.POST.get("statement", ""),
            conflict=request.POST.get("conflict", ""),
        )
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("已接受邀请，请评分。") if accept else _("已谢绝邀请，回避声明已记录。"))
    return redirect("portal:expert_task", pk=task.pk)


@roles_required(Role.EXPERT)
@require_POST
def expert_score(request: HttpRequest, pk: int) -> HttpResponse:
    task = _own_task(request, pk)
    # Every score and the comment checked at once (forms.score_entry), then the service.
    points, comment, errors = score_entry(DEFAULT_RUBRIC, request.POST)
    if not errors:
        try:
            services.score_submit(actor=acting_user(request), assignment=task, points=points, comment=comment)
        except YongkeError as e:
            field = error_field(e) or ""
            if field.startswith("points."):
                errors[field.split(".", 1)[1]] = error_text(e, named=False)
            elif field == "comment":
                errors["comment"] = error_text(e, named=False)
            else:
                flash(request, e)
                return redirect("portal:expert_task", pk=task.pk)
        else:
            messages.success(request, _("评分已提交。"))
            return redirect("portal:expert_task", pk=task.pk)
    values = {c.key: request.POST.get(f"points_{c.key}", "") for c in DEFAULT_RUBRIC}
    return render(
        request, "portal/expert_task.html", _task_context(request, task, errors=errors, values=values, comment=comment), status=400
    )


# --------------------------------------------------------------------------- the officer: assignment


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _float_or_none(raw: str | None, message: str) -> float | None:
    """A number typed in a form (blank: the default); ValueError carries the message to show."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(message) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(message)
    return value


def _call_choices(request: HttpRequest) -> list[Any]:
    return list(calls_visible_to(request.user).order_by("-opens_at")[:50])


def _round_detail(user, rnd: ReviewRound) -> dict[str, Any]:
    """A round's outcome: per application its experts with affinity, every exclusion with its reason."""
    assignments = list(
        rnd.assignments.select_related("application", "application__organisation", "expert__person", "expert__organisation").order_by(
            "application_id", "-affinity"
        )
    )
    per_app: dict[int, dict[str, Any]] = {}
    for a in assignments:
        row = per_app.setdefault(a.application_id, {"app": a.application, "experts": []})
        row["experts"].append(a)
    app_ids = {int(x["application"]) for x in rnd.exclusions if str(x.get("application", "")).isdigit()}
    expert_ids = {int(x["expert"]) for x in rnd.exclusions if str(x.get("expert", "")).isdigit()}
    apps = {a.pk: a for a in Application.objects.filter(pk__in=app_ids).only("id", "title")}
    experts = {e.pk: e for e in Expert.objects.filter(pk__in=expert_ids).select_related("person").only("id", "person__name")}
    exclusions = [
        {
            **x,
            "app": apps.get(int(x["application"])) if str(x["application"]).isdigit() else None,
            "expert_obj": experts.get(int(x["expert"])) if str(x["expert"]).isdigit() else None,
        }
        for x in rnd.exclusions
    ]
    return {"round": rnd, "rows": list(per_app.values()), "exclusions": exclusions, "mode_label": dict(MODES).get(rnd.mode, rnd.mode)}


@roles_required(Role.OFFICER)
def officer_assignment(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _assignment_run(request)
    rounds = list(rounds_visible_to(request.user).order_by("-created_at", "-id")[:30])
    selected = None
    if _int_or_none(request.GET.get("round")):
        selected = _round_detail(request.user, round_for(request.user, int(request.GET["round"])))
    calls = _call_choices(request)
    call_id = _int_or_none(request.GET.get("call")) or (selected["round"].call_id if selected else (calls[0].pk if calls else None))
    call = next((c for c in calls if c.pk == call_id), None)
    return render(
        request,
        "portal/officer_assignment.html",
        {
            "rounds": rounds,
            "selected": selected,
            "calls": calls,
            "call": call,
            "modes": MODES,
            "directions": _direction_choices(call),
            "values": request.POST or {},
            "floor_default": conf.affinity_floor(),
            "time_limit_default": conf.fair_time_limit(),
        },
    )


def _direction_choices(call) -> list[tuple[str, str]]:
    if call is None:
        return []
    guide = compiled_for(call.guide_version).guide
    names = {d.id: d.name for d in guide.directions}
    return [(d, names.get(d, "")) for d in sort_directions(call.directions)]


def _assignment_run(request: HttpRequest) -> HttpResponse:
    p = request.POST
    call = calls_visible_to(request.user).filter(pk=_int_or_none(p.get("call")) or 0).first()
    if call is None:
        messages.error(request, _("请选择申报批次。"))
        return redirect("portal:officer_assignment")
    back = f"{reverse('portal:officer_assignment')}?call={call.pk}"
    mode = p.get("mode", "optimal")
    due_at = None
    if p.get("due_at"):
        try:
            due = dt.datetime.fromisoformat(p["due_at"])
            due_at = timezone.make_aware(due) if timezone.is_naive(due) else due
        except ValueError:
            messages.error(request, _("评审截止时间格式不正确。"))
            return redirect(back)
    max_prob = None
    if mode == "random" and p.get("max_prob", "").strip():
        try:
            max_prob = float(p["max_prob"])
        except ValueError:
            messages.error(request, _("单对最大概率应为 0 至 1 之间的小数。"))
            return redirect(back)
    try:
        floor = _float_or_none(p.get("affinity_floor"), _("匹配度下限应为数字。"))
        time_limit = _float_or_none(p.get("time_limit"), _("求解时限应为 1 至 3600 之间的秒数。")) if mode == "fair" else None
    except ValueError as bad:
        messages.error(request, str(bad))
        return redirect(back)
    forced = []
    for pair in (x for x in p.get("forced", "").split(",") if x.strip()):
        a, _sep, e = pair.partition(":")
        if not (a.strip().isdigit() and e.strip().isdigit()):
            messages.error(request, _("指定专家的格式应为 申报编号:专家编号，多对用逗号分隔。"))
            return redirect(back)
        forced.append((int(a), int(e)))
    try:
        job = job_start_review_round(
            actor=acting_user(request),
            call=call,
            forced=forced or None,
            directions=[d for d in p.getlist("directions") if d] or None,
            k=_int_or_none(p.get("k")),
            min_load=_int_or_none(p.get("min_load")) or 0,
            max_load=_int_or_none(p.get("max_load")),
            mode=mode,
            seed=_int_or_none(p.get("seed")) if mode == "random" else None,
            max_prob=max_prob,
            due_at=due_at,
            affinity_floor=floor,
            one_per_organisation=p.get("one_per_organisation") == "1",
            time_limit=time_limit,
        )
    except YongkeError as e:
        flash(request, e)
        return redirect(back)
    # Conflicts and the solver run in the background; the job page shows progress, then links to the round.
    return redirect("portal:job_detail", pk=job.pk)


@roles_required(Role.OFFICER)
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = round_for(request.user, pk)
    try:
        services.review_round_close(actor=acting_user(request), round=rnd)
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("评审轮次已关闭。"))
    return redirect(f"{reverse('portal:officer_assignment')}?round={rnd.pk}")


# --------------------------------------------------------------------------- the officer: ranking


@roles_required(Role.OFFICER)
def officer_ranking(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _waive(request) if request.POST.get("op") == "waive" else _panel_move(request)
    rounds = list(rounds_visible_to(request.user).filter(status__in=("assigned", "closed")).order_by("-created_at", "-id")[:30])
    method = request.GET.get("method", "trimmed")
    if method not in dict(METHODS):
        method = "trimmed"
    rnd = None
    if _int_or_none(request.GET.get("round")):
        rnd = round_for(request.user, int(request.GET["round"]))
    elif rounds:
        rnd = rounds[0]
    ctx: dict[str, Any] = {"rounds": rounds, "round": rnd, "method": method, "methods": METHODS}
    if rnd is not None:
        result = ranking(request.user, rnd, method=method)
        experts = {str(e.pk): e.person.name for e in Expert.objects.filter(assignments__round=rnd).select_related("person").distinct()}
        names = {d.id: d.name for d in compiled_for(rnd.call.guide_version).guide.directions}
        budgets = rnd.call.budgets or {}
        directions = []
        incomplete = result["incomplete"]
        for d in sort_directions(set(result["directions"]) | set(incomplete)):
            rows = result["directions"].get(d, [])
            pending = incomplete.get(d, [])
            for r in (*rows, *pending):
                r["expert_scores"] = sorted(((experts.get(e, e), round(s, 2)) for e, s in r["scores"].items()), key=lambda x: x[0])
            line_after = next((i for i, r in enumerate(rows) if not r["funded"]), None)
            directions.append(
                {
                    "id": d,
                    "name": names.get(d, ""),
                    "rows": rows,
                    "pending": pending,
                    "line_at": line_after,
                    "n": len(rows),
                    "budget": budgets.get(d, budgets.get(d.split(".")[0])),
                }
            )
        ctx.update(
            {
                "directions": directions,
                "review": result["review"],
                "flagged": [{"name": experts.get(e, e), **st} for e, st in result["flagged_experts"].items()],
            }
        )
    return render(request, "portal/officer_ranking.html", ctx)


def _waive(request: HttpRequest) -> HttpResponse:
    """The officer records why an application is decided before every expert has scored."""
    p = request.POST
    rnd = round_for(request.user, _int_or_none(p.get("round")) or 0)
    back = f"{reverse('portal:officer_ranking')}?round={rnd.pk}&method={p.get('method', 'trimmed')}"
    app = application_for(request.user, _int_or_none(p.get("application")) or 0)
    try:
        services.review_waiver_record(actor=acting_user(request), round=rnd, application=app, reason=p.get("reason", ""))
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("理由已记录，可在申报页办理拟立项；理由显示在办理过程中。"))
    return redirect(back)


# --------------------------------------------------------------------------- the officer: the expert pool


@roles_required(Role.OFFICER)
def officer_experts(request: HttpRequest) -> HttpResponse:
    """The expert pool: who is in it, their fields, organisation and load, searchable."""
    q = request.GET.get("q", "").strip()[:100]
    industry = request.GET.get("field", "").strip()[:8]
    availability = request.GET.get("available", "")
    available = {"1": True, "0": False}.get(availability)
    pool = expert_pool_search(request.user, text=q, industry=industry, available=available)
    total = pool.count()
    experts = list(pool[:EXPERT_PAGE])
    return render(
        request,
        "portal/officer_experts.html",
        {
            "experts": experts,
            "total": total,
            "shown": len(experts),
            "q": q,
            "field": industry,
            "available": availability,
            "page_size": EXPERT_PAGE,
        },
    )


def _panel_move(request: HttpRequest) -> HttpResponse:
    p = request.POST
    rnd = round_for(request.user, _int_or_none(p.get("round")) or 0)
    back = f"{reverse('portal:officer_ranking')}?round={rnd.pk}&method={p.get('method', 'trimmed')}"
    app = application_for(request.user, _int_or_none(p.get("application")) or 0)
    position = _int_or_none(p.get("position"))
    # The ranking refuses a position outside 1..n of the direction (a ValueError there); check it first.
    n = rnd.assignments.filter(application__direction=app.direction).values("application_id").distinct().count()
    if position is None or not 1 <= position <= n:
        messages.error(request, _("名次应在 1 至 %(n)d 之间。") % {"n": n})
        return redirect(back)
    try:
        services.panel_move(actor=acting_user(request), round=rnd, application=app, position=position, reason=p.get("reason", ""))
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("会评调整已记录。"))
    return redirect(back)

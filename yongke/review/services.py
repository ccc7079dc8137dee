"""Writes of the expert review: the pool, declarations, assignment rounds, invitations, scores,
panel moves. Each is atomic, permission-checked and audited."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications.models import Application, Call
from yongke.audit.services import audit_batch, audit_record
from yongke.core.errors import BadInput, Conflict, NotFound, PermissionDenied, Refused
from yongke.notifications import events as notify
from yongke.orgs.models import Organisation, Person
from yongke.review import assignment as solver
from yongke.review import conf, scoring
from yongke.review.conflicts import ApplicationInfo, ConflictRules, ExpertInfo, affinity, exclusions
from yongke.review.models import DecisionWaiver, Declaration, Employment, Expert, PanelMove, ReviewAssignment, ReviewRound, Score
from yongke.review.selectors import LIVE_ROUNDS, progress_in, review_progress_of, round_programmes

AVOID_LIMIT = 3  # experts an applicant may ask to avoid, per application (each with a reason)


def _officer_of(actor: Actor, programmes: set[str]) -> None:
    """An officer may organise the review of applications of their own programmes only."""
    scope = scope_of(actor)
    if scope.is_system:
        return
    if not programmes or not all(scope.officer_for(p) for p in programmes):
        raise PermissionDenied(
            "只有负责该专项的项目处人员可以组织评审 / officers of the programme only", detail={"programmes": sorted(programmes)}
        )


def _round_programmes(rnd: ReviewRound) -> set[str]:
    return round_programmes(rnd)


# --------------------------------------------------------------------------- pool


@transaction.atomic
def expert_add(
    *,
    actor: Actor,
    person: Person,
    organisation: Organisation | None = None,
    title: str = "",
    fields: list[str] | None = None,
    keywords: list[str] | None = None,
    region: str = "",
    max_load: int = 6,
    user=None,
    past: list[tuple[Organisation, dt.date | None]] | None = None,
) -> Expert:
    require_role(actor, Role.OFFICER)
    fields = [f.strip().upper() for f in (fields or []) if f.strip()]
    for f in fields:
        if not (f[0].isalpha() and f[1:].isdigit() and 1 <= len(f) <= 5):
            raise BadInput(
                f"fields: 专业领域应为 GB/T 4754 代码，如 C3976（收到 {f}）/ bad industry code", detail={"field": "fields", "value": f}
            )
    if Expert.objects.filter(person=person).exists():
        raise Conflict(f"{person.name} 已在专家库中 / already in the pool", detail={"person": person.pk})
    expert = Expert(
        person=person,
        organisation=organisation,
        title=title,
        fields=fields,
        keywords=[k.strip() for k in keywords or [] if k.strip()],
        region=region,
        max_load=max_load,
        user=user,
    )
    expert.full_clean()
    expert.save()
    for org, ended in past or []:
        Employment.objects.create(expert=expert, organisation=org, ended_on=ended)
    audit_record(actor=actor, action="expert_add", target_type="expert", target_id=expert.pk)
    return expert


def expert_import(*, actor: Actor, path: Path, dry_run: bool = False) -> dict[str, Any]:
    """Import experts from xlsx/csv, all or nothing, with a per-row error report.

    Columns: 姓名, 身份证号码, 工作单位统一社会信用代码, 职称, 专业领域 (GB/T 4754 codes separated by
    、 or ,), 关键词, 地区, 最多评审数.
    """
    from yongke.core import crypto
    from yongke.orgs.services import read_table
    from yongke.orgs.validators import check_id_number

    require_role(actor, Role.OFFICER)
    rows = read_table(path)
    errors: list[dict[str, Any]] = []
    plan: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=2):
        name = str(row.get("姓名") or row.get("name") or "").strip()
        idn = str(row.get("身份证号码") or row.get("id_number") or "").strip()
        uscc = str(row.get("工作单位统一社会信用代码") or row.get("organisation") or "").strip().upper()
        if not name:
            errors.append({"row": i, "field": "姓名", "message": "姓名不能为空"})
            continue
        v = check_id_number(idn)
        if not v.valid:
            errors.append({"row": i, "field": "身份证号码", "message": v.reason})
            continue
        org = Organisation.objects.filter(uscc=uscc).first() if uscc else None
        if uscc and org is None:
            errors.append({"row": i, "field": "工作单位统一社会信用代码", "message": f"单位 {uscc} 不在单位库中 / unknown organisation"})
            continue
        fields = [f.strip().upper() for f in str(row.get("专业领域") or row.get("fields") or "").replace("、", ",").split(",") if f.strip()]
        bad = [f for f in fields if not (f[0].isalpha() and f[1:].isdigit() and len(f) <= 5)]
        if bad:
            errors.append({"row": i, "field": "专业领域", "message": f"不是 GB/T 4754 代码：{', '.join(bad)}"})
            continue
        try:
            max_load = int(str(row.get("最多评审数") or row.get("max_load") or 6))
        except ValueError:
            errors.append({"row": i, "field": "最多评审数", "message": "应为整数"})
            continue
        plan.append(
            {
                "name": name,
                "id": v.value,
                "org": org,
                "title": str(row.get("职称") or "").strip(),
                "fields": fields,
                "keywords": [k.strip() for k in str(row.get("关键词") or "").replace("、", ",").split(",") if k.strip()],
                "region": str(row.get("地区") or "").strip(),
                "max_load": max_load,
                "row": i,
            }
        )
    report = {"rows": len(rows), "valid": len(plan), "errors": errors, "dry_run": dry_run, "applied": False}
    if errors or dry_run:
        return report
    from yongke.orgs.services import person_create

    with transaction.atomic(), audit_batch():  # the entries appended together at the end (audit_batch)
        for p in plan:
            known = Person.objects.filter(id_number_hash__in=crypto.lookup_hashes(p["id"])).first()  # any key's hash, as before a rotation
            person = known or person_create(actor=actor, name=p["name"], id_number=p["id"], organisation=p["org"])
            if Expert.objects.filter(person=person).exists():
                continue
            expert_add(
                actor=actor,
                person=person,
                organisation=p["org"],
                title=p["title"],
                fields=p["fields"],
                keywords=p["keywords"],
                region=p["region"],
                max_load=p["max_load"],
            )
    report["applied"] = True
    return report


@transaction.atomic
def declaration_add(
    *,
    actor: Actor,
    expert: Expert,
    kind: str,
    reason: str,
    organisation: Organisation | None = None,
    person: Person | None = None,
    application: Application | None = None,
) -> Declaration:
    """Record a conflict. Experts declare their own; applicants may ask to avoid up to three
    experts per application, each with a reason."""
    if kind not in Declaration.Kind.values:
        raise BadInput(f"kind: 应为 {', '.join(Declaration.Kind.values)} / unknown kind", detail={"field": "kind"})
    if not reason.strip():
        raise BadInput("reason: 回避须说明理由 / a reason is required", detail={"field": "reason"})
    if organisation is None and person is None and application is None:
        raise BadInput("须指明回避的单位、人员或申报 / name what to avoid", detail={"field": "organisation"})
    scope = scope_of(actor)
    if not scope.is_system:
        if kind == Declaration.Kind.APPLICANT_REQUEST:
            if application is None or application.organisation_id not in scope.organisations:
                raise PermissionDenied("只能为本单位的申报申请回避 / only for your own application")
        elif not (scope.has(Role.OFFICER) or (expert.user_id and expert.user_id == getattr(actor, "pk", None))):
            raise PermissionDenied("只能申报本人的回避 / only your own declarations")
    if kind == Declaration.Kind.APPLICANT_REQUEST:
        if application is None:
            raise BadInput("application: 申请回避须指明申报 / application required", detail={"field": "application"})
        n = Declaration.objects.filter(application=application, kind=kind).count()
        if n >= AVOID_LIMIT:
            raise Refused(f"每个申报最多申请回避 {AVOID_LIMIT} 位专家 / at most {AVOID_LIMIT} avoidance requests", code="avoid_limit")
    d = Declaration.objects.create(
        expert=expert,
        kind=kind,
        reason=reason.strip(),
        organisation=organisation,
        person=person,
        application=application,
        created_by=user_of(actor),
    )
    audit_record(actor=actor, action="declaration_add", target_type="expert", target_id=expert.pk, data={"kind": kind})
    _withdraw_conflicted_tasks(actor=actor, declaration=d)
    return d


def _withdraw_conflicted_tasks(*, actor: Actor, declaration: Declaration) -> None:
    """A conflict declared after the expert was assigned ends their part in the review of what it
    concerns (the application, its organisation, or a person who leads or works on it) while
    that application is still under review: the task becomes declined (回避) and a score already
    given no longer counts — it is removed from the round, its points kept in the audit entry —
    so the funding decision waits for the review to be complete again (a replacement expert) or
    for the officer's recorded reason (`review_waiver_record`), as for any missing score."""
    from django.db.models import Q

    concerns = Q()
    if declaration.application_id:
        concerns |= Q(application_id=declaration.application_id)
    if declaration.organisation_id:
        concerns |= Q(application__organisation_id=declaration.organisation_id)
    if declaration.person_id:
        concerns |= Q(application__leader_id=declaration.person_id) | Q(application__team__person_id=declaration.person_id)
    ids = set(
        ReviewAssignment.objects.filter(
            concerns, expert=declaration.expert, round__status__in=LIVE_ROUNDS, application__state="expert_review"
        )
        .exclude(state=ReviewAssignment.State.DECLINED)
        .values_list("pk", flat=True)
    )  # the team join may repeat a task; PostgreSQL locks no DISTINCT rows, so the ids first, then the lock
    tasks = ReviewAssignment.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    now = timezone.now()
    for task in tasks:
        score = Score.objects.filter(assignment=task).first()
        withdrawn = {"points": score.points, "total": score.total, "comment": score.comment} if score is not None else None
        if score is not None:
            score.delete()
        task.state = ReviewAssignment.State.DECLINED
        task.decline_reason = f"回避：{declaration.reason}"
        task.responded_at = now
        task.save(update_fields=["state", "decline_reason", "responded_at"])
        audit_record(
            actor=actor,
            action="review_task_conflict",
            target_type="application",
            target_id=task.application_id,
            comment=declaration.reason,
            data={
                "task": task.pk,
                "round": task.round_id,
                "expert": task.expert_id,
                "declaration": declaration.pk,
                "withdrawn_score": withdrawn,
            },
        )


# --------------------------------------------------------------------------- rounds


def _infos(apps: list[Application], experts: list[Expert]) -> tuple[list[ApplicationInfo], list[ExpertInfo]]:
    from yongke.applications.models import TeamMember

    team: dict[int, set[int]] = {}
    for tm in TeamMember.objects.filter(application__in=apps).values("application_id", "person_id"):
        team.setdefault(tm["application_id"], set()).add(tm["person_id"])
    co: dict[int, set[int]] = {}
    for row in Application.co_applicants.through.objects.filter(application__in=apps).values("application_id", "organisation_id"):
        co.setdefault(row["application_id"], set()).add(row["organisation_id"])
    avoid: dict[int, set[str]] = {}
    declared_apps: dict[int, set[str]] = {}
    declared_orgs: dict[int, set[int]] = {}
    relatives: dict[int, set[int]] = {}
    for d in Declaration.objects.filter(expert__in=experts):
        if d.kind == Declaration.Kind.APPLICANT_REQUEST and d.application_id:
            avoid.setdefault(d.application_id, set()).add(str(d.expert_id))
        elif d.kind == Declaration.Kind.RELATIVE and d.person_id:
            relatives.setdefault(d.expert_id, set()).add(d.person_id)
        else:
            if d.application_id:
                declared_apps.setdefault(d.expert_id, set()).add(str(d.application_id))
            if d.organisation_id:
                declared_orgs.setdefault(d.expert_id, set()).add(d.organisation_id)
            if d.person_id:
                relatives.setdefault(d.expert_id, set()).add(d.person_id)
    past: dict[int, list[tuple[int, dt.date | None]]] = {}
    for emp in Employment.objects.filter(expert__in=experts):
        past.setdefault(emp.expert_id, []).append((emp.organisation_id, emp.ended_on))
    app_infos = [
        ApplicationInfo(
            id=str(a.pk),
            organisation=a.organisation_id,
            co_organisations=frozenset(co.get(a.pk, ())),
            team=frozenset(team.get(a.pk, set()) | ({a.leader_id} if a.leader_id else set())),
            avoid=frozenset(avoid.get(a.pk, ())),
            industry=a.organisation.industry,
            text=f"{a.title} {a.summary}",
        )
        for a in apps
    ]
    expert_infos = [
        ExpertInfo(
            id=str(e.pk),
            organisation=e.organisation_id,
            person=e.person_id,
            past=tuple(past.get(e.pk, ())),
            declared_organisations=frozenset(declared_orgs.get(e.pk, ())),
            declared_applications=frozenset(declared_apps.get(e.pk, ())),
            relatives=frozenset(relatives.get(e.pk, ())),
            fields=tuple(e.fields),
            keywords=tuple(e.keywords),
        )
        for e in experts
    ]
    return app_infos, expert_infos


def authorize_review_round(*, actor: Actor, call: Call) -> None:
    """Who may run an assignment round for a call: officers (of the programmes of the applications
    in review, checked again when the round runs) and admins. Checked before the work is queued."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以分配评审专家 / officers only")


@transaction.atomic
def review_round_run(
    *,
    actor: Actor,
    call: Call,
    directions: list[str] | None = None,
    k: int | None = None,
    min_load: int = 0,
    max_load: int | None = None,
    mode: str = "optimal",
    seed: int | None = None,
    max_prob: float | None = None,
    years_since_employment: int = 3,
    forced: list[tuple[int, int]] | None = None,
    due_at: dt.datetime | None = None,
    scores: dict[tuple[int, int], float] | None = None,
    affinity_floor: float | None = None,
    one_per_organisation: bool = False,
    time_limit: float | None = None,
) -> ReviewRound:
    """Assign experts to the call's applications in expert review, and invite them.

    Affinity comes from fields and keywords, or from `scores` supplied from outside. Conflicted
    pairs are never candidates; each exclusion is recorded with its reason. Nor is a pair whose
    affinity is at or below `affinity_floor` (default: the setting, 0). With
    `one_per_organisation` no application gets two experts of one organisation. Fair mode
    searches for at most `time_limit` seconds (default: the setting, 30) and records what it
    proved (`solver`). An infeasible round is stored with status "infeasible" and its diagnosis,
    and no one is invited.
    """
    authorize_review_round(actor=actor, call=call)
    if mode not in solver.MODES:
        raise BadInput(f"mode: 应为 {', '.join(solver.MODES)} / unknown mode", detail={"field": "mode"})
    floor, limit = _round_limits(affinity_floor, time_limit)
    k = k or call.experts_per_application
    apps = list(Application.objects.filter(call=call, state="expert_review").select_related("organisation"))
    if directions:
        apps = [a for a in apps if a.direction in directions]
    if not apps:
        require_role(actor, Role.OFFICER)
        raise Refused("本批次没有处于专家评审阶段的申报 / no application awaits expert review", code="nothing_to_assign")
    _officer_of(actor, {a.programme for a in apps})
    already = set(ReviewAssignment.objects.filter(application__in=apps, round__status="assigned").values_list("application_id", flat=True))
    if already:
        raise Refused(
            f"申报 {sorted(already)[:5]} 已分配专家；如需重新分配请先关闭原轮次 / already assigned",
            code="already_assigned",
            detail={"applications": sorted(already)},
        )
    experts = list(Expert.objects.filter(available=True).select_related("person"))
    app_infos, expert_infos = _infos(apps, experts)
    rules = ConflictRules(years_since_employment=years_since_employment, on=timezone.localdate())
    excluded = exclusions(app_infos, expert_infos, rules)
    conflict_pairs = {(x.application, x.expert) for x in excluded}
    if scores is not None:
        pair_scores = {(str(a), str(e)): float(s) for (a, e), s in scores.items()}
    else:
        pair_scores = {(a.id, e.id): affinity(e, a) for a in app_infos for e in expert_infos}
    loads = {str(e.pk): (min_load, min(e.max_load, max_load) if max_load is not None else e.max_load) for e in experts}
    organisations = {str(e.pk): e.organisation_id for e in experts} if one_per_organisation else None
    rnd = ReviewRound(
        call=call,
        directions=directions or [],
        k=k,
        min_load=min_load,
        max_load=max_load or max((e.max_load for e in experts), default=0),
        mode=mode,
        seed=seed,
        max_prob=max_prob,
        years_since_employment=years_since_employment,
        one_per_organisation=one_per_organisation,
        affinity_floor=floor,
        time_limit=limit if mode == "fair" else None,
        due_at=due_at,
        exclusions=[x.as_dict() for x in excluded],
        created_by=user_of(actor),
    )
    forced_pairs = {(str(a), str(e)) for a, e in forced or []}
    _check_forced(forced_pairs, conflict_pairs, pair_scores, floor)
    try:
        inst = solver.build_instance(
            pair_scores,
            k=k,
            min_load=min_load,
            max_load=rnd.max_load,
            conflicts=conflict_pairs,
            forced=forced_pairs,
            loads=loads,
            floor=floor,
            organisations=organisations,
        )
        result = solver.assign(inst, mode=mode, seed=seed, max_prob=max_prob, time_limit=limit if mode == "fair" else None)
    except solver.Infeasible as e:
        rnd.status = "infeasible"
        rnd.diagnosis = e.diagnosis
        rnd.save()
        audit_record(actor=actor, action="review_round_infeasible", target_type="call", target_id=call.pk, data={"round": rnd.pk})
        return rnd  # kept with its diagnosis: the officer sees why, and the attempt stays on the record
    rnd.status = "assigned"
    rnd.total_affinity = result.total()
    rnd.solver = {
        **result.info,
        "below_floor_excluded": int(inst.below_floor.sum()),
        "same_organisation_excluded": int(inst.group_blocked.sum()),
        "seconds": round(result.seconds, 3),
    }
    if mode == "random":
        rnd.seed = result.info.get("seed")
        rnd.max_prob = result.info.get("max_prob")
    rnd.save()
    inst = result.instance
    rows = [
        ReviewAssignment(
            round=rnd,
            application_id=int(inst.applications[inst.edge_app[i]]),
            expert_id=int(inst.experts[inst.edge_expert[i]]),
            affinity=float(inst.score[i]),
            forced=bool(inst.forced[i]),
        )
        for i in result.chosen
    ]
    ReviewAssignment.objects.bulk_create(rows)
    notify.experts_invited(actor=actor, assignments=rows)  # delivered after the commit
    audit_record(
        actor=actor,
        action="review_round_run",
        target_type="call",
        target_id=call.pk,
        data={
            "round": rnd.pk,
            "mode": mode,
            "seed": rnd.seed,
            "total_affinity": rnd.total_affinity,
            "assignments": len(rows),
            "exclusions": len(excluded),
            "affinity_floor": floor,
            "one_per_organisation": one_per_organisation,
            **({"time_limit": limit, "timed_out": result.info.get("timed_out"), "gap": result.info.get("gap")} if mode == "fair" else {}),
        },
    )
    return rnd


def _round_limits(affinity_floor: float | None, time_limit: float | None) -> tuple[float, float]:
    """The round's affinity floor and fair-mode time limit: given, or the settings' defaults."""
    floor = conf.affinity_floor() if affinity_floor is None else affinity_floor
    if isinstance(floor, bool) or not isinstance(floor, int | float) or not math.isfinite(floor):
        raise BadInput(f"affinity_floor: 匹配度下限应为数「{floor}」/ must be a number", detail={"field": "affinity_floor"})
    limit = conf.fair_time_limit() if time_limit is None else time_limit
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit <= solver.MAX_TIME_LIMIT:
        raise BadInput(
            f"time_limit: 求解时限应在 0 到 {solver.MAX_TIME_LIMIT:g} 秒之间「{limit}」/ must be in (0, {solver.MAX_TIME_LIMIT:g}] seconds",
            detail={"field": "time_limit"},
        )
    return float(floor), float(limit)


def _check_forced(
    forced: set[tuple[str, str]], conflicts: set[tuple[str, str]], scores: dict[tuple[str, str], float], floor: float
) -> None:
    """A forced pair is an officer's choice, but never a conflicted one nor one at or below the floor."""
    bad_forced = forced & conflicts
    if bad_forced:
        raise Refused(f"指定的专家与申报存在利益冲突：{sorted(bad_forced)} / a forced pair is conflicted", code="forced_conflict")
    low = sorted(p for p in forced if p in scores and scores[p] <= floor)
    if low:
        a, e = low[0]
        raise Refused(
            f"指定的专家 {e} 与申报 {a} 的匹配度 {scores[low[0]]:g} 不高于下限 {floor:g}；如确需指定，请降低本轮的匹配度下限"
            " / a forced pair is at or below the affinity floor",
            code="forced_below_floor",
            detail={"pairs": [list(p) for p in low], "floor": floor},
        )


@transaction.atomic
def review_round_close(*, actor: Actor, round: ReviewRound) -> ReviewRound:
    _officer_of(actor, _round_programmes(round))
    round.status = "closed"
    round.save(update_fields=["status"])
    audit_record(actor=actor, action="review_round_close", target_type="review_round", target_id=round.pk)
    return round


# --------------------------------------------------------------------------- the expert's side


def _own(actor: Actor, assignment: ReviewAssignment) -> ReviewAssignment:
    a = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("expert", "round", "application")
        .filter(pk=assignment.pk)
        .first()
    )
    if a is None:
        raise NotFound("评审任务不存在 / not found")
    if not scope_of(actor).is_system and not (a.expert.user_id and a.expert.user_id == getattr(actor, "pk", None)):
        raise PermissionDenied("只能处理分配给本人的评审任务 / not your review")
    return a


@transaction.atomic
def invitation_respond(
    *, actor: Actor, assignment: ReviewAssignment, accept: bool, statement: str = "", conflict: str = ""
) -> ReviewAssignment:
    """Accept (with a statement that there is no conflict of interest) or decline (declaring a
    conflict, which is recorded and excludes the pair from any later round)."""
    a = _own(actor, assignment)
    if a.state != ReviewAssignment.State.INVITED:
        raise Refused("该邀请已答复 / already answered", code="bad_state", detail={"state": a.state})
    if a.round.due_at and timezone.now() >= a.round.due_at:
        raise Refused("评审已截止 / the review deadline has passed", code="deadline_passed")
    if accept:
        if not statement.strip():
            raise BadInput(
                "statement: 接受邀请须声明与该申报无利益冲突 / a no-conflict statement is required", detail={"field": "statement"}
            )
        a.state = ReviewAssignment.State.ACCEPTED
        a.conflict_statement = statement.strip()
    else:
        reason = conflict.strip() or statement.strip()
        if not reason:
            raise BadInput("conflict: 谢绝须说明理由（如存在利益冲突请写明）/ a reason is required", detail={"field": "conflict"})
        a.state = ReviewAssignment.State.DECLINED
        a.decline_reason = reason
        if conflict.strip():
            Declaration.objects.create(
                expert=a.expert, kind=Declaration.Kind.EXPERT, application=a.application, reason=conflict.strip(), created_by=user_of(actor)
            )
    a.responded_at = timezone.now()
    a.save()
    audit_record(
        actor=actor, action="invitation_accept" if accept else "invitation_decline", target_type="review_assignment", target_id=a.pk
    )
    return a


def rubric_for(call: Call) -> tuple[scoring.Criterion, ...]:
    return scoring.DEFAULT_RUBRIC


@transaction.atomic
def score_submit(*, actor: Actor, assignment: ReviewAssignment, points: dict[str, float], comment: str) -> Score:
    a = _own(actor, assignment)
    if a.state != ReviewAssignment.State.ACCEPTED:
        raise Refused(
            "接受邀请后才能评分；已提交的评分不能修改 / accept first; a submitted score is final",
            code="bad_state",
            detail={"state": a.state},
        )
    if a.round.due_at and timezone.now() >= a.round.due_at:
        raise Refused("评审已截止 / the review deadline has passed", code="deadline_passed")
    if not comment.strip():
        raise BadInput("comment: 须填写评审意见 / a comment is required", detail={"field": "comment"})
    try:
        total = scoring.weighted_total(rubric_for(a.round.call), points)
    except ValueError as e:
        field = str(e).split(":")[0]
        raise BadInput(str(e), detail={"field": f"points.{field}"}) from None
    score = Score.objects.create(assignment=a, points=points, total=total, comment=comment.strip())
    a.state = ReviewAssignment.State.SUBMITTED
    a.save(update_fields=["state"])
    a.expert.past_reviews += 1
    a.expert.save(update_fields=["past_reviews"])
    audit_record(actor=actor, action="score_submit", target_type="review_assignment", target_id=a.pk, data={"total": total})
    return score


def reminders_due(*, within: dt.timedelta = dt.timedelta(days=2), now: dt.datetime | None = None) -> list[ReviewAssignment]:
    """Open review tasks whose round closes within `within` (reminders to send)."""
    now = now or timezone.now()
    return list(
        ReviewAssignment.objects.filter(
            state__in=("invited", "accepted"),
            round__status="assigned",
            round__due_at__isnull=False,
            round__due_at__gt=now,
            round__due_at__lte=now + within,
        ).select_related("expert__person", "round")
    )


@transaction.atomic
def reminders_mark(*, actor: Actor, assignments: list[ReviewAssignment], now: dt.datetime | None = None) -> int:
    """Record that the experts of these tasks were reminded (officers, admins, the scheduler)."""
    require_role(actor, Role.OFFICER)
    now = now or timezone.now()
    notify.experts_reminded(actor=actor, assignments=assignments, now=now)  # delivered after the commit
    return ReviewAssignment.objects.filter(pk__in=[a.pk for a in assignments]).update(reminded_at=now)


# --------------------------------------------------------------------------- ranking


@transaction.atomic
def panel_move(*, actor: Actor, round: ReviewRound, application: Application, position: int, reason: str) -> PanelMove:
    _officer_of(actor, {application.programme})
    if not reason.strip():
        raise BadInput("reason: 会评调整名次须记录理由 / a reason is required", detail={"field": "reason"})
    if not ReviewAssignment.objects.filter(round=round, application=application).exists():
        raise BadInput("application: 不在本轮评审中 / not in this round", detail={"field": "application"})
    progress = progress_in(round)
    if not progress[application.pk].complete:
        p = progress[application.pk]
        raise Refused(
            f"评审未完成（{p.assigned} 位专家中 {p.scored} 位已评分），不参与排名，不能调整名次"
            f" / the review is incomplete ({p.scored} of {p.assigned} experts have scored): not ranked, cannot be moved",
            code="review_incomplete",
            detail={"scored": p.scored, "assigned": p.assigned},
        )
    in_direction = set(
        ReviewAssignment.objects.filter(round=round, application__direction=application.direction).values_list("application_id", flat=True)
    )
    ranked = sum(1 for a in in_direction if progress[a].complete)
    if not 1 <= position <= ranked:
        raise BadInput(f"position: 名次应在1至{ranked}之间 / position out of range", detail={"field": "position", "value": position})
    move = PanelMove.objects.create(round=round, application=application, position=position, reason=reason.strip(), moved_by=user_of(actor))
    audit_record(
        actor=actor,
        action="panel_move",
        target_type="application",
        target_id=application.pk,
        comment=reason.strip(),
        data={"round": round.pk, "position": position},
    )
    return move


# --------------------------------------------------------------------------- deciding on an incomplete review


@transaction.atomic
def review_waiver_record(*, actor: Actor, round: ReviewRound, application: Application, reason: str) -> DecisionWaiver:
    """Record why the application may be decided (拟立项) before every expert assigned to it in the
    round has scored. The programme's officers only; refused when the review is complete, or the
    round is not the application's latest. Audited on the application, so its timeline shows it."""
    _officer_of(actor, {application.programme})
    reason = reason.strip()
    if not reason:
        raise BadInput("reason: 须写明不等评审完成即决定的理由 / a reason is required", detail={"field": "reason"})
    latest, progress = review_progress_of(application)
    if latest is None or latest.pk != round.pk:
        raise BadInput("application: 不在本轮评审中（或已有更新的评审轮次）/ not in this round", detail={"field": "application"})
    if progress.complete:
        raise Refused(f"评审已完成（{progress.assigned} 位专家均已评分），无需记录理由 / the review is complete", code="review_complete")
    waiver = DecisionWaiver(
        round=round,
        application=application,
        reason=reason,
        scored=progress.scored,
        assigned=progress.assigned,
        recorded_by=user_of(actor),
    )
    waiver.full_clean()
    waiver.save()
    audit_record(
        actor=actor,
        action="review_waiver",
        target_type="application",
        target_id=application.pk,
        comment=reason,
        data={
            "round": round.pk,
            "waiver": waiver.pk,
            "scored": progress.scored,
            "assigned": progress.assigned,
            "missing": progress.missing,
        },
    )
    return waiver

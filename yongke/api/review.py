"""Expert review: the pool, declarations, assignment rounds, the expert's invitations and scores,
and the ranking with the funding line."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictFloat, StrictInt

from yongke.api.auth import actor
from yongke.api.calls import call_for
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Code, Flag, Id, Input, Page, PageQuery, Ref, Text, When, local, paginate
from yongke.applications import selectors as app_selectors
from yongke.core.errors import BadInput, NotFound
from yongke.orgs.models import Organisation, Person
from yongke.review import blind, scoring, selectors, services
from yongke.review.models import Expert, ReviewAssignment, ReviewRound

router = Router(tags=["review"])


class ExpertOut(Schema):
    id: int
    name: str
    organisation: str | None
    title: str
    fields: list[str]
    keywords: list[str]
    available: bool
    max_load: int
    past_reviews: int
    region: str
    load: int | None = Field(None, description="在办评审任务数（已邀请或已接受）/ open review tasks (invited or accepted)")


def expert_out(e: Expert) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.person.name,
        "organisation": e.organisation.name if e.organisation else None,
        "title": e.title,
        "fields": e.fields,
        "keywords": e.keywords,
        "available": e.available,
        "max_load": e.max_load,
        "past_reviews": e.past_reviews,
        "region": e.region,
        "load": getattr(e, "load", None),
    }


class ExpertQuery(PageQuery):
    q: Text = Field("", max_length=100, description="姓名、单位、职称、地区或关键词 / name, organisation, title, region or keyword")
    field: Text = Field("", max_length=8, description="GB/T 4754 专业领域代码或其前缀 / field code or its prefix")
    organisation: Text = Field("", max_length=100, description="工作单位名称 / organisation name")
    available: bool | None = Field(None, description="可参加评审 / available for review")


@router.get("/experts", response={200: Page[ExpertOut], **ERRORS}, summary="专家库（项目处），可检索 / the expert pool, searchable")
def experts_list(request: HttpRequest, query: Query[ExpertQuery]):
    pool = selectors.expert_pool_search(
        actor(request), text=query.q, industry=query.field, organisation=query.organisation, available=query.available
    )
    return paginate(pool.order_by("pk"), query, expert_out)


class ExpertIn(Input):
    person: Ref
    organisation: Ref | None = None
    title: Text = Field("", max_length=50)
    fields: list[Code] = Field(default_factory=list, max_length=20)
    keywords: list[Text] = Field(default_factory=list, max_length=50)
    region: Text = Field("", max_length=50)
    max_load: StrictInt = Field(6, ge=0, le=100)


@router.post("/experts", response={201: ExpertOut, **WRITE_ERRORS}, summary="加入专家库（项目处）/ add an expert")
def experts_create(request: HttpRequest, payload: ExpertIn):
    # Any registered person may join the pool, and only officers may add one (expert_add decides):
    # the lookups are not narrowed by what the caller sees, so a refused caller is told 403, not "unknown".
    person = Person.objects.filter(pk=payload.person).first()
    if person is None:
        raise BadInput("person: 人员不存在 / unknown person", detail={"field": "person"})
    org = Organisation.objects.filter(pk=payload.organisation).first() if payload.organisation else None
    if payload.organisation and org is None:
        raise BadInput("organisation: 单位不存在 / unknown organisation", detail={"field": "organisation"})
    e = services.expert_add(
        actor=actor(request),
        person=person,
        organisation=org,
        title=payload.title,
        fields=payload.fields,
        keywords=payload.keywords,
        region=payload.region,
        max_load=payload.max_load,
        user=person.user,
    )
    return Status(201, expert_out(e))


class DeclarationIn(Input):
    kind: Code
    reason: Text = Field(min_length=1, max_length=2000)
    organisation: Ref | None = None
    application: Ref | None = None


class DeclarationOut(Schema):
    id: int
    kind: str


@router.post(
    "/experts/{int:expert_id}/declarations",
    response={201: DeclarationOut, **WRITE_ERRORS},
    summary="回避声明：专家自行申报，或申报单位申请回避（最多3位）/ declare a conflict",
)
def experts_declare(request: HttpRequest, expert_id: Id, payload: DeclarationIn):
    user = actor(request)
    # Not through a visibility selector: an applicant asks to avoid experts (and an expert declares
    # organisations) it cannot otherwise see; declaration_add decides who may declare what.
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(f"专家 {expert_id} 不存在 / not found")
    app = app_selectors.application_for(user, payload.application) if payload.application else None
    org = Organisation.objects.filter(pk=payload.organisation).first() if payload.organisation else None
    d = services.declaration_add(actor=user, expert=expert, kind=payload.kind, reason=payload.reason, organisation=org, application=app)
    return Status(201, {"id": d.pk, "kind": d.kind})


class RoundIn(Input):
    directions: list[Code] | None = Field(None, max_length=1000)
    k: StrictInt | None = Field(None, ge=1, le=50)
    min_load: StrictInt = Field(0, ge=0, le=100)
    max_load: StrictInt | None = Field(None, ge=1, le=100)
    mode: Code = "optimal"
    seed: StrictInt | None = Field(None, ge=0, le=2**62)
    max_prob: StrictFloat | None = Field(None, gt=0, le=1)
    years_since_employment: StrictInt = Field(3, ge=0, le=30)
    due_at: When | None = None
    affinity_floor: StrictFloat | StrictInt | None = Field(
        None, ge=-1e6, le=1e6, description="匹配度下限：不高于它的配对不分配（默认按系统设置，0）/ pairs at or below it are never assigned"
    )
    one_per_organisation: Flag = Field(
        False, description="同一申报的专家来自不同单位 / experts of one application from different organisations"
    )
    time_limit: StrictFloat | StrictInt | None = Field(
        None, gt=0, le=3600, description="公平优先的求解时限（秒，默认按系统设置，30）/ fair mode's time limit in seconds"
    )


class ExclusionOut(Schema):
    application: str
    expert: str
    code: str
    reason: str


class AssignmentOut(Schema):
    id: int
    application: int
    expert: int
    expert_name: str
    affinity: float
    state: str


class RoundOut(Schema):
    id: int
    call: int
    status: str = Field(description="draft | assigned | infeasible | closed")
    mode: str
    k: int
    min_load: int
    max_load: int
    seed: int | None
    max_prob: float | None
    total_affinity: float | None
    due_at: dt.datetime | None
    exclusions: int = Field(description="回避的（申报、专家）对数 / conflicted pairs excluded")
    diagnosis: dict[str, Any] = Field(description="不可行时：原因与问题 / when infeasible: why")
    assignments: int
    exclusion_list: list[ExclusionOut]
    assignment_list: list[AssignmentOut]
    affinity_floor: float | None = Field(description="匹配度下限（旧轮次为 null：未设下限）/ the affinity floor (null: none)")
    one_per_organisation: bool
    time_limit: float | None = Field(description="公平优先的求解时限（秒）/ fair mode's time limit")
    solver: dict[str, Any] = Field(
        description="求解信息；公平优先含 proven_optimal、timed_out、gap（worst、total）/ what the solver proved (fair: gap, timed_out)"
    )


def round_out(r: ReviewRound) -> dict[str, Any]:
    assignments = [
        {
            "id": a.pk,
            "application": a.application_id,
            "expert": a.expert_id,
            "expert_name": a.expert.person.name,
            "affinity": a.affinity,
            "state": a.state,
        }
        for a in r.assignments.select_related("expert__person").order_by("application_id", "expert_id")
    ]
    return {
        "id": r.pk,
        "call": r.call_id,
        "status": r.status,
        "mode": r.mode,
        "k": r.k,
        "min_load": r.min_load,
        "max_load": r.max_load,
        "seed": r.seed,
        "max_prob": r.max_prob,
        "total_affinity": r.total_affinity,
        "due_at": local(r.due_at),
        "exclusions": len(r.exclusions),
        "diagnosis": r.diagnosis,
        "assignments": len(assignments),
        "exclusion_list": r.exclusions,
        "assignment_list": assignments,
        "affinity_floor": r.affinity_floor,
        "one_per_organisation": r.one_per_organisation,
        "time_limit": r.time_limit,
        "solver": r.solver,
    }


@router.post(
    "/calls/{int:call_id}/review-rounds",
    response={201: RoundOut, **WRITE_ERRORS},
    summary="分配评审专家（最优 / 公平 / 随机抽取）/ assign experts",
)
def rounds_create(request: HttpRequest, call_id: Id, payload: RoundIn):
    user = actor(request)
    rnd = services.review_round_run(
        actor=user,
        call=call_for(user, call_id),
        directions=payload.directions,
        k=payload.k,
        min_load=payload.min_load,
        max_load=payload.max_load,
        mode=payload.mode,
        seed=payload.seed,
        max_prob=payload.max_prob,
        years_since_employment=payload.years_since_employment,
        due_at=payload.due_at,
        affinity_floor=payload.affinity_floor,
        one_per_organisation=payload.one_per_organisation,
        time_limit=payload.time_limit,
    )
    return Status(201, round_out(rnd))


@router.get("/review-rounds/{int:round_id}", response={200: RoundOut, **ERRORS}, summary="评审轮次：分配与回避明细 / a round")
def rounds_get(request: HttpRequest, round_id: Id):
    return round_out(selectors.round_for(actor(request), round_id))


class RankingQuery(Schema):
    method: Literal["trimmed", "calibrated", "mean"] = Field(
        "trimmed", description="去掉最高最低 / 标准化 / 平均 / trimmed, z-score or plain mean"
    )


class RankedOut(Schema):
    application: int
    title: str
    position: int
    score: float | None = Field(description="无评分时为 null / null before any score")
    amount: int = Field(description="申请金额（元）/ requested yuan")
    cumulative: int = Field(description="资助线以上的累计金额（元）/ yuan funded up to here")
    funded: bool = Field(description="在资助线以上 / above the funding line")
    panel_reason: str = Field(description="会评调整名次的理由；未调整为空 / the panel's reason, if moved")
    scores: dict[str, float] = Field(description="专家 → 总分 / expert → total")
    flags: list[str]
    scored: int = Field(description="已评分的专家数 / experts who have scored")
    assigned: int = Field(description="分配的专家数（含已谢绝）/ experts assigned, a declined one included")
    declined: int
    complete: bool = Field(description="全部专家已评分 / every assigned expert has scored")
    progress: str = Field(description="如「已评 3/3」/ e.g. 已评 3/3")
    status: Literal["ranked", "incomplete", "unscored"]


class WaiverOut(Schema):
    id: int
    reason: str
    scored: int
    assigned: int
    recorded_by: str | None
    recorded_at: str = Field(description="北京时间 / Beijing time, ISO 8601")


class IncompleteOut(Schema):
    application: int
    title: str
    score: None = Field(description="评审未完成：没有最终得分 / no final score while the review is incomplete")
    provisional_score: float | None = Field(description="已收到评分的暂计汇总，不作排名 / the scores so far, not a result")
    amount: int = Field(description="申请金额（元）/ requested yuan")
    funded: Literal[False] = Field(description="评审未完成的申报不在资助线上 / never above the funding line")
    scores: dict[str, float]
    flags: list[str]
    scored: int
    assigned: int
    declined: int
    complete: Literal[False]
    progress: str = Field(description="如「已评 1/3」/ e.g. 已评 1/3")
    status: Literal["incomplete", "unscored"]
    waiver: WaiverOut | None = Field(description="不等评审完成即决定的理由（如已记录）/ the officer's recorded reason to decide anyway")


class ReviewCountsOut(Schema):
    applications: int
    complete: int
    incomplete: int


class ExpertStatsOut(Schema):
    mean: float
    sd: float
    n: int
    deviation: float = Field(description="与其他专家的平均偏差 / mean deviation from the others")
    flag: bool


class RankingOut(Schema):
    round: int
    method: str
    directions: dict[str, list[RankedOut]] = Field(description="方向 → 排名 / direction → ranking")
    flagged_experts: dict[str, ExpertStatsOut] = Field(description="评分明显偏离的专家 / experts far from the consensus")
    incomplete: dict[str, list[IncompleteOut]] = Field(
        description="方向 → 评审未完成的申报（不参与排名，不在资助线上）/ direction → applications whose review is incomplete (not ranked)"
    )
    review: ReviewCountsOut


@router.get(
    "/review-rounds/{int:round_id}/ranking", response={200: RankingOut, **ERRORS}, summary="排名与资助线 / ranking and the funding line"
)
def rounds_ranking(request: HttpRequest, round_id: Id, query: Query[RankingQuery]):
    user = actor(request)
    return selectors.ranking(user, selectors.round_for(user, round_id), method=query.method)


class WaiverIn(Input):
    application: Ref
    reason: Text = Field(min_length=1, max_length=2000)


@router.post(
    "/review-rounds/{int:round_id}/waivers",
    response={201: WaiverOut, **WRITE_ERRORS},
    summary="记录评审未完成即决定（拟立项）的理由 / record why an application is decided before every score is in",
)
def rounds_waive(request: HttpRequest, round_id: Id, payload: WaiverIn):
    user = actor(request)
    rnd = selectors.round_for(user, round_id)
    waiver = services.review_waiver_record(
        actor=user, round=rnd, application=app_selectors.application_for(user, payload.application), reason=payload.reason
    )
    return Status(201, selectors.waiver_out(waiver))


class MoveIn(Input):
    application: Ref
    position: StrictInt = Field(ge=1, le=100_000)
    reason: Text = Field(min_length=1, max_length=2000)


class PanelMoveOut(Schema):
    id: int
    position: int
    reason: str


@router.post(
    "/review-rounds/{int:round_id}/panel-moves",
    response={201: PanelMoveOut, **WRITE_ERRORS},
    summary="会评调整名次（须记录理由）/ a panel move with its reason",
)
def rounds_move(request: HttpRequest, round_id: Id, payload: MoveIn):
    user = actor(request)
    rnd = selectors.round_for(user, round_id)
    move = services.panel_move(
        actor=user,
        round=rnd,
        application=app_selectors.application_for(user, payload.application),
        position=payload.position,
        reason=payload.reason,
    )
    return Status(201, {"id": move.pk, "position": move.position, "reason": move.reason})


class CriterionOut(Schema):
    key: str
    label: str
    weight: float = Field(description="权重，合计为1 / weights add up to 1")
    max_points: int


@router.get("/rubric", response={200: list[CriterionOut], **ERRORS}, summary="评分细则 / the scoring rubric")
def rubric(request: HttpRequest):
    return [{"key": c.key, "label": c.label, "weight": c.weight, "max_points": c.max_points} for c in scoring.DEFAULT_RUBRIC]


def _task_out(a: ReviewAssignment) -> dict[str, Any]:
    app = a.application
    hidden = selectors.task_is_blind(a)
    return {
        "id": a.pk,
        "state": a.state,
        "application": app.pk,
        "direction": app.direction,
        "title": blind.projected_title(app, blind=hidden),
        "organisation": None if hidden else app.organisation.name,
        "round": a.round_id,
        "due_at": local(a.round.due_at),
        "score": getattr(getattr(a, "score", None), "total", None),
    }


class TaskOut(Schema):
    id: int
    state: str
    application: int
    direction: str
    title: str = Field(description="匿名评审时申报单位、成员名称替换为 [申报单位]/[成员] / names replaced under blind review")
    organisation: str | None = Field(description="匿名评审时为 null / null under blind review")
    round: int
    due_at: dt.datetime | None
    score: float | None = Field(description="已提交的总分 / the total submitted")


@router.get("/me/reviews", response={200: Page[TaskOut], **ERRORS}, summary="我的评审任务（专家）/ my review tasks")
def my_reviews(request: HttpRequest, query: Query[PageQuery]):
    user = actor(request)
    return paginate(
        selectors.assignments_for(user)
        .select_related("score", "application__call", "application__leader")
        .prefetch_related(*(f"application__{p}" for p in blind.IDENTITY_PREFETCH)),
        query,
        _task_out,
    )


def _task(request: HttpRequest, task_id: int) -> ReviewAssignment:
    return selectors.expert_task_for(actor(request), task_id)


class BlindAttachmentOut(Schema):
    n: int = Field(description="附件序号，下载用 / the attachment's number, for the download")
    kind: str
    name: str = Field(description="“附件：类别 序号”，不用上传时的文件名 / category and number, never the uploaded name")
    content_type: str
    size: int


class BlindBudgetOut(Schema):
    category: str
    fiscal: int
    self_raised: int
    basis: str


class BlindMemberOut(Schema):
    role: str
    months: int | None
    title: str


class BlindPartnerOut(Schema):
    name: str
    tasks: str
    budget: int


class BlindApplicationOut(Schema):
    id: int
    title: str
    direction: str
    direction_name: str
    organisation: str | None = Field(description="匿名评审时为 null / null under blind review")
    summary: str
    requested_amount: int
    self_raised_amount: int
    starts_on: dt.date | None
    ends_on: dt.date | None
    facts: dict[str, Any]
    budget: list[BlindBudgetOut]
    team: list[BlindMemberOut]
    partners: list[BlindPartnerOut]
    attachments: list[BlindAttachmentOut]


class TaskDetailOut(TaskOut):
    direction_name: str
    conflict_questions: list[str]
    readable: bool = Field(description="已接受且轮次未关闭时才可查看申报内容 / the content is shown once accepted, while the round is open")
    content: BlindApplicationOut | None


@router.get("/me/reviews/{int:task_id}", response={200: TaskDetailOut, **ERRORS}, summary="一项评审任务与评审材料 / a review task")
def my_review(request: HttpRequest, task_id: Id):
    from yongke.guide.selectors import compiled_for

    a = _task(request, task_id)
    readable = selectors.task_readable(a)
    content = None
    if readable:
        content = blind.project(a.application, blind=selectors.task_is_blind(a))
        content["attachments"] = [{k: v for k, v in r.items() if k != "attachment"} for r in content["attachments"]]
    return {
        **_task_out(a),
        "direction_name": compiled_for(a.application.guide_version).guide.direction(a.application.direction).name,
        "conflict_questions": [str(q) for q in blind.CONFLICT_QUESTIONS],
        "readable": readable,
        "content": content,
    }


@router.get(
    "/me/reviews/{int:task_id}/attachments/{int:n}",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容 / the file",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="下载评审材料的附件（以类别与序号命名）/ download an attachment, named by category and number",
)
def my_review_attachment(request: HttpRequest, task_id: Id, n: Id):
    a = _task(request, task_id)
    if not selectors.task_readable(a):
        raise NotFound(f"评审任务 {task_id} 不存在 / not found", detail={"id": task_id})
    row = next((r for r in blind.project(a.application, blind=selectors.task_is_blind(a))["attachments"] if r["n"] == n), None)
    if row is None:
        raise NotFound(f"附件 {n} 不存在 / not found", detail={"n": n})
    att = row["attachment"]
    return FileResponse(att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=row["name"])


class RespondIn(Input):
    accept: Flag
    statement: Text = Field("", max_length=2000, description="接受时：无利益冲突声明 / no-conflict statement")
    conflict: Text = Field("", max_length=2000, description="谢绝时：利益冲突说明 / the conflict, if any")


class TaskStateOut(Schema):
    id: int
    state: str


@router.post(
    "/me/reviews/{int:task_id}/respond", response={200: TaskStateOut, **WRITE_ERRORS}, summary="接受或谢绝评审邀请 / answer an invitation"
)
def my_reviews_respond(request: HttpRequest, task_id: Id, payload: RespondIn):
    a = services.invitation_respond(
        actor=actor(request),
        assignment=_task(request, task_id),
        accept=payload.accept,
        statement=payload.statement,
        conflict=payload.conflict,
    )
    return {"id": a.pk, "state": a.state}


Points = Annotated[StrictFloat, Field(ge=0, le=10_000, allow_inf_nan=False)]


class ScoreIn(Input):
    points: dict[Code, Points] = Field(max_length=100, description="细则项 → 分数 / criterion → points")
    comment: Text = Field(min_length=1, max_length=5000)


class ScoreOut(Schema):
    id: int = Field(description="评审任务 / the review task")
    total: float
    submitted_at: dt.datetime


@router.post("/me/reviews/{int:task_id}/score", response={200: ScoreOut, **WRITE_ERRORS}, summary="提交评分与意见 / submit scores")
def my_reviews_score(request: HttpRequest, task_id: Id, payload: ScoreIn):
    s = services.score_submit(actor=actor(request), assignment=_task(request, task_id), points=payload.points, comment=payload.comment)
    return {"id": s.assignment_id, "total": s.total, "submitted_at": local(s.submitted_at)}

"""Expert review: the pool, declarations, assignment rounds, the expert's invitations and scores,
and the ranking with the funding line."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.api.auth import actor
from yongke.api.calls import call_for
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Code, Id, Json, Page, PageQuery, Text, When, local, paginate
from yongke.applications import selectors as app_selectors
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.orgs.models import Organisation, Person
from yongke.review import scoring, selectors, services
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


def expert_out(e: Expert) -> dict[str, Any]:
    return {"id": e.pk, "name": e.person.name, "organisation": e.organisation.name if e.organisation else None, "title": e.title,
            "fields": e.fields, "keywords": e.keywords, "available": e.available, "max_load": e.max_load, "past_reviews": e.past_reviews}


@router.get("/experts", response={200: Page[ExpertOut], **ERRORS}, summary="专家库（项目处）/ the expert pool")
def experts_list(request: HttpRequest, query: Query[PageQuery]):
    scope = scope_of(actor(request))
    if not (scope.sees_everything or scope.has(Role.OFFICER)):
        raise PermissionDenied("只有项目处人员可以查看专家库 / officers only")
    return paginate(selectors.experts_visible_to(actor(request)).order_by("pk"), query, expert_out)


class ExpertIn(Schema):
    person: Id
    organisation: Id | None = None
    title: Text = Field("", max_length=50)
    fields: list[Code] = Field(default_factory=list, max_length=20)
    keywords: list[Text] = Field(default_factory=list, max_length=50)
    region: Text = Field("", max_length=50)
    max_load: int = Field(6, ge=0, le=100)


@router.post("/experts", response={201: ExpertOut, **WRITE_ERRORS}, summary="加入专家库（项目处）/ add an expert")
def experts_create(request: HttpRequest, payload: ExpertIn):
    person = Person.objects.filter(pk=payload.person).first()
    if person is None:
        raise BadInput("person: 人员不存在 / unknown person", detail={"field": "person"})
    org = Organisation.objects.filter(pk=payload.organisation).first() if payload.organisation else None
    if payload.organisation and org is None:
        raise BadInput("organisation: 单位不存在 / unknown organisation", detail={"field": "organisation"})
    e = services.expert_add(actor=actor(request), person=person, organisation=org, title=payload.title, fields=payload.fields,
                            keywords=payload.keywords, region=payload.region, max_load=payload.max_load, user=person.user)
    return Status(201, expert_out(e))


class DeclarationIn(Schema):
    kind: Code
    reason: Text = Field(min_length=1, max_length=2000)
    organisation: Id | None = None
    application: Id | None = None


@router.post("/experts/{int:expert_id}/declarations", response={201: Json, **WRITE_ERRORS},
             summary="回避声明：专家自行申报，或申报单位申请回避（最多3位）/ declare a conflict")
def experts_declare(request: HttpRequest, expert_id: Id, payload: DeclarationIn):
    user = actor(request)
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(f"专家 {expert_id} 不存在 / not found")
    app = app_selectors.application_for(user, payload.application) if payload.application else None
    org = Organisation.objects.filter(pk=payload.organisation).first() if payload.organisation else None
    d = services.declaration_add(actor=user, expert=expert, kind=payload.kind, reason=payload.reason, organisation=org, application=app)
    return Status(201, {"id": d.pk, "kind": d.kind})


class RoundIn(Schema):
    directions: list[Code] | None = None
    k: int | None = Field(None, ge=1, le=50)
    min_load: int = Field(0, ge=0, le=100)
    max_load: int | None = Field(None, ge=1, le=100)
    mode: Code = "optimal"
    seed: int | None = Field(None, ge=0, le=2**62)
    max_prob: float | None = Field(None, gt=0, le=1)
    years_since_employment: int = Field(3, ge=0, le=30)
    due_at: When | None = None


def round_out(r: ReviewRound, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.pk, "call": r.call_id, "status": r.status, "mode": r.mode, "k": r.k, "min_load": r.min_load,
                           "max_load": r.max_load, "seed": r.seed, "max_prob": r.max_prob, "total_affinity": r.total_affinity,
                           "due_at": local(r.due_at), "exclusions": len(r.exclusions), "diagnosis": r.diagnosis,
                           "assignments": r.assignments.count()}
    if detail:
        out["exclusion_list"] = r.exclusions
        out["assignment_list"] = [
            {"id": a.pk, "application": a.application_id, "expert": a.expert_id, "expert_name": a.expert.person.name, "affinity": a.affinity,
             "state": a.state}
            for a in r.assignments.select_related("expert__person").order_by("application_id", "expert_id")
        ]
    return out


@router.post("/calls/{int:call_id}/review-rounds", response={201: Json, **WRITE_ERRORS},
             summary="分配评审专家（最优 / 公平 / 随机抽取）/ assign experts")
def rounds_create(request: HttpRequest, call_id: Id, payload: RoundIn):
    rnd = services.review_round_run(actor=actor(request), call=call_for(actor(request), call_id), directions=payload.directions, k=payload.k,
                                    min_load=payload.min_load, max_load=payload.max_load, mode=payload.mode, seed=payload.seed,
                                    max_prob=payload.max_prob, years_since_employment=payload.years_since_employment, due_at=payload.due_at)
    return Status(201, round_out(rnd, detail=True))


@router.get("/review-rounds/{int:round_id}", response={200: Json, **ERRORS}, summary="评审轮次：分配与回避明细 / a round")
def rounds_get(request: HttpRequest, round_id: Id):
    return round_out(selectors.round_for(actor(request), round_id), detail=True)


class RankingQuery(Schema):
    method: Code = Field("trimmed", description="trimmed | calibrated | mean")


@router.get("/review-rounds/{int:round_id}/ranking", response={200: Json, **ERRORS}, summary="排名与资助线 / ranking and the funding line")
def rounds_ranking(request: HttpRequest, round_id: Id, query: Query[RankingQuery]):
    if query.method not in ("trimmed", "calibrated", "mean"):
        raise BadInput("method: 应为 trimmed、calibrated 或 mean / unknown method", detail={"field": "method"})
    user = actor(request)
    return selectors.ranking(user, selectors.round_for(user, round_id), method=query.method)


class MoveIn(Schema):
    application: Id
    position: int = Field(ge=1, le=100_000)
    reason: Text = Field(min_length=1, max_length=2000)


@router.post("/review-rounds/{int:round_id}/panel-moves", response={201: Json, **WRITE_ERRORS},
             summary="会评调整名次（须记录理由）/ a panel move with its reason")
def rounds_move(request: HttpRequest, round_id: Id, payload: MoveIn):
    user = actor(request)
    rnd = selectors.round_for(user, round_id)
    move = services.panel_move(actor=user, round=rnd, application=app_selectors.application_for(user, payload.application),
                               position=payload.position, reason=payload.reason)
    return Status(201, {"id": move.pk, "position": move.position, "reason": move.reason})


@router.get("/rubric", response={200: Json, **ERRORS}, summary="评分细则 / the scoring rubric")
def rubric(request: HttpRequest):
    return [{"key": c.key, "label": c.label, "weight": c.weight, "max_points": c.max_points} for c in scoring.DEFAULT_RUBRIC]


def _task_out(a: ReviewAssignment, hidden: bool) -> dict[str, Any]:
    app = a.application
    return {"id": a.pk, "state": a.state, "application": app.pk, "direction": app.direction, "title": app.title,
            "organisation": None if hidden else app.organisation.name, "round": a.round_id, "due_at": local(a.round.due_at),
            "score": getattr(getattr(a, "score", None), "total", None)}


@router.get("/me/reviews", response={200: Page[Json], **ERRORS}, summary="我的评审任务（专家）/ my review tasks")
def my_reviews(request: HttpRequest, query: Query[PageQuery]):
    user = actor(request)
    return paginate(selectors.assignments_for(user).select_related("score"), query, lambda a: _task_out(a, a.round.call.blind_review))


def _task(request: HttpRequest, task_id: int) -> ReviewAssignment:
    a = selectors.assignments_for(actor(request)).filter(pk=task_id).first()
    if a is None:
        raise NotFound(f"评审任务 {task_id} 不存在 / not found")
    return a


class RespondIn(Schema):
    accept: bool
    statement: Text = Field("", max_length=2000, description="接受时：无利益冲突声明 / no-conflict statement")
    conflict: Text = Field("", max_length=2000, description="谢绝时：利益冲突说明 / the conflict, if any")


@router.post("/me/reviews/{int:task_id}/respond", response={200: Json, **WRITE_ERRORS}, summary="接受或谢绝评审邀请 / answer an invitation")
def my_reviews_respond(request: HttpRequest, task_id: Id, payload: RespondIn):
    a = services.invitation_respond(actor=actor(request), assignment=_task(request, task_id), accept=payload.accept,
                                    statement=payload.statement, conflict=payload.conflict)
    return {"id": a.pk, "state": a.state}


class ScoreIn(Schema):
    points: dict[Code, float]
    comment: Text = Field(min_length=1, max_length=5000)


@router.post("/me/reviews/{int:task_id}/score", response={200: Json, **WRITE_ERRORS}, summary="提交评分与意见 / submit scores")
def my_reviews_score(request: HttpRequest, task_id: Id, payload: ScoreIn):
    s = services.score_submit(actor=actor(request), assignment=_task(request, task_id), points=payload.points, comment=payload.comment)
    return {"id": s.assignment_id, "total": s.total, "submitted_at": local(s.submitted_at)}




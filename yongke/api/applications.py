"""Applications: drafts, edits with optimistic locking, rule checks, workflow transitions,
timeline, submissions and attachments. Every read goes through `application_for` /
`applications_visible_to`; every write through the application services."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, StrictBool, StrictInt

from yongke.api.auth import actor, address
from yongke.api.calls import call_for
from yongke.api.jobs import JobOut, job_out
from yongke.api.schemas import (
    ERRORS,
    MAX_ID,
    WRITE_ERRORS,
    Amount,
    Code,
    Facts,
    Id,
    Input,
    Out,
    Page,
    PageQuery,
    Ref,
    Text,
    local,
    paginate,
)
from yongke.applications import selectors, services
from yongke.applications.models import BUDGET_ORDER, Application, Attachment, Submission
from yongke.applications.proposal import kind_label
from yongke.applications.workflow import workflow_for
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.guide.selectors import compiled_for
from yongke.jobs.services import job_start_transition
from yongke.orgs.selectors import organisations_visible_to, people_visible_to

router = Router(tags=["applications"])
LockVersion = Field(ge=0, le=MAX_ID, description="编辑开始时的版本号；过期则 409 / the version you started from")


# --------------------------------------------------------------------------- schemas


class OrgBrief(Out):
    id: int
    name: str
    uscc: str
    district: str
    zone: str
    recommending_unit: str


class PersonBrief(Schema):
    id: int
    name: str


class TeamOut(Schema):
    person: PersonBrief
    role: str
    months: int | None = Field(None, description="投入（人月）/ person-months")


BudgetCategoryCode = Literal[
    "equipment", "materials", "testing", "fuel_power", "travel_meetings", "publication_ip", "labour", "expert_consulting", "other"
]


class BudgetLineOut(Schema):
    category: str = Field(description="预算科目 / the standard category")
    label: str = Field(description="科目名称，如 设备费 / the category's Chinese label")
    fiscal: int = Field(description="财政资助（元）/ from the city, yuan")
    self_raised: int = Field(description="自筹经费（元）/ self-raised, yuan")
    total: int
    basis: str = Field(description="测算依据 / how it was estimated")


class PartnerOut(Schema):
    name: str
    uscc: str
    organisation: int | None = Field(description="单位库中的单位 / the registry's organisation, when registered")
    tasks: str = Field(description="承担的任务 / its share of the work")
    budget: int = Field(description="分配经费（元）/ its share of the budget, yuan")


class DocumentOut(Schema):
    """One document rule of the direction: its category, the files in force, the officer's mark."""

    rule: str
    evidence: str = Field(description="材料类别的键 / the category's key")
    label: str = Field(description="材料类别 / the category as people read it")
    when: str | None = Field(description="submission：提交时必交；officer：项目处核验 / needed at submission or verified by the officer")
    types: list[str] = Field(description="接受的文件类型 / accepted file types")
    message: str
    source: str = Field(description="指南原文 / the guide's verbatim clause")
    attachments: list[int] = Field(description="该类别现有附件 / the attachments in force of this category")
    verified: bool | None = Field(description="项目处核验结果；null 为未核验 / the officer's mark, null when not marked")
    comment: str
    checked_at: dt.datetime | None


class ActionOut(Schema):
    action: str
    label: str
    target: str
    roles: list[str]
    comment_required: bool
    needs: list[str]


class AppBrief(Out):
    id: int
    call: int
    direction: str
    programme: str
    funding: str
    title: str
    state: str
    state_label: str
    organisation: OrgBrief | None = Field(description="匿名评审时对评审专家隐藏 / hidden from experts under blind review")
    identity_hidden: bool
    requested_amount: int
    quoted_amount: int | None = Field(description="后补助：按指南测算的补助金额（元）/ a claim's quoted amount")
    listed_amount: int | None = Field(
        description="列表显示的金额：核定金额，否则前资助的申请金额或后补助的测算金额 / the amount a list shows"
    )
    lock_version: int
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


class AppOut(AppBrief):
    summary: str
    self_raised_amount: int
    facts: dict[str, Any]
    verdict: dict[str, Any]
    leader: PersonBrief | None
    team: list[TeamOut]
    correction_reasons: str
    decided_amount: int | None
    objection_ends_at: dt.datetime | None
    created_at: dt.datetime
    starts_on: dt.date | None = Field(description="项目开始日期 / the project's start")
    ends_on: dt.date | None = Field(description="项目结束日期 / the project's end")
    leader_phone: str = Field(description="项目负责人联系电话 / the leader's phone")
    budget: list[BudgetLineOut] = Field(description="经费预算明细 / the budget lines")
    partners: list[PartnerOut] = Field(description="合作单位 / partner organisations")
    documents: list[DocumentOut] = Field(description="材料清单：本方向的证明材料 / the direction's documents")
    actions: list[ActionOut] = Field(description="当前状态下工作流的下一步（不含权限判断）/ the workflow's next steps from this state")


class AppFilter(PageQuery):
    call: Id | None = None
    direction: Code | None = None
    state: Code | None = None
    programme: Code | None = None
    district: Code | None = Field(None, description="申报单位注册地 GB/T 2260 代码 / the applicant's district")
    zone: Code | None = None
    organisation: Id | None = None


class TeamIn(Input):
    person: Ref
    role: Text = Field("", max_length=100)
    months: StrictInt | None = Field(None, ge=0, le=600, description="投入（人月）/ person-months")


class BudgetLineIn(Input):
    category: BudgetCategoryCode
    fiscal: Amount = 0
    self_raised: Amount = 0
    total: Amount | None = Field(None, description="合计；给出时须等于财政资助与自筹经费之和 / when given, must equal the two parts")
    basis: Text = Field("", max_length=2000)


class PartnerIn(Input):
    uscc: Text = Field(min_length=1, max_length=30, description="统一社会信用代码 / the partner's USCC, checked")
    name: Text = Field(min_length=1, max_length=200)
    tasks: Text = Field("", max_length=2000)
    budget: Amount = 0


Phone = Field("", max_length=30, description="手机号码或带区号的固定电话 / a mobile or a landline with its area code")


class AppIn(Input):
    call: Ref
    direction: Code
    organisation: Ref
    title: Text = Field(min_length=1, max_length=200)
    summary: Text = Field("", max_length=20_000)
    requested_amount: Amount = 0
    self_raised_amount: Amount = 0
    facts: Facts = Field(default_factory=dict, description="按指南声明的事实名 / facts named as in the guide")
    leader: Ref | None = None
    team: list[TeamIn] = Field(default_factory=list, max_length=100)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    leader_phone: Text = Phone
    budget: list[BudgetLineIn] = Field(default_factory=list, max_length=20)
    partners: list[PartnerIn] = Field(default_factory=list, max_length=50)


class AppPatch(Input):
    lock_version: StrictInt = LockVersion
    title: Text | None = Field(None, min_length=1, max_length=200)
    summary: Text | None = Field(None, max_length=20_000)
    requested_amount: Amount | None = None
    self_raised_amount: Amount | None = None
    facts: Facts | None = Field(None, description="合并到已有事实；值为 null 删除该事实 / merged; null removes")
    leader: Ref | None = Field(None, description="null 清除负责人 / null clears the leader")
    starts_on: dt.date | None = Field(None, description="null 清除 / null clears")
    ends_on: dt.date | None = Field(None, description="null 清除 / null clears")
    leader_phone: Text | None = Field(None, max_length=30)
    budget: list[BudgetLineIn] | None = Field(None, max_length=20, description="整表替换 / replaces the whole table")
    team: list[TeamIn] | None = Field(None, max_length=100, description="整表替换 / replaces the whole team")
    partners: list[PartnerIn] | None = Field(None, max_length=50, description="整表替换 / replaces every partner")


class TransitionIn(Input):
    action: Code = Field(description="如 submit、recommend、return、fund … / a workflow action")
    comment: Text = Field("", max_length=5000)
    amount: Amount | None = Field(None, description="立项或核定金额（元）/ the amount decided, in yuan")
    objection_days: StrictInt | None = Field(None, ge=0, le=1000)
    lock_version: StrictInt | None = Field(None, ge=0, le=MAX_ID)
    voucher: Text | None = Field(
        None, max_length=64, description="凭证号：拨付（pay）必填，每个凭证号只能登记一次 / the voucher number of a payment, used once"
    )


class TransitionOut(Schema):
    changed: bool = Field(description="false：重复提交，未产生新的提交记录 / false: already done, nothing new recorded")
    state: str
    state_label: str
    lock_version: int
    application: AppOut


class RuleResultOut(Schema):
    """One rule's result; the optional fields only when they apply."""

    id: str
    kind: str
    result: str = Field(description="pass | fail | missing …")
    message: str
    source: str = Field(description="指南原文 / the guide's verbatim clause")
    missing: list[str] | None = Field(None, description="缺少的事实 / facts not given")
    amount: int | None = Field(None, description="补助规则的金额（元）/ an award rule's amount in yuan")
    evidence: str | None = None
    reason: str | None = None


class CheckOut(Schema):
    direction: str
    version: str = Field(description="指南版本 / the guide version")
    verdict: str = Field(description="eligible | not_eligible | incomplete …")
    failing: list[str] = Field(description="不符合的规则编号 / ids of the rules that fail")
    missing_facts: list[str]
    rules: list[RuleResultOut]


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor: str | None
    action: str
    from_state: str
    to_state: str
    comment: str
    data: dict[str, Any]


class SubmissionOut(Schema):
    number: int
    lock_version: int
    submitted_at: dt.datetime
    submitted_by: str | None
    facts: dict[str, Any]
    verdict: dict[str, Any]


class AttachmentOut(Schema):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    download_url: str
    label: str = Field(description="材料类别（中文）/ the category as people read it")
    removed_at: dt.datetime | None = Field(None, description="删除或被替换的时间；文件仍保留 / when removed or replaced; the file is kept")
    replaced_by: int | None = None


class DocumentCheckIn(Input):
    verified: StrictBool
    comment: Text = Field("", max_length=2000)


# --------------------------------------------------------------------------- presenters


def _org_brief(org) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "district": org.district,
        "zone": org.zone,
        "recommending_unit": org.recommending_unit,
    }


def _identity_hidden(user, app: Application) -> bool:
    """Blind review: whether the caller is shown who applied — what to show, not whether they may see it."""
    return selectors.identity_hidden(user, app)


LIST_COUNT_LIMIT = 1_000  # the list's count stops here (`count_exact` false beyond), as the portal's queues do


def app_brief(app: Application, user) -> dict[str, Any]:
    hidden = _identity_hidden(user, app)
    wf = workflow_for(app.funding)
    return {
        "id": app.pk,
        "call": app.call_id,
        "direction": app.direction,
        "programme": app.programme,
        "funding": app.funding,
        "title": app.title,
        "state": app.state,
        "state_label": str(wf.states.get(app.state, app.state)),
        "organisation": None if hidden else _org_brief(app.organisation),
        "identity_hidden": hidden,
        "requested_amount": app.requested_amount,
        "quoted_amount": app.quoted_amount,
        "listed_amount": app.listed_amount,
        "lock_version": app.lock_version,
        "submitted_at": local(app.submitted_at),
        "updated_at": local(app.updated_at),
    }


def app_out(app: Application, user) -> dict[str, Any]:
    out = app_brief(app, user)
    hidden = out["identity_hidden"]
    wf = workflow_for(app.funding)
    team = (
        []
        if hidden
        else [
            {"person": {"id": m.person_id, "name": m.person.name}, "role": m.role, "months": m.months}
            for m in app.team.select_related("person").order_by("order", "id")
        ]
    )
    out.update(
        {
            "summary": app.summary,
            "self_raised_amount": app.self_raised_amount,
            "facts": app.facts,
            "verdict": app.verdict,
            "leader": None if hidden or app.leader is None else {"id": app.leader.pk, "name": app.leader.name},
            "team": team,
            "correction_reasons": app.correction_reasons,
            "decided_amount": app.decided_amount,
            "objection_ends_at": local(app.objection_ends_at),
            "created_at": local(app.created_at),
            "starts_on": app.starts_on,
            "ends_on": app.ends_on,
            "leader_phone": "" if hidden else app.leader_phone,
            "budget": [
                {
                    "category": b.category,
                    "label": b.get_category_display(),
                    "fiscal": b.fiscal,
                    "self_raised": b.self_raised,
                    "total": b.total,
                    "basis": b.basis,
                }
                for b in sorted(app.budget_lines.all(), key=lambda b: BUDGET_ORDER[b.category])
            ],
            "partners": [
                {"name": p.name, "uscc": p.uscc, "organisation": p.organisation_id, "tasks": p.tasks, "budget": p.budget}
                for p in app.partners.order_by("order", "id")
            ],
            "documents": _documents_out(user, app),
            "actions": [
                {
                    "action": t.action,
                    "label": str(t.label),
                    "target": t.target,
                    "roles": list(t.roles),
                    "comment_required": t.comment_required,
                    "needs": list(t.needs),
                }
                for t in wf.available(app.state)
            ],
        }
    )
    return out


def _event_out(e: AuditEvent, hidden: bool) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": local(e.at),
        "actor": None if hidden else e.actor_name,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "comment": e.comment,
        "data": e.data,
    }


def _documents_out(user, app: Application) -> list[dict[str, Any]]:
    listed = selectors.application_documents(user, app)
    out = []
    for row in listed["rows"]:
        d, check = row["document"], row["check"]
        out.append(
            {
                "rule": row["rule"].id,
                "evidence": row["key"],
                "label": row["label"],
                "when": d.when if d is not None else None,
                "types": list(d.types) if d is not None else [],
                "message": row["rule"].message,
                "source": row["rule"].source,
                "attachments": [f.pk for f in row["files"]],
                "verified": check.verified if check is not None else None,
                "comment": check.comment if check is not None else "",
                "checked_at": local(check.checked_at) if check is not None else None,
            }
        )
    return out


def _attachment_out(att: Attachment) -> dict[str, Any]:
    return {
        "id": att.pk,
        "kind": att.kind,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
        "sha256": att.sha256,
        "uploaded_at": local(att.uploaded_at),
        "download_url": f"/api/v1/applications/{att.application_id}/attachments/{att.pk}/download",
        "label": kind_label(compiled_for(att.application.guide_version).guide, att.kind),
        "removed_at": local(att.removed_at),
        "replaced_by": att.replaced_by_id,
    }


# --------------------------------------------------------------------------- reads


@router.get("/applications", response={200: Page[AppBrief], **ERRORS}, summary="申报列表 / applications the caller may see")
def applications_list(request: HttpRequest, filters: Query[AppFilter]):
    user = actor(request)
    qs = selectors.applications_filtered(user, **filters.model_dump(exclude={"page", "page_size", "cursor"}))
    # A list shows the brief: the facts, the verdict and the long texts stay in the database.
    qs = selectors.as_list(qs).order_by("-created_at", "-id")
    # Counted up to LIST_COUNT_LIMIT: an exact COUNT(*) of 100,000 applications on every page costs more than the page.
    return paginate(qs, filters, lambda a: app_brief(a, user), count_limit=LIST_COUNT_LIMIT)


@router.get("/applications/{int:app_id}", response={200: AppOut, **ERRORS}, summary="申报详情 / one application")
def applications_get(request: HttpRequest, app_id: Id):
    user = actor(request)
    return app_out(selectors.application_for(user, app_id), user)


@router.post(
    "/applications/{int:app_id}/check",
    response={200: CheckOut, **ERRORS},
    exclude_unset=True,
    summary="按指南检查当前申报信息（不保存）/ the rule verdicts as the application stands",
)
def applications_check(request: HttpRequest, app_id: Id):
    return services.application_check(selectors.application_for(actor(request), app_id))


@router.get("/applications/{int:app_id}/timeline", response={200: Page[EventOut], **ERRORS}, summary="办理过程 / the audit trail")
def applications_timeline(request: HttpRequest, app_id: Id, query: Query[PageQuery]):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    hidden = _identity_hidden(user, app)
    return paginate(selectors.application_timeline(user, app), query, lambda e: _event_out(e, hidden))


@router.get(
    "/applications/{int:app_id}/submissions",
    response={200: Page[SubmissionOut], **ERRORS},
    summary="每次提交时的申报信息与检查结果 / what was submitted, each time",
)
def applications_submissions(request: HttpRequest, app_id: Id, query: Query[PageQuery]):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    hidden = _identity_hidden(user, app)

    def present(s: Submission) -> dict[str, Any]:
        return {
            "number": s.number,
            "lock_version": s.lock_version,
            "submitted_at": local(s.submitted_at),
            "submitted_by": None if hidden or s.submitted_by is None else s.submitted_by.username,
            "facts": s.facts,
            "verdict": s.verdict,
        }

    return paginate(app.submissions.select_related("submitted_by").order_by("number"), query, present)


# --------------------------------------------------------------------------- writes


def _person(user, pk: int, field: str):
    person = people_visible_to(user).filter(pk=pk).first()
    if person is None:
        raise BadInput(f"{field}: 人员 {pk} 不存在或无权使用 / unknown person", detail={"field": field, "value": pk})
    return person


@router.post("/applications", response={201: AppOut, **WRITE_ERRORS}, summary="新建申报草稿 / create a draft")
def applications_create(request: HttpRequest, payload: AppIn):
    user = actor(request)
    try:
        call = call_for(user, payload.call)
    except NotFound:
        raise BadInput(f"call: 申报批次 {payload.call} 不存在 / unknown call", detail={"field": "call", "value": payload.call}) from None
    org = organisations_visible_to(user).filter(pk=payload.organisation).first()
    if org is None:
        # An organisation the caller cannot see (or none at all) is not theirs: answered as
        # application_create answers for one that is not theirs, so the two are not told apart.
        raise PermissionDenied(
            "只能为本单位操作申报 / only for your own organisation", detail={"field": "organisation", "organisation": payload.organisation}
        )
    leader = _person(user, payload.leader, "leader") if payload.leader is not None else None
    persons = [m.person for m in payload.team]
    if len(set(persons)) != len(persons):
        raise BadInput("team: 团队成员重复 / a person appears twice", detail={"field": "team"})
    team = [(_person(user, m.person, "team"), m.role) for m in payload.team]
    app = services.application_create(
        actor=user,
        call=call,
        direction=payload.direction,
        organisation=org,
        title=payload.title,
        summary=payload.summary,
        requested_amount=payload.requested_amount,
        self_raised_amount=payload.self_raised_amount,
        facts=payload.facts,
        leader=leader,
        team=team,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        leader_phone=payload.leader_phone,
        budget=[line.model_dump() for line in payload.budget],
        partners=[p.model_dump() for p in payload.partners],
    )
    return Status(201, app_out(app, user))


@router.patch(
    "/applications/{int:app_id}",
    response={200: AppOut, **WRITE_ERRORS},
    summary="修改草稿（须带 lock_version，过期则 409）/ edit a draft with optimistic locking",
)
def applications_update(request: HttpRequest, app_id: Id, payload: AppPatch):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    given = payload.model_dump(exclude_unset=True)
    lock_version = given.pop("lock_version")
    changes = {k: v for k, v in given.items() if v is not None or k in ("leader", "starts_on", "ends_on")}
    if "leader" in changes:
        changes["leader"] = _person(user, changes["leader"], "leader") if changes["leader"] is not None else None
    if "team" in changes:
        changes["team"] = [{**m, "person": _person(user, m["person"], "team")} for m in changes["team"]]
    updated = services.application_update(actor=user, application=app, lock_version=lock_version, changes=changes)
    return app_out(selectors.application_for(user, updated.pk), user)


class ReceiptOut(Schema):
    """A step received to be taken by the worker: poll `status_url` (`GET /api/v1/jobs/{id}`)."""

    received: bool = Field(description="true：已受理，截止时间按 received_at 判断 / received: judged as of received_at")
    received_at: dt.datetime
    job: JobOut
    status_url: str


def _wants_async(request: HttpRequest) -> bool:
    """RFC 7240 `Prefer: respond-async`."""
    prefs = {p.strip().split("=", 1)[0].lower() for h in request.headers.get("Prefer", "").split(",") for p in h.split(";")}
    return "respond-async" in prefs


@router.post(
    "/applications/{int:app_id}/transitions",
    response={200: TransitionOut, 202: ReceiptOut, **WRITE_ERRORS},
    summary="执行一步工作流（提交、推荐、退回补正、立项…）/ take one workflow step",
    description="提交（submit）与确认申领（confirm）可带 `Prefer: respond-async`：立即受理（202，回执含到达时间，"
    "截止按到达时间判断），由后台工作进程完成全部校验，结果见 `GET /api/v1/jobs/{id}`；已提交的返回 200（changed=false）。"
    "其余操作忽略该偏好。/ With `Prefer: respond-async`, submit and confirm are received at once (202, a receipt with the "
    "arrival time the deadline is judged at) and taken by the worker; poll the job. Other steps ignore the preference.",
)
def applications_transition(request: HttpRequest, response: HttpResponse, app_id: Id, payload: TransitionIn):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    if _wants_async(request) and payload.action in services.QUEUEABLE_ACTIONS:
        job = job_start_transition(
            actor=user, application=app, action=payload.action, lock_version=payload.lock_version, address=address(request)
        )
        if job is not None:
            response["Preference-Applied"] = "respond-async"
            response["Location"] = f"/api/v1/jobs/{job.pk}"
            out = job_out(job)
            return Status(202, {"received": True, "received_at": out["received_at"], "job": out, "status_url": response["Location"]})
    app, changed = services.application_transition(
        actor=user,
        application=app,
        action=payload.action,
        comment=payload.comment,
        amount=payload.amount,
        objection_days=payload.objection_days,
        lock_version=payload.lock_version,
        address=address(request),
        voucher=payload.voucher,
    )
    try:
        fresh = selectors.application_for(user, app.pk)
    except NotFound:
        # e.g. an officer returning an application for correction may no longer see it; say what happened anyway
        fresh = app
    out = app_out(fresh, user)
    return {
        "changed": changed,
        "state": out["state"],
        "state_label": out["state_label"],
        "lock_version": out["lock_version"],
        "application": out,
    }


# --------------------------------------------------------------------------- attachments


# What attachment_add accepts (sniff_content_type), as the download's documented media types.
DOWNLOAD_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/ofd",
)


def _safe_filename(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:255]


@router.get(
    "/applications/{int:app_id}/attachments",
    response={200: Page[AttachmentOut], **ERRORS},
    tags=["attachments"],
    summary="附件列表 / attachments",
)
def attachments_list(request: HttpRequest, app_id: Id, query: Query[PageQuery]):
    app = selectors.application_for(actor(request), app_id)
    current = app.attachments.current().select_related("application__guide_version").order_by("uploaded_at", "id")
    return paginate(current, query, _attachment_out)


@router.post(
    "/applications/{int:app_id}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS},
    tags=["attachments"],
    summary="上传附件（multipart；类型按内容识别）/ upload, type checked on the content",
)
def attachments_upload(
    request: HttpRequest, app_id: Id, kind: Text = Form(..., min_length=1, max_length=100), file: UploadedFile = File(...)
):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    if file.size is not None and file.size > services.MAX_ATTACHMENT_BYTES:
        raise BadInput(
            f"file: 文件超过 {services.MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large",
            detail={"field": "file", "size": file.size},
        )
    att = services.attachment_add(actor=user, application=app, kind=kind, filename=_safe_filename(file.name), content=file.read())
    return Status(201, _attachment_out(att))


@router.get(
    "/applications/{int:app_id}/attachments/{int:attachment_id}/download",
    response={200: None, **ERRORS},
    tags=["attachments"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容，类型为上传时按内容识别的类型 / the file, with the type sniffed on upload",
                "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in DOWNLOAD_TYPES},
            }
        }
    },
    summary="下载附件 / download",
)
def attachments_download(request: HttpRequest, app_id: Id, attachment_id: Id):
    app = selectors.application_for(actor(request), app_id)
    att = app.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise NotFound(f"附件 {attachment_id} 不存在 / not found", detail={"id": attachment_id})
    return FileResponse(att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=att.filename)


def _attachment_of(user, app_id: int, attachment_id: int) -> Attachment:
    app = selectors.application_for(user, app_id)
    att = app.attachments.select_related("application__guide_version").filter(pk=attachment_id).first()
    if att is None:
        raise NotFound(f"附件 {attachment_id} 不存在 / not found", detail={"id": attachment_id})
    return att


@router.delete(
    "/applications/{int:app_id}/attachments/{int:attachment_id}",
    response={200: AttachmentOut, **WRITE_ERRORS},
    tags=["attachments"],
    summary="删除附件（草稿或退回补正时；文件保留在审计记录中）/ remove an attachment, the file kept for the audit trail",
)
def attachments_remove(request: HttpRequest, app_id: Id, attachment_id: Id):
    user = actor(request)
    return _attachment_out(services.attachment_remove(actor=user, attachment=_attachment_of(user, app_id, attachment_id)))


@router.post(
    "/applications/{int:app_id}/attachments/{int:attachment_id}/replace",
    response={201: AttachmentOut, **WRITE_ERRORS},
    tags=["attachments"],
    summary="替换附件（同一材料类别；旧文件保留）/ replace an attachment, the old file kept",
)
def attachments_replace(request: HttpRequest, app_id: Id, attachment_id: Id, file: UploadedFile = File(...)):
    user = actor(request)
    old = _attachment_of(user, app_id, attachment_id)
    if file.size is not None and file.size > services.MAX_ATTACHMENT_BYTES:
        raise BadInput(
            f"文件超过 {services.MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large", detail={"field": "file", "size": file.size}
        )
    new = services.attachment_replace(actor=user, attachment=old, filename=_safe_filename(file.name), content=file.read())
    return Status(201, _attachment_out(new))


@router.put(
    "/applications/{int:app_id}/documents/{evidence}",
    response={200: DocumentOut, **WRITE_ERRORS},
    tags=["attachments"],
    summary="形式审查：核验一类证明材料（已核验 / 未通过）/ formal review: mark a document verified or not",
)
def documents_verify(request: HttpRequest, app_id: Id, evidence: Code, payload: DocumentCheckIn):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    services.document_verify(actor=user, application=app, evidence=evidence, verified=payload.verified, comment=payload.comment)
    return next(d for d in _documents_out(user, app) if d["evidence"] == evidence)


@router.get(
    "/applications/{int:app_id}/pdf",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "申报书 PDF（A4）/ the 申报书 as a PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="申报书 PDF / the application form as a PDF",
)
def applications_pdf(request: HttpRequest, app_id: Id):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    content = services.application_pdf(actor=user, application=app)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="application-{app.pk}.pdf"'
    return response

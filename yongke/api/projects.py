"""Projects after 立项: the 任务书 and its versions, the signing steps, payments, change requests,
a call's project settings and an organisation's bank account.

Every read goes through the projects' selectors (`projects_visible_to`, `project_get`,
`change_get`, `task_book_content`, `project_ledger`, `call_ledger` …), every write through one
service (`task_book_update`, `project_transition`, `payment_record`, `change_request_*`,
`call_project_settings_set`, `bank_account_set`), each with the caller as the actor. Steps and
change requests that carry files take the same fields as a multipart form beside them.
"""

from __future__ import annotations

import datetime as dt
import json
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.params.models import Body, BodyModel
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import AfterValidator, Field, StrictFloat, StrictInt

from yongke.api.applications import DOWNLOAD_TYPES, ActionOut, BudgetLineIn, EventOut, PartnerIn, _event_out, _safe_filename
from yongke.api.auth import actor
from yongke.api.calls import call_for
from yongke.api.orgs import organisation_for
from yongke.api.schemas import (
    ERRORS,
    MAX_AMOUNT,
    MAX_ID,
    WRITE_ERRORS,
    Amount,
    Code,
    Facts,
    Flag,
    Id,
    Input,
    Page,
    PageQuery,
    Ref,
    Text,
    local,
    no_control,
    paginate,
)
from yongke.applications.services import MAX_ATTACHMENT_BYTES
from yongke.core.errors import BadInput, NotFound
from yongke.orgs import services as org_services
from yongke.orgs.models import BankAccount
from yongke.orgs.selectors import bank_account_of
from yongke.projects import exports, pdf, selectors, services
from yongke.projects.models import ChangeRequest, Payment, Project, ProjectFile, TaskBookVersion, TrancheCondition

router = Router(tags=["projects"])
LockVersion = Field(ge=0, le=MAX_ID, description="编辑开始时的版本号；过期则 409 / the version you started from")
PositiveAmount = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT, description="元 / yuan")]
TrancheConditionCode = Literal["signing", "midterm", "acceptance"]
ChangeKindCode = Literal["extension", "leader", "lead_unit", "targets", "budget", "termination"]
IndicatorKey = Annotated[str, AfterValidator(no_control), Field(min_length=1, max_length=64, description="指标编号或指南规则编号")]
BINARY = {"type": "string", "format": "binary"}


# --------------------------------------------------------------------------- a JSON body, or a multipart form


def _is_text(annotation: Any) -> bool:
    """str, or str | None."""
    return annotation is str or (get_origin(annotation) in (Union, UnionType) and str in get_args(annotation))


class _JsonOrFormModel(BodyModel):
    """The body as JSON, or the same fields as the parts of a multipart form (the files beside
    them): a part is taken as text for a text field and as JSON for any other (`3`, `true`,
    `{"ends_on": "2029-06-30"}`), then checked by the same schema as the JSON body."""

    @classmethod
    def get_request_data(cls, request: HttpRequest, api: Any, path_params: dict[str, Any]) -> dict[str, Any] | None:
        if request.content_type != "multipart/form-data":
            return super().get_request_data(request, api, path_params)
        name = cls.__read_from_single_attr__
        fields = getattr(cls.model_fields[name].annotation, "model_fields", {})
        data: dict[str, Any] = {}
        for key, value in request.POST.items():
            field = fields.get(key)
            if field is None or not isinstance(value, str) or _is_text(field.annotation):
                data[key] = value
                continue
            try:
                data[key] = json.loads(value)
            except ValueError:
                data[key] = value  # refused by the schema, naming the field
        return {name: data}


class _JsonOrForm(Body):  # type: ignore[misc]  # ninja's own Param classes subclass pydantic's FieldInfo the same way
    _model = _JsonOrFormModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"


def json_or_form() -> Any:
    """A body parameter read from JSON or from the fields of a multipart form."""
    return _JsonOrForm(...)


def multipart(schema: type[Schema], files: dict[str, dict[str, Any]], *, json_parts: tuple[str, ...] = ()) -> dict[str, Any]:
    """The operation's request body also as multipart/form-data: the schema's fields and the files."""
    doc = schema.model_json_schema(schema_generator=NinjaGenerateJsonSchema)
    doc["title"] = f"{schema.__name__}Form"
    doc["properties"] = {**doc["properties"], **files}
    media: dict[str, Any] = {"schema": doc}
    if json_parts:
        media["encoding"] = {name: {"contentType": "application/json"} for name in json_parts}
    return {"requestBody": {"content": {"multipart/form-data": media}}}


def _upload(file: UploadedFile) -> tuple[str, bytes]:
    if file.size is not None and file.size > MAX_ATTACHMENT_BYTES:
        raise BadInput(
            f"file: 文件超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large", detail={"field": "file", "size": file.size}
        )
    return _safe_filename(file.name), file.read()


# --------------------------------------------------------------------------- schemas


class ProjectOrgOut(Schema):
    id: int
    name: str
    uscc: str


class ProjectLeaderOut(Schema):
    id: int
    name: str


class LedgerOut(Schema):
    """granted = paid + outstanding + stopped; net = paid − recovered."""

    granted: int = Field(description="立项金额（元）/ the grant, yuan")
    paid: int = Field(description="已拨付（元）/ paid")
    outstanding: int = Field(description="待拨付（元）/ still to be paid")
    stopped: int = Field(description="终止或撤销后不再拨付（元）/ not to be paid after termination or revocation")
    due_back: int = Field(description="应退回（元）/ to be returned")
    recovered: int = Field(description="已退回（元）/ returned")
    net: int = Field(description="净拨付（元）/ paid less returned")


class ProjectFileOut(Schema):
    id: int
    kind: str = Field(description="signed_task_book | change | voucher")
    kind_label: str
    filename: str
    content_type: str = Field(description="按内容识别的类型 / sniffed from the content")
    size: int
    sha256: str
    change: int | None = Field(description="所属变更申请 / the change request it belongs to")
    uploaded_at: dt.datetime
    download_url: str


class ProjectBriefOut(Schema):
    id: int
    number: str = Field(description="项目编号 / the project's number")
    application: int
    call: int
    direction: str
    programme: str
    title: str
    state: str
    state_label: str
    organisation: ProjectOrgOut = Field(description="承担单位 / the lead unit")
    leader: ProjectLeaderOut = Field(description="项目负责人 / the project leader")
    approved_amount: int = Field(description="立项金额（财政资助，元）/ the grant, yuan")
    self_raised_amount: int = Field(description="自筹经费（元）/ self-raised, yuan")
    starts_on: dt.date
    ends_on: dt.date
    amendment: int = Field(description="现行任务书的变更序号（0 为原件）/ the amendment in force, 0 for the original")
    lock_version: int
    created_at: dt.datetime


class ProjectDetailOut(ProjectBriefOut):
    guide_version: str
    content: str = Field(description="研究内容 / what the project does")
    leader_phone: str
    recommending_unit: str = Field(description="推荐单位代码 / the recommending unit's code")
    sign_by: dt.datetime | None = Field(description="任务书签订截止（发送签订时确定）/ the time to sign, set when sent")
    unit_signed_at: dt.datetime | None
    countersigned_at: dt.datetime | None
    midterm_passed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    ended_at: dt.datetime | None
    updated_at: dt.datetime
    actions: list[ActionOut] = Field(description="当前状态下调用者可执行的步骤 / the steps the caller may take from this state")
    ledger: LedgerOut
    files: list[ProjectFileOut] = Field(description="盖章任务书、变更附件 / the stamped task book, change attachments")


class ProjectFilter(PageQuery):
    call: Id | None = None
    state: Code | None = None
    programme: Code | None = None
    direction: Code | None = None
    organisation: Id | None = None


class IndicatorTargetOut(Schema):
    fact: str
    label: str
    unit: str
    type: str
    target: Any = Field(description="任务书规定值 / the task book's target")
    promised: Any = Field(description="申报书承诺值（下限）/ the application's promise, the floor")


class IndicatorOut(Schema):
    id: int
    source: str = Field(description="commitment：指南申报要求；extra：补充指标 / from the guide's commitments, or added")
    rule: str = Field(description="指南规则编号 / the guide rule")
    label: str
    clause: str = Field(description="指南原文 / the guide's verbatim clause")
    expr: str = Field(description="验收核验表达式 / checked at acceptance on the actual values")
    unit: str
    targets: list[IndicatorTargetOut]
    context: dict[str, Any] = Field(description="条件事实 / what the rule reads as it is")
    target_value: str | None = Field(None, description="补充指标的目标值；只在补充指标上出现 / an added indicator's target")


class MilestoneOut(Schema):
    id: int
    due_on: dt.date
    title: str
    targets: dict[str, Any] = Field(description="阶段考核值 / stage values of the indicators' facts")


class TaskBookBudgetLineOut(Schema):
    category: str
    label: str
    fiscal: int = Field(description="财政资助（元）/ from the city, yuan")
    self_raised: int = Field(description="自筹经费（元）/ self-raised, yuan")
    basis: str


class BudgetTotalOut(Schema):
    fiscal: int
    self_raised: int


class TaskBookPartnerOut(Schema):
    name: str
    uscc: str
    tasks: str
    budget: int


class TaskBookMemberOut(Schema):
    name: str
    person: int | None
    role: str
    months: int | None = Field(description="投入（人月）/ person-months")


class TaskBookTrancheOut(Schema):
    order: int
    label: str
    amount: int
    condition: str
    condition_label: str


class MatchingProblemOut(Schema):
    rule: str
    message: str
    source: str


class TaskBookLeaderOut(Schema):
    id: int
    name: str
    phone: str


class TaskBookContentOut(Schema):
    """The whole task book, as it stands or as a version kept it."""

    number: str
    title: str
    direction: str
    programme: str
    guide_version: str
    organisation: ProjectOrgOut
    recommending_unit: str
    leader: TaskBookLeaderOut
    content: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    approved_amount: int
    self_raised_amount: int
    indicators: list[IndicatorOut] = Field(description="考核指标 / indicators")
    milestones: list[MilestoneOut] = Field(description="进度安排 / stages")
    budget: list[TaskBookBudgetLineOut] = Field(description="经费预算 / budget lines")
    budget_total: BudgetTotalOut
    partners: list[TaskBookPartnerOut] = Field(description="合作单位 / partner organisations")
    team: list[TaskBookMemberOut] = Field(description="项目组成员 / team members")
    tranches: list[TaskBookTrancheOut] = Field(description="拨款计划 / the payment plan")
    matching: list[MatchingProblemOut] = Field(description="按立项金额复核未通过的配套规则 / matching-fund rules failing at the grant")


class TaskBookOut(TaskBookContentOut):
    project: int
    state: str
    state_label: str
    editable: bool = Field(description="任务书编制中，项目处可修改 / being drawn up: the officer may edit it")
    lock_version: int


class ExtraIndicatorIn(Input):
    id: Ref | None = Field(None, description="已有补充指标的编号；新增时不填 / an existing one's id; none for a new one")
    label: Text = Field(min_length=1, max_length=300)
    unit: Text = Field("", max_length=16)
    target_value: StrictFloat | StrictInt | None = Field(None, ge=0, le=1e17)


class MilestoneIn(Input):
    due_on: dt.date
    title: Text = Field(min_length=1, max_length=300)
    targets: Facts = Field(default_factory=dict, description="事实 → 阶段考核值 / fact → stage value")


class TrancheIn(Input):
    label: Text = Field("", max_length=100)
    share_pct: StrictInt | None = Field(None, ge=1, le=100, description="比例（%）；与 amount 二选一 / a share, or give amount")
    amount: PositiveAmount | None = None
    condition: TrancheConditionCode


class TaskBookPatch(Input):
    """Any of the sections; a list replaces the section whole. Indicators: {indicator id or rule
    id: {fact: target}}; an added indicator (extra_indicators) is never removed."""

    lock_version: StrictInt = LockVersion
    title: Text | None = Field(None, min_length=1, max_length=200)
    content: Text | None = Field(None, max_length=5000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    leader_phone: Text | None = Field(None, max_length=30)
    indicators: dict[IndicatorKey, Facts] | None = Field(None, max_length=100, description="指标 → {事实: 规定值} / indicator → targets")
    extra_indicators: list[ExtraIndicatorIn] | None = Field(None, max_length=100)
    milestones: list[MilestoneIn] | None = Field(None, max_length=100)
    budget: list[BudgetLineIn] | None = Field(None, max_length=20)
    partners: list[PartnerIn] | None = Field(None, max_length=50)
    tranches: list[TrancheIn] | None = Field(None, max_length=20)


class SectionChangeOut(Schema):
    section: str
    before: Any
    after: Any


class TaskBookVersionOut(Schema):
    number: int = Field(description="0 为签订的原件，1、2… 为变更 / 0 the signed original, then each amendment")
    label: str
    change: int | None = Field(description="批准的变更申请 / the approved change request")
    created_by: str | None
    created_at: dt.datetime
    content: TaskBookContentOut
    changes: list[SectionChangeOut] = Field(description="与上一版本相比的变化；原件为空 / what changed from the version before")


class ProjectTransitionIn(Input):
    action: Code = Field(description="send、sign、countersign、reopen、revoke、terminate")
    comment: Text = Field("", max_length=5000)
    lock_version: StrictInt | None = Field(None, ge=0, le=MAX_ID)


class ProjectTransitionOut(Schema):
    state: str
    state_label: str
    lock_version: int
    project: ProjectDetailOut


class PaymentIn(Input):
    tranche: StrictInt = Field(ge=1, le=1000, description="期次 / the tranche's number")
    amount: PositiveAmount
    paid_on: dt.date = Field(description="拨付日期 / the day it was paid")
    voucher: Text = Field(min_length=1, max_length=64, description="凭证号，只能登记一次 / the voucher number, once")


class PaymentOut(Schema):
    id: int
    project: int
    tranche: int
    tranche_label: str
    amount: int
    paid_on: dt.date
    voucher: str
    account_masked: str = Field(description="收款账户（掩码）/ the account, masked")
    account_bank: str
    account_name: str
    recorded_by: str | None
    recorded_at: dt.datetime


class CallLedgerRowOut(Schema):
    project: ProjectBriefOut
    ledger: LedgerOut


class CallBudgetOut(Schema):
    key: str = Field(description="预算所在的方向或项目 / the direction or project of the budget")
    budget: int
    approved: int = Field(description="已立项金额（元）/ granted under it")
    left: int


class CallLedgerOut(Schema):
    call: int
    name: str
    rows: list[CallLedgerRowOut] = Field(description="调用者可见的项目 / the projects the caller may see")
    total: LedgerOut = Field(description="各行之和 / the sum of the rows")
    budgets: list[CallBudgetOut]


class ChangeIn(Input):
    kind: ChangeKindCode
    reasons: Text = Field(min_length=1, max_length=5000)
    payload: Facts = Field(
        default_factory=dict,
        description=(
            "按类别：extension {ends_on}；leader {leader, leader_phone}；lead_unit {organisation, leader}；"
            "targets {content?, indicators?}；budget {budget}；termination {} / what is asked for, by kind"
        ),
    )


class ChangeOut(Schema):
    id: int
    project: int
    number: int
    kind: str
    kind_label: str
    state: str = Field(description="requested | reviewed | approved | refused | withdrawn")
    state_label: str
    reasons: str
    payload: dict[str, Any] = Field(description="申请变更的内容 / what is asked for")
    before: dict[str, Any] = Field(description="变更前 / what it replaces")
    requested_by: str | None
    requested_at: dt.datetime
    opinion_agrees: bool | None = Field(description="推荐单位意见；null 为尚未出具 / the recommending unit's opinion")
    opinion: str
    opinion_by: str | None
    opinion_at: dt.datetime | None
    decision_comment: str
    decided_by: str | None
    decided_at: dt.datetime | None
    amendment: int | None = Field(description="批准后成为的任务书变更序号 / the amendment it became")
    files: list[ProjectFileOut]


class OpinionIn(Input):
    agrees: Flag
    opinion: Text = Field(min_length=1, max_length=5000)


class DecisionIn(Input):
    approve: Flag
    comment: Text = Field("", max_length=5000, description="不予批准时必填 / required to refuse")
    misused: Amount = Field(0, description="批准终止时认定的违规使用财政资金（元）/ misused money found, approving a termination only")


class TrancheShareIn(Input):
    label: Text = Field("", max_length=100)
    share_pct: StrictInt = Field(ge=1, le=100, description="比例（%），合计100 / shares add up to 100")
    condition: TrancheConditionCode


class ProjectSettingsIn(Input):
    sign_days: StrictInt = Field(ge=1, le=365, description="立项后签订任务书的期限（天）/ days to sign the task book")
    tranches: list[TrancheShareIn] = Field(min_length=1, max_length=20, description="默认拨款计划 / the default payment plan")


class TrancheShareOut(Schema):
    label: str
    share_pct: int
    condition: str
    condition_label: str


class ProjectSettingsOut(Schema):
    call: int
    sign_days: int
    tranches: list[TrancheShareOut]


class BankAccountIn(Input):
    bank: Text = Field(min_length=1, max_length=200, description="开户银行 / the bank")
    name: Text = Field(min_length=1, max_length=200, description="户名 / the account's name")
    number: Text = Field(min_length=1, max_length=64, description="银行账号；只保存加密值，只显示掩码 / stored encrypted, shown masked")


class BankAccountOut(Schema):
    organisation: int
    bank: str
    name: str
    number_masked: str = Field(description="银行账号（掩码）/ the number, masked")
    recorded_at: dt.datetime


# --------------------------------------------------------------------------- presenters


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def file_out(f: ProjectFile) -> dict[str, Any]:
    return {
        "id": f.pk,
        "kind": f.kind,
        "kind_label": f.get_kind_display(),
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "change": f.change_id,
        "uploaded_at": local(f.uploaded_at),
        "download_url": f"/api/v1/projects/{f.project_id}/files/{f.pk}/download",
    }


def project_brief(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "number": p.number,
        "application": p.application_id,
        "call": p.call_id,
        "direction": p.direction,
        "programme": p.programme,
        "title": p.title,
        "state": p.state,
        "state_label": selectors.state_label(p.state),
        "organisation": {"id": p.organisation_id, "name": p.organisation.name, "uscc": p.organisation.uscc},
        "leader": {"id": p.leader_id, "name": p.leader.name},
        "approved_amount": p.approved_amount,
        "self_raised_amount": p.self_raised_amount,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "amendment": p.amendment,
        "lock_version": p.lock_version,
        "created_at": local(p.created_at),
    }


def project_detail(p: Project, user: Any) -> dict[str, Any]:
    steps = services.steps_for(user, p)
    return {
        **project_brief(p),
        "guide_version": p.guide_version.label,
        "content": p.content,
        "leader_phone": p.leader_phone,
        "recommending_unit": p.recommending_unit,
        "sign_by": local(p.sign_by),
        "unit_signed_at": local(p.unit_signed_at),
        "countersigned_at": local(p.countersigned_at),
        "midterm_passed_at": local(p.midterm_passed_at),
        "accepted_at": local(p.accepted_at),
        "ended_at": local(p.ended_at),
        "updated_at": local(p.updated_at),
        "actions": [
            {
                "action": t.action,
                "label": str(t.label),
                "target": t.target,
                "roles": list(t.roles),
                "comment_required": t.comment_required,
                "needs": list(t.needs),
            }
            for t in steps
        ],
        "ledger": selectors.project_ledger(p).as_dict(),
        "files": [file_out(f) for f in p.files.all()],
    }


def task_book_out(p: Project) -> dict[str, Any]:
    return {
        **selectors.task_book_content(p),
        "project": p.pk,
        "state": p.state,
        "state_label": selectors.state_label(p.state),
        "editable": p.editable,
        "lock_version": p.lock_version,
    }


def _version_out(row: tuple[TaskBookVersion, TaskBookVersion | None]) -> dict[str, Any]:
    v, previous = row
    return {
        "number": v.number,
        "label": "任务书原件" if v.number == 0 else f"第{v.number}号变更",
        "change": v.change_id,
        "created_by": _username(v.created_by),
        "created_at": local(v.created_at),
        "content": v.content,
        "changes": selectors.version_diff(previous.content, v.content) if previous is not None else [],
    }


def payment_out(pay: Payment) -> dict[str, Any]:
    return {
        "id": pay.pk,
        "project": pay.project_id,
        "tranche": pay.tranche.order,
        "tranche_label": pay.tranche.label,
        "amount": pay.amount,
        "paid_on": pay.paid_on,
        "voucher": pay.voucher,
        "account_masked": pay.account_masked,
        "account_bank": pay.account_bank,
        "account_name": pay.account_name,
        "recorded_by": _username(pay.recorded_by),
        "recorded_at": local(pay.recorded_at),
    }


def change_out(cr: ChangeRequest) -> dict[str, Any]:
    amendment = getattr(cr, "amendment", None)  # the version it became, once approved
    return {
        "id": cr.pk,
        "project": cr.project_id,
        "number": cr.number,
        "kind": cr.kind,
        "kind_label": cr.get_kind_display(),
        "state": cr.state,
        "state_label": cr.get_state_display(),
        "reasons": cr.reasons,
        "payload": cr.payload,
        "before": cr.before,
        "requested_by": _username(cr.requested_by),
        "requested_at": local(cr.requested_at),
        "opinion_agrees": cr.opinion_agrees,
        "opinion": cr.opinion,
        "opinion_by": _username(cr.opinion_by),
        "opinion_at": local(cr.opinion_at),
        "decision_comment": cr.decision_comment,
        "decided_by": _username(cr.decided_by),
        "decided_at": local(cr.decided_at),
        "amendment": amendment.number if amendment is not None else None,
        "files": [file_out(f) for f in cr.files.all()],
    }


def _changes(qs: Any) -> Any:
    return qs.select_related("requested_by", "opinion_by", "decided_by", "amendment").prefetch_related("files")


def _fresh(user: Any, cr: ChangeRequest) -> dict[str, Any]:
    """The change request as the caller now sees it, after a service wrote it."""
    return change_out(selectors.change_get(user, cr.pk))


def settings_out(call: Any) -> dict[str, Any]:
    days, plan = selectors.settings_for(call)
    return {
        "call": call.pk,
        "sign_days": days,
        "tranches": [{**t, "condition_label": TrancheCondition(t["condition"]).label} for t in plan],
    }


def bank_account_out(account: BankAccount) -> dict[str, Any]:
    return {
        "organisation": account.organisation_id,
        "bank": account.bank,
        "name": account.name,
        "number_masked": account.number_masked,
        "recorded_at": local(account.recorded_at),
    }


# --------------------------------------------------------------------------- projects and their task books


@router.get("/projects", response={200: Page[ProjectBriefOut], **ERRORS}, summary="项目列表 / projects the caller may see")
def projects_list(request: HttpRequest, filters: Query[ProjectFilter]):
    qs = selectors.project_filter(
        selectors.projects_visible_to(actor(request)), filters.model_dump(exclude={"page", "page_size", "cursor"}, exclude_none=True)
    )
    return paginate(qs.order_by("-created_at", "-id"), filters, project_brief)


@router.get("/projects/{int:project_id}", response={200: ProjectDetailOut, **ERRORS}, summary="项目详情 / one project")
def projects_get(request: HttpRequest, project_id: Id):
    user = actor(request)
    return project_detail(selectors.project_get(user, project_id), user)


@router.get(
    "/projects/{int:project_id}/task-book",
    response={200: TaskBookOut, **ERRORS},
    exclude_unset=True,
    summary="任务书（现行）/ the task book as it stands",
)
def projects_task_book(request: HttpRequest, project_id: Id):
    return task_book_out(selectors.project_get(actor(request), project_id))


@router.patch(
    "/projects/{int:project_id}/task-book",
    response={200: TaskBookOut, **WRITE_ERRORS},
    exclude_unset=True,
    summary="编制任务书（项目处；须带 lock_version，过期则 409）/ edit the task book with optimistic locking",
)
def projects_task_book_update(request: HttpRequest, project_id: Id, payload: TaskBookPatch):
    user = actor(request)
    changes = payload.model_dump(exclude_unset=True)
    lock_version = changes.pop("lock_version")
    p = services.task_book_update(actor=user, project=selectors.project_get(user, project_id), lock_version=lock_version, changes=changes)
    return task_book_out(selectors.project_get(user, p.pk))


@router.get(
    "/projects/{int:project_id}/timeline", response={200: Page[EventOut], **ERRORS}, summary="项目办理过程 / the project's audit trail"
)
def projects_timeline(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    user = actor(request)
    events = selectors.project_timeline(user, selectors.project_get(user, project_id))
    return paginate(events, query, lambda e: _event_out(e, False))  # a project has no blind review: its actors are named


@router.get(
    "/projects/{int:project_id}/versions",
    response={200: Page[TaskBookVersionOut], **ERRORS},
    exclude_unset=True,
    summary="任务书各版本（原件与每次变更）及与上一版本的差异 / every version of the task book, with what changed",
)
def projects_versions(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    versions = selectors.versions_of(selectors.project_get(actor(request), project_id))
    rows = [(v, versions[i - 1] if i else None) for i, v in enumerate(versions)]
    return paginate(rows, query, _version_out)


@router.post(
    "/projects/{int:project_id}/transitions",
    response={200: ProjectTransitionOut, **WRITE_ERRORS},
    openapi_extra=multipart(ProjectTransitionIn, {"file": {**BINARY, "description": "sign：盖章的任务书 PDF / the stamped task book"}}),
    summary="执行一步项目流程（发送签订、签订、主管部门签订、退回修改、撤销、终止）/ take one step",
    description="`sign` 须上传盖章任务书：以 multipart/form-data 发送同样的字段与 `file` / `sign` takes the stamped PDF as a multipart `file`.",
)
def projects_transition(request: HttpRequest, project_id: Id, payload: ProjectTransitionIn = json_or_form()):
    user = actor(request)
    project = selectors.project_get(user, project_id)
    upload = request.FILES.get("file")
    filename, content = _upload(upload) if upload is not None else ("", None)
    p = services.project_transition(
        actor=user,
        project=project,
        action=payload.action,
        comment=payload.comment,
        lock_version=payload.lock_version,
        filename=filename,
        content=content,
    )
    out = project_detail(selectors.project_get(user, p.pk), user)
    return {"state": out["state"], "state_label": out["state_label"], "lock_version": out["lock_version"], "project": out}


@router.get(
    "/projects/{int:project_id}/files/{int:file_id}/download",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容，类型为上传时按内容识别的类型 / the file, with the type sniffed on upload",
                "content": {t: {"schema": BINARY} for t in DOWNLOAD_TYPES},
            }
        }
    },
    summary="下载项目文件（盖章任务书、变更附件）/ download a project's file",
)
def projects_file_download(request: HttpRequest, project_id: Id, file_id: Id):
    f = selectors.project_file_get(project=selectors.project_get(actor(request), project_id), pk=file_id)
    return FileResponse(f.file.open("rb"), content_type=f.content_type, as_attachment=True, filename=f.filename)


@router.get(
    "/projects/{int:project_id}/pdf",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "任务书 PDF（A4）/ the 任务书 as a PDF",
                "content": {"application/pdf": {"schema": BINARY}},
            }
        }
    },
    summary="任务书 PDF / the task book as a PDF",
)
def projects_pdf(request: HttpRequest, project_id: Id):
    user = actor(request)
    project = selectors.project_get(user, project_id)
    response = HttpResponse(pdf.task_book_pdf(actor=user, project=project), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="task-book-{project.pk}.pdf"'
    return response


# --------------------------------------------------------------------------- payments


@router.get(
    "/projects/{int:project_id}/payments", response={200: Page[PaymentOut], **ERRORS}, tags=["payments"], summary="拨款记录 / payments"
)
def payments_list(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    project = selectors.project_get(actor(request), project_id)
    return paginate(project.payments.select_related("tranche", "recorded_by").order_by("paid_on", "id"), query, payment_out)


@router.post(
    "/projects/{int:project_id}/payments",
    response={201: PaymentOut, **WRITE_ERRORS},
    tags=["payments"],
    summary="登记拨款（财务）：按期次、拨付条件与凭证号 / record a payment, finance",
)
def payments_record(request: HttpRequest, project_id: Id, payload: PaymentIn):
    user = actor(request)
    payment = services.payment_record(
        actor=user,
        project=selectors.project_get(user, project_id),
        tranche=payload.tranche,
        amount=payload.amount,
        paid_on=payload.paid_on,
        voucher=payload.voucher,
    )
    return Status(201, payment_out(payment))


@router.get(
    "/calls/{int:call_id}/ledger",
    response={200: CallLedgerOut, **ERRORS},
    tags=["payments"],
    summary="批次经费台账：每个项目的立项、拨付、待拨与退回，合计与预算 / the call's ledger",
)
def calls_ledger(request: HttpRequest, call_id: Id):
    user = actor(request)
    ledger = selectors.call_ledger(user, call_for(user, call_id))
    return {
        "call": ledger["call"].pk,
        "name": ledger["call"].name,
        "rows": [{"project": project_brief(r["project"]), "ledger": r["ledger"].as_dict()} for r in ledger["rows"]],
        "total": ledger["total"].as_dict(),
        "budgets": ledger["budgets"],
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/calls/{int:call_id}/projects.xlsx",
    response={200: None, **ERRORS},
    tags=["payments"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "项目、考核指标、拨款与合计四张工作表 / four sheets: projects, indicators, payments, totals",
                "content": {XLSX: {"schema": BINARY}},
            }
        }
    },
    summary="批次项目台账 Excel（调用者可见的项目）/ the call's projects as a workbook",
)
def calls_projects_xlsx(request: HttpRequest, call_id: Id):
    user = actor(request)
    call = call_for(user, call_id)
    response = HttpResponse(exports.call_projects_xlsx(actor=user, call=call), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="call-{call.pk}-projects.xlsx"'
    return response


# --------------------------------------------------------------------------- change requests


@router.get(
    "/projects/{int:project_id}/changes", response={200: Page[ChangeOut], **ERRORS}, tags=["changes"], summary="变更申请 / change requests"
)
def changes_list(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    project = selectors.project_get(actor(request), project_id)
    return paginate(_changes(project.changes.order_by("number")), query, change_out)


@router.post(
    "/projects/{int:project_id}/changes",
    response={201: ChangeOut, **WRITE_ERRORS},
    tags=["changes"],
    openapi_extra=multipart(
        ChangeIn,
        {"files": {"type": "array", "items": BINARY, "maxItems": 20, "description": "附件 / attachments"}},
        json_parts=("payload",),
    ),
    summary="申请变更（承担单位）/ ask for a change, the project's unit",
    description="附件以 multipart/form-data 发送：同样的字段（payload 为 JSON）与若干 `files` / attachments as multipart `files`.",
)
def changes_create(request: HttpRequest, project_id: Id, payload: ChangeIn = json_or_form()):
    user = actor(request)
    project = selectors.project_get(user, project_id)
    files = [_upload(f) for f in request.FILES.getlist("files")]
    cr = services.change_request_create(
        actor=user, project=project, kind=payload.kind, reasons=payload.reasons, payload=payload.payload, files=files
    )
    return Status(201, _fresh(user, cr))


@router.get("/changes/{int:change_id}", response={200: ChangeOut, **ERRORS}, tags=["changes"], summary="变更申请详情 / one change request")
def changes_get(request: HttpRequest, change_id: Id):
    return change_out(selectors.change_get(actor(request), change_id))


@router.post(
    "/changes/{int:change_id}/opinion",
    response={200: ChangeOut, **WRITE_ERRORS},
    tags=["changes"],
    summary="推荐单位意见 / the recommending unit's opinion",
)
def changes_opinion(request: HttpRequest, change_id: Id, payload: OpinionIn):
    user = actor(request)
    cr = services.change_request_opinion(
        actor=user, change=selectors.change_get(user, change_id), agrees=payload.agrees, opinion=payload.opinion
    )
    return _fresh(user, cr)


@router.post(
    "/changes/{int:change_id}/decision",
    response={200: ChangeOut, **WRITE_ERRORS},
    tags=["changes"],
    summary="审批变更（项目处）：批准即成为任务书的下一号变更 / approve or refuse, the officer",
)
def changes_decide(request: HttpRequest, change_id: Id, payload: DecisionIn):
    user = actor(request)
    cr = services.change_request_decide(
        actor=user, change=selectors.change_get(user, change_id), approve=payload.approve, comment=payload.comment, misused=payload.misused
    )
    return _fresh(user, cr)


@router.post(
    "/changes/{int:change_id}/withdraw",
    response={200: ChangeOut, **WRITE_ERRORS},
    tags=["changes"],
    summary="撤回变更申请（承担单位）/ withdraw a change request",
)
def changes_withdraw(request: HttpRequest, change_id: Id):
    user = actor(request)
    return _fresh(user, services.change_request_withdraw(actor=user, change=selectors.change_get(user, change_id)))


# --------------------------------------------------------------------------- a call's settings, an organisation's account


@router.get(
    "/calls/{int:call_id}/project-settings",
    response={200: ProjectSettingsOut, **ERRORS},
    tags=["calls"],
    summary="批次的任务书签订期限与默认拨款计划 / the call's time to sign and payment plan",
)
def calls_project_settings(request: HttpRequest, call_id: Id):
    return settings_out(call_for(actor(request), call_id))


@router.put(
    "/calls/{int:call_id}/project-settings",
    response={200: ProjectSettingsOut, **WRITE_ERRORS},
    tags=["calls"],
    summary="设置批次的签订期限与默认拨款计划（项目处）/ set them, officers",
)
def calls_project_settings_set(request: HttpRequest, call_id: Id, payload: ProjectSettingsIn):
    user = actor(request)
    call = call_for(user, call_id)
    services.call_project_settings_set(
        actor=user, call=call, sign_days=payload.sign_days, tranches=[t.model_dump() for t in payload.tranches]
    )
    return settings_out(call)


@router.get(
    "/organisations/{int:org_id}/bank-account",
    response={200: BankAccountOut, **ERRORS},
    tags=["organisations"],
    summary="单位现行收款账户（掩码）/ the organisation's account in force, masked",
)
def organisations_bank_account(request: HttpRequest, org_id: Id):
    org = organisation_for(actor(request), org_id)
    account = bank_account_of(org)
    if account is None:
        raise NotFound(f"{org.name}尚未登记收款账户 / no bank account recorded", detail={"organisation": org.pk})
    return bank_account_out(account)


@router.post(
    "/organisations/{int:org_id}/bank-account",
    response={201: BankAccountOut, **WRITE_ERRORS},
    tags=["organisations"],
    summary="登记收款账户（本单位管理员或项目处；原账户保留为停用）/ record the account grants are paid into",
)
def organisations_bank_account_set(request: HttpRequest, org_id: Id, payload: BankAccountIn):
    user = actor(request)
    account = org_services.bank_account_set(
        actor=user, organisation=organisation_for(user, org_id), bank=payload.bank, name=payload.name, number=payload.number
    )
    return Status(201, bank_account_out(account))

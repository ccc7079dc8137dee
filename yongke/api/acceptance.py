"""Reports, mid-term checks, acceptance and its panels, the 验收证书 and the 结题报告, and a call's
post-award settings.

Every read goes through `yongke.projects.acceptance_selectors` (a project's schedule, its
reports and acceptances, the overdue list, an expert's panel tasks) or the PDFs of
`yongke.projects.certificate`; every write through one service of `yongke.projects.acceptance`
with the caller as the actor. Evidence is uploaded as a multipart form (`file` and, optionally,
`indicator`). An expert reaches the acceptance only through their panel tasks, and sees its
material only after accepting.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, Field, StrictFloat, StrictInt

from yongke.api.auth import actor
from yongke.api.calls import call_for
from yongke.api.projects import BINARY, ProjectBriefOut, _upload, json_or_form, multipart, project_brief
from yongke.api.schemas import (
    ERRORS,
    MAX_ID,
    WRITE_ERRORS,
    Amount,
    Facts,
    Flag,
    Id,
    Input,
    Json,
    Page,
    PageQuery,
    Ref,
    Text,
    local,
    no_control,
    paginate,
)
from yongke.core.errors import BadInput
from yongke.projects import acceptance as services
from yongke.projects import acceptance_selectors as sel
from yongke.projects import certificate
from yongke.projects.models import Acceptance, PanelMember, ProjectFile, Report
from yongke.projects.selectors import project_get

router = Router(tags=["acceptance"])
ReportKind = Literal["midterm", "final", "rectification"]
Verdict = Literal["passed", "passed_after_rectification", "rectify", "failed"]
Result = Literal["pass", "fail"]
IndicatorId = Annotated[str, AfterValidator(no_control), Field(min_length=1, max_length=20, description="考核指标编号 / an indicator's id")]
ExtraValue = Annotated[StrictFloat | StrictInt | None, Field(ge=0, le=1e17)]
PanelSize = Annotated[StrictInt, Field(ge=1, le=services.MAX_PANEL, description="专家人数 / experts")]
PDF_RESPONSE = {"200": {"description": "PDF（A4）", "content": {"application/pdf": {"schema": BINARY}}}}
DOWNLOAD = {"200": {"description": "文件内容 / the file", "content": {"application/octet-stream": {"schema": BINARY}}}}


# --------------------------------------------------------------------------- schemas: reports


class ReportSpentLine(Schema):
    category: str = Field(description="任务书经费预算科目 / a budget line of the task book")
    fiscal: int = Field(description="财政资金支出（元）/ the city's money spent, yuan")
    self_raised: int = Field(description="自筹经费支出（元）/ own money spent, yuan")


class ReportSpentLineIn(Input):
    category: Text = Field(min_length=1, max_length=24, description="任务书经费预算科目 / a budget line of the task book")
    fiscal: Amount = 0
    self_raised: Amount = 0


class ReportSaveIn(Input):
    """Each section given replaces the draft's; one left out stays as it is."""

    lock_version: StrictInt | None = Field(None, ge=0, le=MAX_ID, description="读取时的版本号；过期则 409 / the version read")
    narrative: Text | None = Field(None, max_length=services.TEXT_MAX, description="执行情况 / what was done")
    actuals: Facts | None = Field(None, description="事实 → 实际完成值（考核指标读取的事实）/ fact → actual value")
    extra_actuals: dict[IndicatorId, ExtraValue] | None = Field(
        None, max_length=100, description="补充指标编号 → 实际完成值 / added indicator → actual"
    )
    spent: list[ReportSpentLineIn] | None = Field(None, max_length=20, description="按预算科目的实际支出 / spending by budget line")


class ReportEvidenceIn(Input):
    indicator: Ref | None = Field(None, description="佐证的考核指标 / the indicator it is evidence for")


class ReportEvidenceOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    indicator: int | None
    uploaded_at: dt.datetime
    download_url: str


class ReportOut(Schema):
    id: int
    project: int
    kind: str = Field(description="midterm | final | rectification")
    kind_label: str
    number: int
    due_on: dt.date
    state: str = Field(description="draft | submitted | returned | checked")
    state_label: str
    narrative: str
    actuals: dict[str, Any]
    extra_actuals: dict[str, Any]
    spent: list[ReportSpentLine]
    checks: dict[str, Any] = Field(description="按指南规则核验的结果（提交时）/ the checks by the guide's rules, at submission")
    lock_version: int
    submitted_at: dt.datetime | None
    submitted_by: str | None
    outcome: str = Field(description="中期检查结论：qualified | rectify / the mid-term conclusion")
    outcome_comment: str
    rectify_by: dt.date | None
    checked_at: dt.datetime | None
    acceptance: int | None
    files: list[ReportEvidenceOut]


class ReportSubmitIn(Input):
    lock_version: StrictInt | None = Field(None, ge=0, le=MAX_ID)


class ReportReturnIn(Input):
    comment: Text = Field(min_length=1, max_length=5000, description="退回理由 / the reasons")


class MidtermCheckIn(Input):
    outcome: Literal["qualified", "rectify"]
    comment: Text = Field("", max_length=5000, description="限期整改时必填 / required to rectify")
    rectify_by: dt.date | None = Field(None, description="整改期限（默认按规则）/ the deadline, by default the rules'")


class ReportSlotOut(Schema):
    kind: str
    kind_label: str
    number: int
    due_on: dt.date | None
    report: int | None = Field(description="报告编号；未开始填报为空 / none until the unit starts it")
    state: str = Field(description="not_started | draft | submitted | returned | checked")
    state_label: str
    overdue: bool


class ReportScheduleOut(Schema):
    project: int
    midterm_required: bool
    midterm_due: dt.date | None
    final_report_due: dt.date
    acceptance_due: dt.date
    acceptance_mode: str = Field(description="documents | panel：按立项金额的默认验收方式 / by the grant")
    midterm_passed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    reports: list[ReportSlotOut]


class ReportOverdueOut(Schema):
    project: ProjectBriefOut
    kind: str
    kind_label: str
    number: int
    due_on: dt.date
    report: int | None
    state: str
    state_label: str
    days_overdue: int


class ReportReminderOut(Schema):
    project: int
    number: str
    report: int
    kind: str
    due_on: dt.date
    reminder: str = Field(description="before:<期限> 或 after:<期限>:<序号> / which reminder")


# --------------------------------------------------------------------------- schemas: acceptance


class AcceptanceOpenIn(Input):
    mode: Literal["documents", "panel"] | None = Field(
        None, description="默认按批次或规则的书面验收金额上限 / by default the call's threshold"
    )
    experts: list[Ref] | None = Field(
        None, min_length=1, max_length=services.MAX_PANEL, description="指定专家（专家库编号）/ named experts"
    )
    k: PanelSize | None = Field(None, description="自动抽取的专家人数（默认按规则）/ experts to choose, by default the rules'")


class AcceptanceInviteIn(Input):
    experts: list[Ref] | None = Field(None, min_length=1, max_length=services.MAX_PANEL)
    k: PanelSize | None = None


class AcceptanceReasonIn(Input):
    result: Result
    reason: Text = Field("", max_length=services.NOTE_MAX, description="不通过时必填 / required for a fail")


class AcceptanceDecisionIn(Input):
    verdict: Verdict
    reasons: dict[IndicatorId, AcceptanceReasonIn] = Field(max_length=100, description="每个考核指标 → {result, reason} / every indicator")
    comment: Text = Field(min_length=1, max_length=services.TEXT_MAX, description="验收意见 / the opinion")
    rectify_by: dt.date | None = Field(None, description="限期整改的期限（默认按规则）/ a rectification's deadline")


class PanelProgressOut(Schema):
    invited: int
    pending: int
    accepted: int
    submitted: int
    declined: int


class PanelMemberOut(Schema):
    id: int
    expert: int
    name: str
    organisation: str | None
    state: str
    state_label: str
    no_conflict_declared_at: dt.datetime | None
    opinion: dict[str, Any]
    recommendation: str
    comment: str
    submitted_at: dt.datetime | None


class AcceptanceOut(Schema):
    id: int
    project: int
    number: int
    report: int
    mode: str
    mode_label: str
    state: str = Field(description="open | decided")
    state_label: str
    experts_wanted: int
    checks: dict[str, Any] = Field(description="组织验收时的核验结果 / the checks when it was opened")
    allowed_verdicts: list[str]
    verdict: str
    verdict_label: str
    reasons: dict[str, Any]
    comment: str
    rectify_by: dt.date | None
    certificate_number: str
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    progress: PanelProgressOut
    members: list[PanelMemberOut] = Field(description="项目处、审计与管理员可见 / for officers, auditors and admins")


# --------------------------------------------------------------------------- schemas: the expert's side


class PanelRespondIn(Input):
    accept: Flag
    no_conflict: Flag = Field(False, description="声明与该项目无利益冲突；接受时必须为 true / required to accept")
    comment: Text = Field("", max_length=services.NOTE_MAX, description="谢绝理由 / why declining")


class PanelJudgementIn(Input):
    result: Result
    comment: Text = Field("", max_length=services.NOTE_MAX, description="不通过时必填 / required for a fail")


class PanelOpinionIn(Input):
    opinion: dict[IndicatorId, PanelJudgementIn] = Field(max_length=100, description="每个考核指标 → {result, comment} / every indicator")
    recommendation: Verdict
    comment: Text = Field(min_length=1, max_length=services.TEXT_MAX, description="综合意见 / the overall opinion")


class PanelConflictOut(Schema):
    organisation: str
    partners: list[str]
    leader: str
    team: list[str]
    question: str


class PanelIndicatorOut(Schema):
    id: int
    source: str
    rule: str
    label: str
    clause: str
    unit: str
    targets: dict[str, Any]
    target_value: str | None


class PanelFileOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    indicator: int | None


class PanelSpentOut(ReportSpentLine):
    label: str


class PanelMaterialOut(Schema):
    report: int
    kind: str
    kind_label: str
    number: int
    narrative: str
    actuals: dict[str, Any]
    extra_actuals: dict[str, Any]
    spent: list[PanelSpentOut]
    checks: dict[str, Any]
    indicators: list[PanelIndicatorOut]
    files: list[PanelFileOut]


class PanelProjectOut(Schema):
    number: str
    organisation: str
    leader: str
    starts_on: dt.date
    ends_on: dt.date
    approved_amount: int
    content: str


class PanelTaskOut(Schema):
    id: int
    acceptance: int
    state: str = Field(description="invited | accepted | declined | submitted")
    state_label: str
    acceptance_state: str
    title: str
    direction: str
    conflict: PanelConflictOut = Field(description="接受邀请前须判断的利益冲突问题 / what to judge before accepting")
    project: PanelProjectOut | None = Field(None, description="接受邀请后可见 / once accepted")
    material: PanelMaterialOut | None = Field(description="接受邀请后可见的验收材料 / the material, once accepted")
    verdicts: list[str] = Field(default_factory=list, description="可建议的结论 / the verdicts one may recommend")
    opinion: dict[str, Any]
    recommendation: str
    comment: str
    submitted_at: dt.datetime | None


class PanelTaskBriefOut(Schema):
    id: int
    acceptance: int
    state: str
    state_label: str
    acceptance_state: str
    title: str
    direction: str


# --------------------------------------------------------------------------- schemas: settings


class PostAwardSettingsIn(Input):
    """Any of the settings; null puts one back to the rules' default. `consequences`: {outcome
    code: {subject, years | until_done, source}, or null to waive it}."""

    midterm_min_amount: Amount | None = None
    midterm_min_months: Annotated[StrictInt, Field(ge=1, le=120)] | None = None
    documents_below: Amount | None = None
    rectify_months: Annotated[StrictInt, Field(ge=1, le=12)] | None = None
    publish_results: Flag | None = None
    consequences: dict[str, Json] | None = Field(None, max_length=20)


class PostAwardSettingsOut(Schema):
    call: int
    midterm_min_amount: int
    midterm_min_months: int
    documents_below: int
    rectify_months: int
    publish_results: bool
    consequences: dict[str, Any] = Field(description="本批次对默认信用后果的覆盖 / the call's overrides")
    overridden: list[str] = Field(description="本批次自行设置的项 / set by the call itself")


# --------------------------------------------------------------------------- presenters


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def evidence_out(f: ProjectFile) -> dict[str, Any]:
    return {
        "id": f.pk,
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "indicator": f.indicator_id,
        "uploaded_at": local(f.uploaded_at),
        "download_url": f"/api/v1/projects/{f.project_id}/files/{f.pk}/download",
    }


def report_out(r: Report) -> dict[str, Any]:
    acceptance = Acceptance.objects.filter(report=r).values_list("pk", flat=True).first()
    return {
        "id": r.pk,
        "project": r.project_id,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "number": r.number,
        "due_on": r.due_on,
        "state": r.state,
        "state_label": r.get_state_display(),
        "narrative": r.narrative,
        "actuals": r.actuals,
        "extra_actuals": r.extra_actuals,
        "spent": r.spent,
        "checks": r.checks,
        "lock_version": r.lock_version,
        "submitted_at": local(r.submitted_at),
        "submitted_by": _username(r.submitted_by),
        "outcome": r.outcome,
        "outcome_comment": r.outcome_comment,
        "rectify_by": r.rectify_by,
        "checked_at": local(r.checked_at),
        "acceptance": acceptance,
        "files": [evidence_out(f) for f in r.files.all()],
    }


def _fresh_report(user: Any, r: Report) -> dict[str, Any]:
    return report_out(sel.report_get(user, r.pk))


def member_out(m: PanelMember) -> dict[str, Any]:
    return {
        "id": m.pk,
        "expert": m.expert_id,
        "name": m.expert.person.name,
        "organisation": m.expert.organisation.name if m.expert.organisation else None,
        "state": m.state,
        "state_label": m.get_state_display(),
        "no_conflict_declared_at": local(m.no_conflict_declared_at),
        "opinion": m.opinion,
        "recommendation": m.recommendation,
        "comment": m.comment,
        "submitted_at": local(m.submitted_at),
    }


def acceptance_out(user: Any, a: Acceptance) -> dict[str, Any]:
    return {
        "id": a.pk,
        "project": a.project_id,
        "number": a.number,
        "report": a.report_id,
        "mode": a.mode,
        "mode_label": a.get_mode_display(),
        "state": a.state,
        "state_label": a.get_state_display(),
        "experts_wanted": a.experts_wanted,
        "checks": a.checks,
        "allowed_verdicts": sel.allowed_verdicts(a) if a.state == Acceptance.State.OPEN else [],
        "verdict": a.verdict,
        "verdict_label": a.get_verdict_display() if a.verdict else "",
        "reasons": a.reasons,
        "comment": a.comment,
        "rectify_by": a.rectify_by,
        "certificate_number": a.certificate_number,
        "opened_at": local(a.opened_at),
        "decided_at": local(a.decided_at),
        "progress": sel.panel_progress(a),
        "members": [member_out(m) for m in sel.members_of(user, a)],
    }


def _fresh_acceptance(user: Any, a: Acceptance) -> dict[str, Any]:
    return acceptance_out(user, sel.acceptance_get(user, a.pk))


def task_brief(m: PanelMember) -> dict[str, Any]:
    p = m.acceptance.project
    return {
        "id": m.pk,
        "acceptance": m.acceptance_id,
        "state": m.state,
        "state_label": m.get_state_display(),
        "acceptance_state": m.acceptance.state,
        "title": p.title,
        "direction": p.direction,
    }


def settings_out(call: Any) -> dict[str, Any]:
    return {"call": call.pk, **sel.postaward_settings_for(call).as_dict()}


def task_out(view: dict[str, Any]) -> dict[str, Any]:
    """An expert's panel task as the selector gives it, its time in Beijing time."""
    return {**view, "submitted_at": local(view["submitted_at"])}


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------- reports


@router.get(
    "/projects/{int:project_id}/schedule",
    response={200: ReportScheduleOut, **ERRORS},
    summary="项目的报告与验收期限 / the project's report and acceptance deadlines",
)
def projects_schedule(request: HttpRequest, project_id: Id):
    user = actor(request)
    view = sel.project_schedule(user, project_get(user, project_id))
    return {**view, "midterm_passed_at": local(view["midterm_passed_at"]), "accepted_at": local(view["accepted_at"])}


@router.get("/projects/{int:project_id}/reports", response={200: Page[ReportOut], **ERRORS}, summary="项目报告 / the project's reports")
def reports_list(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    user = actor(request)
    return paginate(sel.reports_of(user, project_get(user, project_id)), query, report_out)


@router.get(
    "/reports/overdue", response={200: Page[ReportOverdueOut], **ERRORS}, summary="逾期未报送的报告（项目处）/ reports overdue, officers"
)
def reports_overdue(request: HttpRequest, query: Query[PageQuery]):
    rows = sel.reports_overdue(actor(request))
    return paginate(rows, query, lambda r: {**r, "project": project_brief(r["project"]), "due_on": dt.date.fromisoformat(r["due_on"])})


@router.post(
    "/reports/reminders",
    response={200: list[ReportReminderOut], **WRITE_ERRORS},
    summary="提醒报送期限将到和已过的报告（项目处；每个期限每种提醒一次）/ remind the units, officers",
)
def reports_remind(request: HttpRequest):
    return services.report_reminders(actor=actor(request))


@router.get("/reports/{int:report_id}", response={200: ReportOut, **ERRORS}, summary="报告详情 / one report")
def reports_get(request: HttpRequest, report_id: Id):
    return report_out(sel.report_get(actor(request), report_id))


@router.put(
    "/projects/{int:project_id}/reports/{kind}",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="填报该类别的报告草稿（承担单位）/ write the draft of the open report of this kind, the unit",
)
def reports_save(request: HttpRequest, project_id: Id, kind: ReportKind, payload: ReportSaveIn):
    user = actor(request)
    given = payload.model_dump(exclude_unset=True)
    r = services.report_save(
        actor=user,
        project=project_get(user, project_id),
        kind=kind,
        narrative=given.get("narrative"),
        actuals=given.get("actuals"),
        extra_actuals=given.get("extra_actuals"),
        spent=given.get("spent"),
        lock_version=given.get("lock_version"),
    )
    return _fresh_report(user, r)


@router.post(
    "/reports/{int:report_id}/evidence",
    response={201: ReportEvidenceOut, **WRITE_ERRORS},
    openapi_extra=multipart(ReportEvidenceIn, {"file": {**BINARY, "description": "佐证材料 / the evidence"}}),
    summary="上传佐证材料（承担单位；multipart：file、indicator）/ upload evidence, the unit",
)
def reports_evidence_upload(request: HttpRequest, report_id: Id, payload: ReportEvidenceIn = json_or_form()):
    user = actor(request)
    report = sel.report_get(user, report_id)
    upload = request.FILES.get("file")
    if upload is None:
        raise BadInput("file: 请上传佐证材料 / the file is required", detail={"field": "file"})
    filename, content = _upload(upload)
    f = services.report_attach(actor=user, report=report, filename=filename, content=content, indicator=payload.indicator)
    return Status(201, evidence_out(f))


@router.delete(
    "/reports/{int:report_id}/evidence/{int:file_id}",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="删除佐证材料（承担单位；填报中的报告），返回报告 / remove evidence from a draft, the unit",
)
def reports_evidence_remove(request: HttpRequest, report_id: Id, file_id: Id):
    user = actor(request)
    report = sel.report_get(user, report_id)
    services.report_file_remove(actor=user, report=report, file=sel.report_file_get(report=report, pk=file_id))
    return _fresh_report(user, report)


@router.post(
    "/reports/{int:report_id}/submit",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="提交报告（承担单位管理员）：结题报告、整改报告即申请验收 / submit, the unit's admin",
)
def reports_submit(request: HttpRequest, report_id: Id, payload: ReportSubmitIn):
    user = actor(request)
    r = services.report_submit(actor=user, report=sel.report_get(user, report_id), lock_version=payload.lock_version)
    return _fresh_report(user, r)


@router.post(
    "/reports/{int:report_id}/return",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="退回报告（项目处）/ send a report back, the officer",
)
def reports_return(request: HttpRequest, report_id: Id, payload: ReportReturnIn):
    user = actor(request)
    r = services.report_return(actor=user, report=sel.report_get(user, report_id), comment=payload.comment)
    return _fresh_report(user, r)


@router.post(
    "/reports/{int:report_id}/midterm-check",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="中期检查结论（项目处）：合格或限期整改 / the mid-term check, the officer",
)
def reports_midterm_check(request: HttpRequest, report_id: Id, payload: MidtermCheckIn):
    user = actor(request)
    r = services.midterm_check(
        actor=user, report=sel.report_get(user, report_id), outcome=payload.outcome, comment=payload.comment, rectify_by=payload.rectify_by
    )
    return _fresh_report(user, r)


@router.get(
    "/reports/{int:report_id}/pdf",
    response={200: None, **ERRORS},
    openapi_extra={"responses": PDF_RESPONSE},
    summary="结题报告（或整改报告、中期报告）PDF / the report as a PDF",
)
def reports_pdf(request: HttpRequest, report_id: Id):
    return _pdf(certificate.report_pdf(actor=actor(request), report=Report(pk=report_id)), f"report-{report_id}.pdf")


# --------------------------------------------------------------------------- acceptance


@router.get(
    "/projects/{int:project_id}/acceptances",
    response={200: Page[AcceptanceOut], **ERRORS},
    summary="项目的验收 / the project's acceptances",
)
def acceptances_list(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    user = actor(request)
    return paginate(sel.acceptances_of(user, project_get(user, project_id)), query, lambda a: acceptance_out(user, a))


@router.post(
    "/projects/{int:project_id}/acceptances",
    response={201: AcceptanceOut, **WRITE_ERRORS},
    summary="组织验收（项目处）：书面验收或专家验收 / open the acceptance, the officer",
)
def acceptances_open(request: HttpRequest, project_id: Id, payload: AcceptanceOpenIn):
    user = actor(request)
    a = services.acceptance_open(actor=user, project=project_get(user, project_id), mode=payload.mode, experts=payload.experts, k=payload.k)
    return Status(201, _fresh_acceptance(user, a))


@router.get("/acceptances/{int:acceptance_id}", response={200: AcceptanceOut, **ERRORS}, summary="验收详情 / one acceptance")
def acceptances_get(request: HttpRequest, acceptance_id: Id):
    user = actor(request)
    return acceptance_out(user, sel.acceptance_get(user, acceptance_id))


@router.post(
    "/acceptances/{int:acceptance_id}/invitations",
    response={200: AcceptanceOut, **WRITE_ERRORS},
    summary="增邀验收专家（项目处）/ invite more experts, the officer",
)
def acceptances_invite(request: HttpRequest, acceptance_id: Id, payload: AcceptanceInviteIn):
    user = actor(request)
    a = services.acceptance_invite(actor=user, acceptance=sel.acceptance_get(user, acceptance_id), experts=payload.experts, k=payload.k)
    return _fresh_acceptance(user, a)


@router.post(
    "/acceptances/{int:acceptance_id}/decision",
    response={200: AcceptanceOut, **WRITE_ERRORS},
    summary="验收结论（项目处）：逐项理由，通过、限期整改、整改后通过或不通过 / the verdict, the officer",
)
def acceptances_decide(request: HttpRequest, acceptance_id: Id, payload: AcceptanceDecisionIn):
    user = actor(request)
    a = services.acceptance_decide(
        actor=user,
        acceptance=sel.acceptance_get(user, acceptance_id),
        verdict=payload.verdict,
        reasons={k: v.model_dump() for k, v in payload.reasons.items()},
        comment=payload.comment,
        rectify_by=payload.rectify_by,
    )
    return _fresh_acceptance(user, a)


@router.get(
    "/projects/{int:project_id}/certificate",
    response={200: None, **ERRORS},
    openapi_extra={"responses": PDF_RESPONSE},
    summary="验收证书 PDF（验收通过并结题的项目）/ the acceptance certificate",
)
def projects_certificate(request: HttpRequest, project_id: Id):
    user = actor(request)
    return _pdf(certificate.certificate_pdf(actor=user, project=project_get(user, project_id)), f"certificate-{project_id}.pdf")


# --------------------------------------------------------------------------- the expert's panel tasks


@router.get("/panel-tasks", response={200: Page[PanelTaskBriefOut], **ERRORS}, summary="我的验收任务（专家）/ my panel tasks")
def panel_tasks(request: HttpRequest, query: Query[PageQuery]):
    return paginate(sel.panel_tasks_for(actor(request)), query, task_brief)


@router.get(
    "/panel-tasks/{int:member_id}",
    response={200: PanelTaskOut, **ERRORS},
    summary="验收任务：接受前只见项目名称、方向与利益冲突问题 / a panel task; the material once accepted",
)
def panel_task(request: HttpRequest, member_id: Id):
    user = actor(request)
    return task_out(sel.panel_task_view(user, sel.panel_task_get(user, member_id)))


@router.post(
    "/panel-tasks/{int:member_id}/response",
    response={200: PanelTaskOut, **WRITE_ERRORS},
    summary="接受（声明无利益冲突）或谢绝验收邀请（专家）/ accept or decline, the expert",
)
def panel_task_respond(request: HttpRequest, member_id: Id, payload: PanelRespondIn):
    user = actor(request)
    m = services.panel_respond(
        actor=user,
        member=sel.panel_task_get(user, member_id),
        accept=payload.accept,
        no_conflict=payload.no_conflict,
        comment=payload.comment,
    )
    return task_out(sel.panel_task_view(user, m))


@router.post(
    "/panel-tasks/{int:member_id}/opinion",
    response={200: PanelTaskOut, **WRITE_ERRORS},
    summary="提交验收意见（专家）：逐项意见、建议结论、综合意见 / the acceptance form, the expert",
)
def panel_task_opinion(request: HttpRequest, member_id: Id, payload: PanelOpinionIn):
    user = actor(request)
    m = services.panel_opinion(
        actor=user,
        member=sel.panel_task_get(user, member_id),
        opinion={k: v.model_dump() for k, v in payload.opinion.items()},
        recommendation=payload.recommendation,
        comment=payload.comment,
    )
    return task_out(sel.panel_task_view(user, m))


@router.get(
    "/panel-tasks/{int:member_id}/files/{int:file_id}/download",
    response={200: None, **ERRORS},
    openapi_extra={"responses": DOWNLOAD},
    summary="下载验收材料的佐证文件（已接受邀请的专家）/ an evidence file, for the expert who accepted",
)
def panel_task_file(request: HttpRequest, member_id: Id, file_id: Id):
    user = actor(request)
    f = sel.panel_file_get(user, sel.panel_task_get(user, member_id), file_id)
    return FileResponse(f.file.open("rb"), content_type=f.content_type, as_attachment=True, filename=f.filename)


# --------------------------------------------------------------------------- a call's post-award settings


@router.get(
    "/calls/{int:call_id}/postaward-settings",
    response={200: PostAwardSettingsOut, **ERRORS},
    tags=["calls"],
    summary="批次的立项后管理设置：中期检查、验收方式、整改期限、信用后果 / the call's post-award settings",
)
def calls_postaward_settings(request: HttpRequest, call_id: Id):
    return settings_out(call_for(actor(request), call_id))


@router.put(
    "/calls/{int:call_id}/postaward-settings",
    response={200: PostAwardSettingsOut, **WRITE_ERRORS},
    tags=["calls"],
    summary="设置批次的立项后管理设置（本批次各专项的项目处）/ set them, the officers",
)
def calls_postaward_settings_set(request: HttpRequest, call_id: Id, payload: PostAwardSettingsIn):
    user = actor(request)
    call = call_for(user, call_id)
    services.postaward_settings_set(actor=user, call=call, **payload.model_dump(exclude_unset=True))
    return settings_out(call)

"""Applications: drafts, edits with optimistic locking, rule checks, workflow transitions,
timeline, submissions and attachments. Every read goes through `application_for` /
`applications_visible_to`; every write through the application services."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, StrictInt

from yongke.api.auth import actor, address
from yongke.api.calls import call_for
from yongke.api.schemas import (
    ERRORS,
    MAX_ID,
    WRITE_ERRORS,
    Amount,
    Code,
    Facts,
    Id,
    Input,
    Page,
    PageQuery,
    Ref,
    Text,
    local,
    paginate,
)
from yongke.applications import selectors, services
from yongke.applications.models import Application, Attachment, Submission
from yongke.applications.workflow import workflow_for
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.orgs.selectors import organisations_visible_to, people_visible_to

router = Router(tags=["applications"])
LockVersion = Field(ge=0, le=MAX_ID, description="编辑开始时的版本号；过期则 409 / the version you started from")


# --------------------------------------------------------------------------- schemas


class OrgBrief(Schema):
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


class ActionOut(Schema):
    action: str
    label: str
    target: str
    roles: list[str]
    comment_required: bool
    needs: list[str]


class AppBrief(Schema):
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


class AppPatch(Input):
    lock_version: StrictInt = LockVersion
    title: Text | None = Field(None, min_length=1, max_length=200)
    summary: Text | None = Field(None, max_length=20_000)
    requested_amount: Amount | None = None
    self_raised_amount: Amount | None = None
    facts: Facts | None = Field(None, description="合并到已有事实；值为 null 删除该事实 / merged; null removes")
    leader: Ref | None = Field(None, description="null 清除负责人 / null clears the leader")


class TransitionIn(Input):
    action: Code = Field(description="如 submit、recommend、return、fund … / a workflow action")
    comment: Text = Field("", max_length=5000)
    amount: Amount | None = Field(None, description="立项或核定金额（元）/ the amount decided, in yuan")
    objection_days: StrictInt | None = Field(None, ge=0, le=1000)
    lock_version: StrictInt | None = Field(None, ge=0, le=MAX_ID)


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
            {"person": {"id": m.person_id, "name": m.person.name}, "role": m.role} for m in app.team.select_related("person").order_by("id")
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
    }


# --------------------------------------------------------------------------- reads


@router.get("/applications", response={200: Page[AppBrief], **ERRORS}, summary="申报列表 / applications the caller may see")
def applications_list(request: HttpRequest, filters: Query[AppFilter]):
    user = actor(request)
    qs = selectors.applications_filtered(user, **filters.model_dump(exclude={"page", "page_size"}))
    return paginate(qs.order_by("-created_at", "-id"), filters, lambda a: app_brief(a, user))


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
    changes = {k: v for k, v in given.items() if v is not None or k == "leader"}
    if "leader" in changes:
        changes["leader"] = _person(user, changes["leader"], "leader") if changes["leader"] is not None else None
    updated = services.application_update(actor=user, application=app, lock_version=lock_version, changes=changes)
    return app_out(selectors.application_for(user, updated.pk), user)


@router.post(
    "/applications/{int:app_id}/transitions",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="执行一步工作流（提交、推荐、退回补正、立项…）/ take one workflow step",
)
def applications_transition(request: HttpRequest, app_id: Id, payload: TransitionIn):
    user = actor(request)
    app = selectors.application_for(user, app_id)
    app, changed = services.application_transition(
        actor=user,
        application=app,
        action=payload.action,
        comment=payload.comment,
        amount=payload.amount,
        objection_days=payload.objection_days,
        lock_version=payload.lock_version,
        address=address(request),
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
    return paginate(app.attachments.order_by("uploaded_at", "id"), query, _attachment_out)


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

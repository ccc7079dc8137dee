"""Ending a funded project early and the money it gives back: termination (终止) and rescission
(撤销) by the programme's officer, the recovery ledger (what is due, by when, what came back)
with finance's receipts, and the credit records a project's outcome left on its unit and leader.

Every read goes through the projects' selectors (`recoveries_of`, `recoveries_of_call`,
`recoveries_overdue`, `recovery_get`, `credit_records_of`), every write through one service
(`project_terminate`, `project_rescind`, `closure.recovery_receive`,
`credit.acceptance_overdue_scan`), each with the caller as the actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from yongke.api.auth import actor
from yongke.api.calls import call_for
from yongke.api.projects import ProjectDetailOut, project_detail
from yongke.api.schemas import ERRORS, MAX_AMOUNT, MAX_ID, WRITE_ERRORS, Amount, Flag, Id, Input, Page, PageQuery, Text, local, paginate
from yongke.orgs.models import CreditRecord
from yongke.projects import closure, credit, selectors, services
from yongke.projects.models import Recovery, RecoveryReceipt

router = Router(tags=["projects"])
PositiveAmount = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT, description="元 / yuan")]
LockVersion = Field(None, ge=0, le=MAX_ID, description="读取时的版本号；过期则 409 / the version you read")


# --------------------------------------------------------------------------- schemas


class TerminateIn(Input):
    comment: Text = Field(min_length=1, max_length=5000, description="终止理由 / why the project ends")
    misused: Amount = Field(
        0, description="认定的违规使用财政资金（元），不超过承担单位报告的已支出数 / misused money found, at most what was spent"
    )
    lock_version: StrictInt | None = LockVersion


class RescindIn(Input):
    comment: Text = Field(min_length=1, max_length=5000, description="撤销理由 / why the project is rescinded")
    misconduct: Flag = Field(
        False, description="因弄虚作假、违规使用资金等严重失信行为撤销：记入承担单位和项目负责人的失信记录 / for misconduct"
    )
    lock_version: StrictInt | None = LockVersion


class ReceiptIn(Input):
    amount: PositiveAmount
    received_on: dt.date = Field(description="到账日期：退回决定之日至今天 / from the day the recovery was opened to today")
    voucher: Text = Field(min_length=1, max_length=64, description="凭证号，与拨款凭证合计只能登记一次 / once across payments and receipts")


class ReceiptOut(Schema):
    id: int
    amount: int
    received_on: dt.date
    voucher: str
    recorded_by: str | None
    recorded_at: dt.datetime


class RecoveryProjectOut(Schema):
    id: int
    number: str
    title: str
    state: str
    organisation: str


class RecoveryOut(Schema):
    """amount_due = unused + misused for a termination (or a failed acceptance's unused), all that
    was paid for a rescission; left = amount_due − received."""

    id: int
    project: RecoveryProjectOut
    kind: str = Field(description="termination | revocation | failed")
    kind_label: str
    unused: int = Field(description="未使用的财政资金（元）/ unused, yuan")
    misused: int = Field(description="违规使用的财政资金（元）/ misused")
    amount_due: int = Field(description="应退回（元）/ to be returned")
    received: int = Field(description="已退回（元）/ returned so far")
    left: int = Field(description="尚应退回（元）/ still to come back")
    due_on: dt.date = Field(description="退回期限 / due by")
    received_on: dt.date | None = Field(description="最近一次到账日期 / the latest receipt's day")
    overdue: bool = Field(description="已过期限仍未退清 / past its due date with money still to come back")
    reason: str
    basis: dict[str, Any] = Field(description="计算依据：已拨付、已支出、所依条款 / paid, spent, the clause")
    recorded_by: str | None
    recorded_at: dt.datetime
    receipts: list[ReceiptOut]


class ReceiptRecordedOut(Schema):
    receipt: ReceiptOut
    recovery: RecoveryOut


class CreditSubjectOut(Schema):
    id: int
    name: str


class CreditRecordOut(Schema):
    id: int
    subject: str = Field(description="organisation | leader")
    organisation: CreditSubjectOut | None
    person: CreditSubjectOut | None
    reason: str
    source: str = Field(description="所依条款 / the clause")
    consequence: str = Field(description="信用后果类别（规则编码）/ the consequence's code in the rules")
    origin: str = Field(description="来源记录，如 project:<项目编号> / the record it stems from")
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="结束日期；null 为办结前一直有效 / null: until the matter is done")
    active: bool = Field(description="今天仍有效 / in force today")


class ClosureOut(Schema):
    state: str
    state_label: str
    lock_version: int
    project: ProjectDetailOut
    recoveries: list[RecoveryOut] = Field(description="项目的经费退回 / the project's recoveries")
    credit_records: list[CreditRecordOut] = Field(description="项目结果记入的失信记录 / credit records the outcome left")


class OverdueOut(Schema):
    project: RecoveryProjectOut
    due_on: dt.date = Field(description="结题报告（验收申请）的报送期限 / when the final report was due")
    credit_record: CreditRecordOut


class OverdueScanOut(Schema):
    recorded: list[OverdueOut] = Field(description="本次新记入的逾期未验收项目 / the projects recorded overdue now")


# --------------------------------------------------------------------------- presenters


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _project_ref(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "number": p.number, "title": p.title, "state": p.state, "organisation": p.organisation.name}


def receipt_out(r: RecoveryReceipt) -> dict[str, Any]:
    return {
        "id": r.pk,
        "amount": r.amount,
        "received_on": r.received_on,
        "voucher": r.voucher,
        "recorded_by": _username(r.recorded_by),
        "recorded_at": local(r.recorded_at),
    }


def recovery_out(r: Recovery) -> dict[str, Any]:
    return {
        "id": r.pk,
        "project": _project_ref(r.project),
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "unused": r.unused,
        "misused": r.misused,
        "amount_due": r.amount_due,
        "received": r.received,
        "left": selectors.recovery_left(r),
        "due_on": r.due_on,
        "received_on": r.received_on,
        "overdue": selectors.recovery_overdue(r),
        "reason": r.reason,
        "basis": r.basis,
        "recorded_by": _username(r.recorded_by),
        "recorded_at": local(r.recorded_at),
        "receipts": [receipt_out(x) for x in r.receipts.all()],
    }


def credit_record_out(c: CreditRecord) -> dict[str, Any]:
    return {
        "id": c.pk,
        "subject": "organisation" if c.organisation_id else "leader",
        "organisation": {"id": c.organisation.pk, "name": c.organisation.name} if c.organisation else None,
        "person": {"id": c.person.pk, "name": c.person.name} if c.person else None,
        "reason": c.reason,
        "source": c.source,
        "consequence": c.consequence,
        "origin": c.origin,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "active": c.active_on(timezone.localdate()),
    }


def _closure_out(user: Any, project_id: int) -> dict[str, Any]:
    p = selectors.project_get(user, project_id)
    out = project_detail(p, user)
    return {
        "state": out["state"],
        "state_label": out["state_label"],
        "lock_version": out["lock_version"],
        "project": out,
        "recoveries": [recovery_out(r) for r in selectors.recoveries_of(user, p)],
        "credit_records": [credit_record_out(c) for c in selectors.credit_records_of(user, p)],
    }


# --------------------------------------------------------------------------- ending a project


@router.post(
    "/projects/{int:project_id}/terminate",
    response={200: ClosureOut, **WRITE_ERRORS},
    summary="终止项目（项目处）：停止拨款，收回未使用和违规使用的财政资金 / terminate, the officer",
)
def projects_terminate(request: HttpRequest, project_id: Id, payload: TerminateIn):
    user = actor(request)
    p = services.project_terminate(
        actor=user,
        project=selectors.project_get(user, project_id),
        comment=payload.comment,
        misused=payload.misused,
        lock_version=payload.lock_version,
    )
    return _closure_out(user, p.pk)


@router.post(
    "/projects/{int:project_id}/rescind",
    response={200: ClosureOut, **WRITE_ERRORS},
    summary="撤销项目（项目处）：收回已拨付的全部财政资金；严重失信的记入失信记录 / rescind, the officer",
)
def projects_rescind(request: HttpRequest, project_id: Id, payload: RescindIn):
    user = actor(request)
    p = services.project_rescind(
        actor=user,
        project=selectors.project_get(user, project_id),
        comment=payload.comment,
        misconduct=payload.misconduct,
        lock_version=payload.lock_version,
    )
    return _closure_out(user, p.pk)


# --------------------------------------------------------------------------- the recovery ledger


@router.get(
    "/projects/{int:project_id}/recoveries",
    response={200: Page[RecoveryOut], **ERRORS},
    tags=["payments"],
    summary="项目的经费退回：应退回、期限、已到账 / the project's recoveries",
)
def recoveries_list(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    user = actor(request)
    return paginate(selectors.recoveries_of(user, selectors.project_get(user, project_id)), query, recovery_out)


@router.get(
    "/calls/{int:call_id}/recoveries",
    response={200: Page[RecoveryOut], **ERRORS},
    tags=["payments"],
    summary="批次各项目的经费退回（调用者可见的项目）/ the call's recoveries",
)
def calls_recoveries(request: HttpRequest, call_id: Id, query: Query[PageQuery]):
    user = actor(request)
    return paginate(selectors.recoveries_of_call(user, call_for(user, call_id)), query, recovery_out)


@router.get(
    "/recoveries/overdue",
    response={200: Page[RecoveryOut], **ERRORS},
    tags=["payments"],
    summary="逾期未退清的经费退回 / recoveries past their due date",
)
def recoveries_overdue(request: HttpRequest, query: Query[PageQuery]):
    return paginate(selectors.recoveries_overdue(actor(request)), query, recovery_out)


@router.get(
    "/recoveries/{int:recovery_id}", response={200: RecoveryOut, **ERRORS}, tags=["payments"], summary="经费退回详情 / one recovery"
)
def recoveries_get(request: HttpRequest, recovery_id: Id):
    return recovery_out(selectors.recovery_get(actor(request), recovery_id))


@router.post(
    "/recoveries/{int:recovery_id}/receipts",
    response={201: ReceiptRecordedOut, **WRITE_ERRORS},
    tags=["payments"],
    summary="登记退回到账（财务）：不超过尚应退回的金额，凭证号只能登记一次 / record money returned, finance",
)
def recoveries_receive(request: HttpRequest, recovery_id: Id, payload: ReceiptIn):
    user = actor(request)
    receipt = closure.recovery_receive(
        actor=user,
        recovery=selectors.recovery_get(user, recovery_id),
        amount=payload.amount,
        received_on=payload.received_on,
        voucher=payload.voucher,
    )
    return Status(201, {"receipt": receipt_out(receipt), "recovery": recovery_out(selectors.recovery_get(user, recovery_id))})


# --------------------------------------------------------------------------- credit


@router.get(
    "/projects/{int:project_id}/credit-records",
    response={200: Page[CreditRecordOut], **ERRORS},
    summary="项目结果记入的失信记录（原因、期限、条款）/ the credit records the project's outcomes left",
)
def projects_credit_records(request: HttpRequest, project_id: Id, query: Query[PageQuery]):
    user = actor(request)
    return paginate(selectors.credit_records_of(user, selectors.project_get(user, project_id)), query, credit_record_out)


@router.post(
    "/projects/acceptance-overdue/scan",
    response={200: OverdueScanOut, **WRITE_ERRORS},
    summary="检查逾期未申请验收的项目并记入失信记录（项目处，本专项）/ record overdue acceptances, officers",
)
def projects_acceptance_overdue_scan(request: HttpRequest):
    found = credit.acceptance_overdue_scan(actor=actor(request))
    return {
        "recorded": [{"project": _project_ref(o.project), "due_on": o.due_on, "credit_record": credit_record_out(o.record)} for o in found]
    }

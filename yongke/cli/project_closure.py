"""`yongke project terminate|rescind|recover|overdue-scan`: ending a funded project early, the
money it gives back, and the credit consequence of an overdue acceptance.

Each verb calls one service or selector of `yongke.projects` and prints JSON: exit 0 on
success, 1 when the rules refuse a well-formed request, 2 on bad input (one line naming the
flag)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from yongke.cli.common import EXIT_OK, actor_named, add_as_option, django_setup, emit, parse_time
from yongke.cli.project_common import bad as _bad
from yongke.cli.project_common import day as _day
from yongke.cli.project_common import project_named as _project
from yongke.cli.project_common import time_text as _time
from yongke.core.errors import BadInput, NotFound

if TYPE_CHECKING:
    from yongke.accounts.actors import Actor
    from yongke.orgs.models import CreditRecord
    from yongke.projects.models import Project, Recovery


# --------------------------------------------------------------------------- what is given, what is printed


def _yuan(text: str, field: str) -> int:
    from yongke.core.money import MoneyError, parse_yuan

    try:
        return parse_yuan(text)
    except MoneyError as e:
        raise _bad(field, f"{e.message}「{text}」 / bad amount", value=text) from None


def _project_json(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "number": p.number,
        "title": p.title,
        "organisation": {"id": p.organisation_id, "name": p.organisation.name},
        "state": p.state,
        "state_label": str(p.state_label),
        "lock_version": p.lock_version,
        "approved_amount": p.approved_amount,
        "ended_at": _time(p.ended_at),
    }


def _recovery_json(r: Recovery) -> dict[str, Any]:
    from yongke.projects.selectors import recovery_left, recovery_overdue

    return {
        "id": r.pk,
        "project": r.project_id,
        "number": r.project.number,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "unused": r.unused,
        "misused": r.misused,
        "amount_due": r.amount_due,
        "received": r.received,
        "left": recovery_left(r),
        "due_on": r.due_on.isoformat(),
        "received_on": r.received_on.isoformat() if r.received_on else None,
        "overdue": recovery_overdue(r),
        "reason": r.reason,
        "basis": r.basis,
        "recorded_at": _time(r.recorded_at),
        "receipts": [
            {
                "id": x.pk,
                "amount": x.amount,
                "received_on": x.received_on.isoformat(),
                "voucher": x.voucher,
                "recorded_at": _time(x.recorded_at),
            }
            for x in r.receipts.all()
        ],
    }


def _credit_json(c: CreditRecord) -> dict[str, Any]:
    return {
        "id": c.pk,
        "subject": "organisation" if c.organisation_id else "leader",
        "name": c.organisation.name if c.organisation else (c.person.name if c.person else ""),
        "reason": c.reason,
        "source": c.source,
        "consequence": c.consequence,
        "origin": c.origin,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat() if c.ends_on else None,
    }


def _ended(actor: Actor, p: Project) -> dict[str, Any]:
    from yongke.projects.selectors import credit_records_of, project_ledger, recoveries_of

    return {
        "project": _project_json(p),
        "ledger": project_ledger(p).as_dict(),
        "recoveries": [_recovery_json(r) for r in recoveries_of(actor, p)],
        "credit_records": [_credit_json(c) for c in credit_records_of(actor, p)],
    }


# --------------------------------------------------------------------------- the verbs


def cmd_terminate(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import project_terminate

    misused = _yuan(args.misused, "--misused") if args.misused is not None else 0
    actor = actor_named(args.as_user)
    p = project_terminate(
        actor=actor, project=_project(actor, args.id), comment=args.comment, misused=misused, lock_version=args.lock_version
    )
    emit(_ended(actor, p))
    return EXIT_OK


def cmd_rescind(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import project_rescind

    actor = actor_named(args.as_user)
    p = project_rescind(
        actor=actor, project=_project(actor, args.id), comment=args.comment, misconduct=args.misconduct, lock_version=args.lock_version
    )
    emit(_ended(actor, p))
    return EXIT_OK


RECEIPT_FLAGS = ("recovery", "amount", "received_on", "voucher")


def _recovery_of(actor: Actor, p: Project, pk: int) -> Recovery:
    from yongke.projects.selectors import recovery_get

    try:
        r = recovery_get(actor, pk)
    except NotFound:
        r = None
    if r is None or r.project_id != p.pk:
        raise BadInput(
            f"--recovery: 项目 {p.number} 没有经费退回记录 {pk} / no such recovery of the project",
            code="not_found",
            detail={"field": "--recovery", "value": pk},
        )
    return r


def cmd_recover(args: argparse.Namespace) -> int:
    """A project's recoveries; with --recovery … a receipt recorded against one; --overdue: those past due."""
    django_setup()
    from yongke.projects.closure import recovery_receive
    from yongke.projects.selectors import recoveries_of, recoveries_overdue, recovery_get

    actor = actor_named(args.as_user)
    given = [f for f in RECEIPT_FLAGS if getattr(args, f) is not None]
    if args.overdue:
        if args.id is not None or given:
            raise BadInput(
                "--overdue: 列出逾期未退清的记录时不带项目与到账信息 / --overdue takes no project", detail={"field": "--overdue"}
            )
        emit({"overdue": [_recovery_json(r) for r in recoveries_overdue(actor)]})
        return EXIT_OK
    if args.id is None:
        raise BadInput("project: 请给出项目 ID，或用 --overdue / a project id is required", detail={"field": "project"})
    p = _project(actor, args.id)
    if not given:
        emit({"project": p.pk, "number": p.number, "recoveries": [_recovery_json(r) for r in recoveries_of(actor, p)]})
        return EXIT_OK
    missing = [f for f in RECEIPT_FLAGS if getattr(args, f) is None]
    if missing:
        flag = "--" + missing[0].replace("_", "-")
        raise BadInput(f"{flag}: 登记退回到账须同时给出 --recovery --amount --received-on --voucher / required", detail={"field": flag})
    recovery = _recovery_of(actor, p, args.recovery)
    receipt = recovery_receive(
        actor=actor,
        recovery=recovery,
        amount=_yuan(args.amount, "--amount"),
        received_on=_day(args.received_on, "--received-on"),
        voucher=args.voucher,
    )
    emit({"receipt": receipt.pk, "recovery": _recovery_json(recovery_get(actor, recovery.pk))})
    return EXIT_OK


def cmd_overdue_scan(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.credit import acceptance_overdue_scan

    now = parse_time(args.now, "--now") if args.now else None
    found = acceptance_overdue_scan(actor=actor_named(args.as_user), now=now)
    emit(
        {
            "recorded": [
                {
                    "project": o.project.pk,
                    "number": o.project.number,
                    "due_on": o.due_on.isoformat(),
                    "credit_record": _credit_json(o.record),
                }
                for o in found
            ]
        }
    )
    return EXIT_OK


# --------------------------------------------------------------------------- the command line


def register(psub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to `yongke project`."""
    t = psub.add_parser("terminate", help="终止项目（项目处）：停止拨款，收回未使用和违规使用的财政资金")
    t.add_argument("id", help="项目 ID")
    t.add_argument("--comment", required=True, help="终止理由")
    t.add_argument("--misused", help="认定的违规使用金额（元），可写 5万、50,000；不超过承担单位报告的已支出数")
    t.add_argument("--lock-version", type=int, help="读取时的版本号（不一致则拒绝）")
    add_as_option(t)
    t.set_defaults(func=cmd_terminate)
    r = psub.add_parser("rescind", help="撤销项目（项目处）：收回已拨付的全部财政资金")
    r.add_argument("id", help="项目 ID")
    r.add_argument("--comment", required=True, help="撤销理由")
    r.add_argument("--misconduct", action="store_true", help="因严重失信行为撤销：承担单位与项目负责人记入失信记录")
    r.add_argument("--lock-version", type=int, help="读取时的版本号（不一致则拒绝）")
    add_as_option(r)
    r.set_defaults(func=cmd_rescind)
    rc = psub.add_parser("recover", help="经费退回：列出项目的退回记录，或登记一笔退回到账（财务）；--overdue 列出逾期未退清的")
    rc.add_argument("id", nargs="?", help="项目 ID")
    rc.add_argument("--recovery", type=int, help="退回记录 ID（登记到账时）")
    rc.add_argument("--amount", help="到账金额（元），可写 5万、50,000")
    rc.add_argument("--received-on", help="到账日期 YYYY-MM-DD")
    rc.add_argument("--voucher", help="凭证号（与拨款凭证合计只能登记一次）")
    rc.add_argument("--overdue", action="store_true", help="列出已过期限仍未退清的记录")
    add_as_option(rc)
    rc.set_defaults(func=cmd_recover)
    s = psub.add_parser("overdue-scan", help="检查逾期未申请验收的项目，记入承担单位的失信记录（办结前不得申报）")
    s.add_argument("--now", help="按此时间判断（北京时间，默认：现在）")
    add_as_option(s)
    s.set_defaults(func=cmd_overdue_scan)

"""`yongke project …`: projects after 立项 — the 任务书, its signing, payments, change requests.

Each verb calls one service or selector of `yongke.projects` and prints JSON. Files given on
the command line (a stamped task book, a change's attachments, a JSON document) are read
here and refused in one line naming the flag when they cannot be (missing, a directory, not
UTF-8, not JSON); everything else is the services' to judge.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yongke.cli import project_acceptance, project_closure, project_verify
from yongke.cli.common import EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit, parse_time
from yongke.cli.project_common import bad as _bad
from yongke.cli.project_common import day as _day
from yongke.cli.project_common import project_named as _project
from yongke.cli.project_common import time_text as _time
from yongke.core import textio
from yongke.core.errors import BadInput, NotFound
from yongke.core.money import MoneyError, parse_yuan

if TYPE_CHECKING:
    from yongke.accounts.actors import Actor
    from yongke.applications.models import Call
    from yongke.projects.models import ChangeRequest, Payment, Project

CHANGE_KINDS = ("extension", "leader", "lead_unit", "targets", "budget", "termination")

# --------------------------------------------------------------------------- reading what was given


def _flagged(field: str, e: BadInput) -> BadInput:
    """`yongke.core.textio`'s error, its message led by the flag that named the file."""
    return _bad(field, e.message, **e.detail)


def _read_bytes(path: str, field: str) -> bytes:
    """A regular file's bytes; anything else is bad input naming the flag."""
    try:
        return textio.read_bytes(path, max_bytes=textio.MAX_ZIP_UNCOMPRESSED)
    except BadInput as e:
        raise _flagged(field, e) from None


def _loads(text: str, field: str, source: str) -> Any:
    try:
        return textio.loads_json(text, source=source)
    except BadInput as e:
        raise _flagged(field, e) from None


def _read_json(path: str, field: str) -> Any:
    """A JSON document from a file, or from standard input for `-`, in any encoding textio reads."""
    try:
        return textio.read_json(path, source="stdin" if path == "-" else path)
    except BadInput as e:
        raise _flagged(field, e) from None


def _json_arg(text: str, field: str) -> Any:
    """JSON written on the command line, or `@FILE` (`@-`: standard input) to read it from a file."""
    if text.startswith("@"):
        return _read_json(text[1:], field)
    return _loads(text, field, "JSON")


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(field, "应为 JSON 对象 / must be a JSON object")
    return value


def _amount(text: str, field: str = "--amount") -> int:
    try:
        return parse_yuan(text)
    except MoneyError as e:
        raise _bad(field, f"{e.message}「{text}」 / bad amount", value=text) from None


def _write_out(path: str, data: bytes, field: str = "--out") -> None:
    """Write a file the command produces; a path that cannot be written is bad input naming the flag."""
    p = Path(path)
    if p.is_dir():
        raise _bad(field, f"是目录：{path} / is a directory", file=path)
    try:
        p.write_bytes(data)
    except OSError as e:
        raise _bad(field, f"无法写入 {path}：{e.strerror} / cannot write", file=path) from None


# --------------------------------------------------------------------------- finding what is named


def _change(actor: Actor, pk: str) -> ChangeRequest:
    from yongke.projects.selectors import change_get

    try:
        return change_get(actor, pk)
    except NotFound:
        raise BadInput(
            f"change: 变更申请不存在 {pk} / change request not found", code="not_found", detail={"field": "change", "value": pk}
        ) from None


def _call(pk: int) -> Call:
    from yongke.applications.models import Call

    call = Call.objects.filter(pk=pk).first()
    if call is None:
        raise _bad("--call", f"批次 {pk} 不存在 / unknown call", value=pk)
    return call


# --------------------------------------------------------------------------- what is printed


def _deadline(ts: dt.datetime | None) -> str | None:
    from yongke.core import workdays

    return workdays.format_deadline(ts) if ts else None


def _summary(p: Project, paid: int) -> dict[str, Any]:
    return {
        "id": p.pk,
        "number": p.number,
        "title": p.title,
        "direction": p.direction,
        "organisation": {"id": p.organisation_id, "name": p.organisation.name, "uscc": p.organisation.uscc},
        "state": p.state,
        "state_label": str(p.state_label),
        "approved_amount": p.approved_amount,
        "paid": paid,
        "sign_by": _deadline(p.sign_by),
    }


def _row(p: Project) -> dict[str, Any]:
    from yongke.projects.selectors import project_ledger

    return _summary(p, project_ledger(p).paid)


def _detail(p: Project) -> dict[str, Any]:
    return {
        **_row(p),
        "application": p.application_id,
        "call": p.call_id,
        "programme": p.programme,
        "leader": {"id": p.leader_id, "name": p.leader.name, "phone": p.leader_phone},
        "starts_on": p.starts_on.isoformat(),
        "ends_on": p.ends_on.isoformat(),
        "lock_version": p.lock_version,
        "amendment": p.amendment,
        "unit_signed_at": _time(p.unit_signed_at),
        "countersigned_at": _time(p.countersigned_at),
        "ended_at": _time(p.ended_at),
    }


def _payment_json(pay: Payment) -> dict[str, Any]:
    return {
        "id": pay.pk,
        "tranche": pay.tranche.order,
        "amount": pay.amount,
        "paid_on": pay.paid_on.isoformat(),
        "voucher": pay.voucher,
        "account": {"bank": pay.account_bank, "name": pay.account_name, "number_masked": pay.account_masked},
        "recorded_at": _time(pay.recorded_at),
    }


def _amendment_of(cr: ChangeRequest) -> int | None:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return cr.amendment.number
    except ObjectDoesNotExist:
        return None


def _change_json(cr: ChangeRequest) -> dict[str, Any]:
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
        "requested_at": _time(cr.requested_at),
        "opinion_agrees": cr.opinion_agrees,
        "opinion": cr.opinion,
        "opinion_at": _time(cr.opinion_at),
        "decision_comment": cr.decision_comment,
        "decided_at": _time(cr.decided_at),
        "amendment": _amendment_of(cr),
        "files": [{"id": f.pk, "filename": f.filename, "content_type": f.content_type, "size": f.size} for f in cr.files.all()],
    }


# --------------------------------------------------------------------------- reads


def cmd_list(args: argparse.Namespace) -> int:
    django_setup()
    from django.db.models import Sum

    from yongke.projects.selectors import project_filter, projects_visible_to
    from yongke.projects.workflow import PROJECT

    if args.state and args.state not in PROJECT.states:
        raise _bad("--state", f"未知状态 {args.state}，可用：{', '.join(PROJECT.states)} / unknown state", value=args.state)
    actor = actor_named(args.as_user)
    params = {"call": args.call, "state": args.state, "programme": args.programme, "direction": args.direction}
    qs = project_filter(projects_visible_to(actor), params).annotate(paid_total=Sum("payments__amount"))
    emit([_summary(p, p.paid_total or 0) for p in qs])
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.selectors import project_ledger, task_book_content, versions_of

    p = _project(actor_named(args.as_user), args.id)
    paid: dict[int, int] = {}
    payments = []
    for pay in p.payments.select_related("tranche"):
        paid[pay.tranche.order] = paid.get(pay.tranche.order, 0) + pay.amount
        payments.append(_payment_json(pay))
    emit(
        {
            "project": _detail(p),
            "task_book": task_book_content(p),
            "ledger": project_ledger(p).as_dict(),
            "tranches": [
                {
                    "order": t.order,
                    "label": t.label,
                    "amount": t.amount,
                    "condition": t.condition,
                    "condition_label": t.get_condition_display(),
                    "paid": paid.get(t.order, 0),
                }
                for t in p.tranches.all()
            ],
            "payments": payments,
            "changes": [_change_json(cr) for cr in p.changes.prefetch_related("files")],
            "versions": [{"number": v.number, "change": v.change_id, "created_at": _time(v.created_at)} for v in versions_of(p)],
            "files": [
                {"id": f.pk, "kind": f.kind, "filename": f.filename, "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
                for f in p.files.all()
            ],
        }
    )
    return EXIT_OK


def cmd_ledger(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.selectors import call_ledger

    actor = actor_named(args.as_user)
    ledger = call_ledger(actor, _call(args.call))
    emit(
        {
            "call": {"id": ledger["call"].pk, "name": ledger["call"].name},
            "rows": [
                {
                    "id": r["project"].pk,
                    "number": r["project"].number,
                    "title": r["project"].title,
                    "direction": r["project"].direction,
                    "organisation": r["project"].organisation.name,
                    "state": r["project"].state,
                    **r["ledger"].as_dict(),
                }
                for r in ledger["rows"]
            ],
            "total": ledger["total"].as_dict(),
            "budgets": ledger["budgets"],
        }
    )
    return EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.pdf import task_book_pdf

    actor = actor_named(args.as_user)
    p = _project(actor, args.id)
    content = task_book_pdf(actor=actor, project=p)
    _write_out(args.out, content)
    emit({"project": p.pk, "number": p.number, "amendment": p.amendment, "out": args.out, "bytes": len(content)})
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.exports import call_projects_xlsx

    call = _call(args.call)
    content = call_projects_xlsx(actor=actor_named(args.as_user), call=call)
    _write_out(args.out, content)
    emit({"call": call.pk, "name": call.name, "out": args.out, "bytes": len(content)})
    return EXIT_OK


# --------------------------------------------------------------------------- the task book and its steps


def cmd_edit(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.selectors import task_book_content
    from yongke.projects.services import task_book_update

    changes = dict(_object(_read_json(args.changes, "--changes"), "--changes"))
    lock_version = changes.pop("lock_version", None)
    if lock_version is not None and (isinstance(lock_version, bool) or not isinstance(lock_version, int)):
        raise _bad("lock_version", "版本号应为整数 / must be an integer")
    actor = actor_named(args.as_user)
    p = task_book_update(actor=actor, project=_project(actor, args.id), lock_version=lock_version, changes=changes)
    emit({"project": _detail(p), "task_book": task_book_content(p)})
    return EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import project_transition

    content = None
    filename = ""
    if getattr(args, "file", None):
        content, filename = _read_bytes(args.file, "--file"), Path(args.file).name
    actor = actor_named(args.as_user)
    p = project_transition(
        actor=actor,
        project=_project(actor, args.id),
        action=args.action,
        comment=getattr(args, "comment", None) or "",
        lock_version=args.lock_version,
        filename=filename,
        content=content,
    )
    emit(_detail(p))
    return EXIT_OK


def cmd_expire(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import projects_revoke_unsigned

    now = parse_time(args.now, "--now") if args.now else None
    revoked = projects_revoke_unsigned(actor=actor_named(args.as_user), now=now)
    emit({"revoked": [_row(p) for p in revoked]})
    return EXIT_OK


def cmd_remind(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import signing_reminders

    now = parse_time(args.now, "--now") if args.now else None
    emit({"reminded": signing_reminders(actor=actor_named(args.as_user), days=args.days, now=now)})
    return EXIT_OK


# --------------------------------------------------------------------------- money and settings


def cmd_pay(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.selectors import project_ledger
    from yongke.projects.services import payment_record

    amount, paid_on = _amount(args.amount), _day(args.paid_on, "--paid-on")
    actor = actor_named(args.as_user)
    p = _project(actor, args.id)
    payment = payment_record(actor=actor, project=p, tranche=args.tranche, amount=amount, paid_on=paid_on, voucher=args.voucher)
    emit({"payment": _payment_json(payment), "ledger": project_ledger(p).as_dict()})
    return EXIT_OK


POSTAWARD_OPTIONS = {  # setting → (its option, whether it is an amount of money)
    "midterm_min_amount": ("--midterm-min-amount", True),
    "midterm_min_months": ("--midterm-min-months", False),
    "documents_below": ("--documents-below", True),
    "rectify_months": ("--rectify-months", False),
}


def _postaward_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The post-award settings given on the command line; `default` puts one back to the rules'."""
    fields: dict[str, Any] = {}
    for name, (flag, money) in POSTAWARD_OPTIONS.items():
        text = getattr(args, name)
        if text is None:
            continue
        if text == "default":
            fields[name] = None
        elif money:
            try:
                fields[name] = parse_yuan(text)
            except MoneyError as e:
                raise _bad(flag, f"{e.message}「{text}」 / bad amount", value=text) from None
        else:
            if not text.isdecimal():
                raise _bad(flag, f"应为整数（月）或 default「{text}」 / whole months", value=text)
            fields[name] = int(text)
    if args.publish_results is not None:
        fields["publish_results"] = args.publish_results
    if args.consequences is not None:
        fields["consequences"] = _json_arg(args.consequences, "--consequences")
    return fields


def cmd_settings(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import postaward_settings_set
    from yongke.projects.acceptance_selectors import postaward_settings_for
    from yongke.projects.services import call_project_settings_set

    tranches = _json_arg(args.tranches, "--tranches") if args.tranches is not None else None
    postaward = _postaward_fields(args)
    actor = actor_named(args.as_user)
    call = _call(args.call)
    if args.sign_days is not None or tranches is not None or not postaward:
        s = call_project_settings_set(actor=actor, call=call, sign_days=args.sign_days, tranches=tranches)
    if postaward:  # the post-award settings are their own service's (yongke.projects.acceptance)
        s = postaward_settings_set(actor=actor, call=call, **postaward)
    out: dict[str, Any] = {"call": s.call_id, "sign_days": s.sign_days, "tranches": s.tranches}
    if postaward:
        out["postaward"] = postaward_settings_for(call).as_dict()
    emit(out)
    return EXIT_OK


# --------------------------------------------------------------------------- change requests


def cmd_change(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import change_request_create

    payload = _json_arg(args.payload, "--payload") if args.payload is not None else None
    files = [(Path(f).name, _read_bytes(f, "--file")) for f in args.files or ()]
    actor = actor_named(args.as_user)
    cr = change_request_create(
        actor=actor, project=_project(actor, args.id), kind=args.kind, reasons=args.reasons, payload=payload, files=files
    )
    emit(_change_json(cr))
    return EXIT_OK


def cmd_change_opinion(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import change_request_opinion

    actor = actor_named(args.as_user)
    cr = change_request_opinion(actor=actor, change=_change(actor, args.id), agrees=args.agrees, opinion=args.opinion)
    emit(_change_json(cr))
    return EXIT_OK


def cmd_change_decide(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import change_request_decide

    misused = _amount(args.misused, "--misused") if args.misused is not None else 0
    actor = actor_named(args.as_user)
    cr = change_request_decide(
        actor=actor, change=_change(actor, args.id), approve=args.approve, comment=args.comment or "", misused=misused
    )
    emit(_change_json(cr))
    return EXIT_OK


def cmd_change_withdraw(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.services import change_request_withdraw

    actor = actor_named(args.as_user)
    emit(_change_json(change_request_withdraw(actor=actor, change=_change(actor, args.id))))
    return EXIT_OK


# --------------------------------------------------------------------------- the command line


def _steps(psub: argparse._SubParsersAction) -> None:
    """send, sign, countersign, reopen, revoke: one step of the project workflow each."""
    for action, help_text, needs_comment in (
        ("send", "发送任务书给承担单位签订（期限按批次设置）", False),
        ("sign", "承担单位签订：上传盖章的任务书 PDF", False),
        ("countersign", "主管部门签订（承担单位签订之后）：项目进入执行", False),
        ("reopen", "退回修改任务书（须说明理由）", True),
        ("revoke", "撤销立项（须说明理由）", True),
    ):
        s = psub.add_parser(action, help=help_text)
        s.add_argument("id", help="项目 ID")
        if action == "sign":
            s.add_argument("--file", required=True, help="盖章的任务书（PDF）")
        if needs_comment:
            s.add_argument("--comment", required=True)
        s.add_argument("--lock-version", type=int, help="读取时的版本号（不一致则拒绝）")
        add_as_option(s)
        s.set_defaults(func=cmd_step, action=action)


def _change_parsers(psub: argparse._SubParsersAction) -> None:
    c = psub.add_parser("change", help="承担单位申请变更（延期、负责人、承担单位、考核指标、预算调剂、终止）")
    c.add_argument("id", help="项目 ID")
    c.add_argument("--kind", required=True, choices=CHANGE_KINDS)
    c.add_argument("--reasons", required=True, help="变更理由")
    c.add_argument("--payload", help='变更内容 JSON，或 @文件：如 {"ends_on": "2027-06-30"}')
    c.add_argument("--file", dest="files", action="extend", nargs="+", help="附件（可多个）")
    add_as_option(c)
    c.set_defaults(func=cmd_change)
    o = psub.add_parser("change-opinion", help="推荐单位对变更申请出具意见")
    o.add_argument("id", help="变更申请 ID")
    g = o.add_mutually_exclusive_group(required=True)
    g.add_argument("--agree", dest="agrees", action="store_true", default=None)
    g.add_argument("--disagree", dest="agrees", action="store_false")
    o.add_argument("--opinion", required=True)
    add_as_option(o)
    o.set_defaults(func=cmd_change_opinion)
    d = psub.add_parser("change-decide", help="主管部门审批变更申请（批准即成为任务书的下一号变更）")
    d.add_argument("id", help="变更申请 ID")
    g = d.add_mutually_exclusive_group(required=True)
    g.add_argument("--approve", dest="approve", action="store_true", default=None)
    g.add_argument("--refuse", dest="approve", action="store_false")
    d.add_argument("--comment", help="审批意见（不予批准时必填）")
    d.add_argument("--misused", help="批准终止申请时认定的违规使用金额（元），可写 5万")
    add_as_option(d)
    d.set_defaults(func=cmd_change_decide)
    w = psub.add_parser("change-withdraw", help="承担单位撤回尚在办理的变更申请")
    w.add_argument("id", help="变更申请 ID")
    add_as_option(w)
    w.set_defaults(func=cmd_change_withdraw)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `project …` to the yongke command."""
    project = sub.add_parser("project", help="项目：任务书、签订、拨款、变更")
    psub = project.add_subparsers(dest="project_command", required=True, parser_class=Parser)
    ls = psub.add_parser("list", help="项目列表")
    ls.add_argument("--call", type=int)
    ls.add_argument("--state")
    ls.add_argument("--programme")
    ls.add_argument("--direction")
    add_as_option(ls)
    ls.set_defaults(func=cmd_list)
    sh = psub.add_parser("show", help="项目详情：任务书、经费、拨款、变更、版本")
    sh.add_argument("id", help="项目 ID")
    add_as_option(sh)
    sh.set_defaults(func=cmd_show)
    pdf = psub.add_parser("pdf", help="任务书 PDF（现行版本，含变更记录）")
    pdf.add_argument("id", help="项目 ID")
    pdf.add_argument("--out", required=True, help="写入的 PDF 文件")
    add_as_option(pdf)
    pdf.set_defaults(func=cmd_pdf)
    ed = psub.add_parser("edit", help='修改任务书（编制中）：JSON 对象，键为要修改的部分，可含 "lock_version"')
    ed.add_argument("id", help="项目 ID")
    ed.add_argument("--changes", required=True, help="JSON 文件，- 表示标准输入")
    add_as_option(ed)
    ed.set_defaults(func=cmd_edit)
    _steps(psub)
    ex = psub.add_parser("expire", help="撤销逾期未签订任务书的项目")
    ex.add_argument("--now", help="按此时间判断（北京时间，默认：现在）")
    add_as_option(ex)
    ex.set_defaults(func=cmd_expire)
    rm = psub.add_parser("remind", help="提醒签订期限将到的承担单位（每个期限只提醒一次）")
    rm.add_argument("--days", type=int, help="期限前多少天内提醒（默认：规则的 reminder_days）")
    rm.add_argument("--now", help="按此时间判断（北京时间，默认：现在）")
    add_as_option(rm)
    rm.set_defaults(func=cmd_remind)
    pay = psub.add_parser("pay", help="登记一笔拨款（财务）")
    pay.add_argument("id", help="项目 ID")
    pay.add_argument("--tranche", type=int, required=True, help="拨款计划的期次")
    pay.add_argument("--amount", required=True, help="金额（元），可写 35万、350,000")
    pay.add_argument("--paid-on", required=True, help="拨付日期 YYYY-MM-DD")
    pay.add_argument("--voucher", required=True, help="凭证号")
    add_as_option(pay)
    pay.set_defaults(func=cmd_pay)
    lg = psub.add_parser("ledger", help="批次的经费台账：各项目、合计、预算")
    lg.add_argument("--call", type=int, required=True)
    add_as_option(lg)
    lg.set_defaults(func=cmd_ledger)
    xl = psub.add_parser("export", help="批次的项目台账 Excel：项目、考核指标、拨款、合计")
    xl.add_argument("--call", type=int, required=True)
    xl.add_argument("--out", required=True, help="写入的 xlsx 文件")
    add_as_option(xl)
    xl.set_defaults(func=cmd_export)
    _change_parsers(psub)
    st = psub.add_parser("settings", help="批次的项目管理设置：签订期限、默认拨款计划、中期检查、验收方式、整改期限、信用后果")
    st.add_argument("--call", type=int, required=True)
    st.add_argument("--sign-days", type=int, help="立项后多少天内签订任务书")
    st.add_argument("--tranches", help='默认拨款计划 JSON 或 @文件：[{"label", "share_pct", "condition"}]')
    st.add_argument("--midterm-min-amount", help="须中期检查的立项金额下限（元，可写 100万；default 为按规则）")
    st.add_argument("--midterm-min-months", help="执行期超过多少个月须中期检查（default 为按规则）")
    st.add_argument("--documents-below", help="立项金额低于多少元书面验收，否则专家验收（default 为按规则）")
    st.add_argument("--rectify-months", help="验收限期整改的期限（月，default 为按规则）")
    pub = st.add_mutually_exclusive_group()
    pub.add_argument("--publish-results", dest="publish_results", action="store_true", default=None, help="公开已验收项目及其主要成果")
    pub.add_argument("--no-publish-results", dest="publish_results", action="store_false")
    st.add_argument(
        "--consequences",
        help='信用后果覆盖 JSON 或 @文件：{"acceptance_failed": {"subject": "leader", "years": 3, "source": "…"}}，null 为免除',
    )
    add_as_option(st)
    st.set_defaults(func=cmd_settings)
    # The verbs after signing: offline verification, reports and acceptance, termination and recovery.
    project_verify.register(psub)
    project_acceptance.register(psub)
    project_closure.register(psub)

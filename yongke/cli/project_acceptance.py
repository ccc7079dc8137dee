"""`yongke project …` verbs of reports, mid-term checks and acceptance (docs/acceptance.md).

`report` writes the unit's report of a kind (`--data FILE`: {narrative, actuals, extra_actuals,
spent}), adds evidence (`--evidence FILE…`, for `--indicator ID`) and submits it (`--submit`),
each step by its own service in that order; `report-return`, `midterm-check`, `reports-overdue`
and `report-remind` are the officer's; `acceptance-open`, `acceptance-invite` and `accept` (the
verdict, `--reasons FILE`) the acceptance's; `panel-tasks`, `panel-respond` and `panel-opinion`
the expert's; `certificate` and `report-pdf` write the PDFs. JSON out; exit 0 on success, 1
when the rules refuse a well-formed request, 2 on bad input with one line naming the field.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yongke.cli.common import EXIT_OK, actor_named, add_as_option, django_setup, emit, parse_time, read_json
from yongke.cli.project_common import bad as _bad
from yongke.cli.project_common import project_named as _project
from yongke.cli.project_common import time_text as _time
from yongke.core import textio
from yongke.core.errors import BadInput, NotFound

if TYPE_CHECKING:
    from yongke.accounts.actors import Actor
    from yongke.projects.models import Acceptance, PanelMember, Report

REPORT_KINDS = ("midterm", "final", "rectification")
VERDICTS = ("passed", "passed_after_rectification", "rectify", "failed")
REPORT_SECTIONS = {"narrative", "actuals", "extra_actuals", "spent", "lock_version"}


def _read_bytes(path: str, field: str) -> bytes:
    """A regular file's bytes (`yongke.core.textio.read_bytes`); anything else is bad input naming the flag."""
    try:
        return textio.read_bytes(path, max_bytes=textio.MAX_ZIP_UNCOMPRESSED)
    except BadInput as e:
        raise _bad(field, e.message, **e.detail) from None


def _json_file(path: str, field: str) -> dict[str, Any]:
    try:
        data = read_json(path)
    except BadInput as e:
        raise _bad(field, e.message) from None
    if not isinstance(data, dict):
        raise _bad(field, "应为 JSON 对象 / must be a JSON object")
    return data


def _write_out(path: str, data: bytes) -> None:
    p = Path(path)
    if p.is_dir():
        raise _bad("--out", f"是目录：{path} / is a directory", file=path)
    try:
        p.write_bytes(data)
    except OSError as e:
        raise _bad("--out", f"无法写入 {path}：{e.strerror} / cannot write", file=path) from None


def _day(text: str | None, field: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad(field, f"应为日期 YYYY-MM-DD「{text}」 / must be a date", value=text) from None


def _found(fn: Any, actor: Actor, pk: str, field: str) -> Any:
    """What a selector finds for the actor; not found is bad input naming the argument."""
    try:
        return fn(actor, pk)
    except NotFound as e:
        raise BadInput(f"{field}: {e.message}", code="not_found", detail={"field": field, "value": pk}) from None


def _report(actor: Actor, pk: str) -> Report:
    from yongke.projects.acceptance_selectors import report_get

    return _found(report_get, actor, pk, "report")


def _acceptance(actor: Actor, pk: str) -> Acceptance:
    from yongke.projects.acceptance_selectors import acceptance_get

    return _found(acceptance_get, actor, pk, "acceptance")


def _member(actor: Actor, pk: str) -> PanelMember:
    from yongke.projects.acceptance_selectors import panel_task_get

    return _found(panel_task_get, actor, pk, "member")


def _now(args: argparse.Namespace) -> dt.datetime | None:
    return parse_time(args.now, "--now") if getattr(args, "now", None) else None


# --------------------------------------------------------------------------- what is printed


def _report_json(r: Report) -> dict[str, Any]:
    return {
        "id": r.pk,
        "project": r.project_id,
        "kind": r.kind,
        "number": r.number,
        "due_on": r.due_on.isoformat(),
        "state": r.state,
        "state_label": r.get_state_display(),
        "narrative": r.narrative,
        "actuals": r.actuals,
        "extra_actuals": r.extra_actuals,
        "spent": r.spent,
        "checks": r.checks,
        "lock_version": r.lock_version,
        "submitted_at": _time(r.submitted_at),
        "outcome": r.outcome,
        "outcome_comment": r.outcome_comment,
        "rectify_by": r.rectify_by.isoformat() if r.rectify_by else None,
        "files": [{"id": f.pk, "filename": f.filename, "indicator": f.indicator_id, "sha256": f.sha256} for f in r.files.all()],
    }


def _acceptance_json(actor: Actor, a: Acceptance) -> dict[str, Any]:
    from yongke.projects.acceptance_selectors import allowed_verdicts, members_of, panel_progress

    return {
        "id": a.pk,
        "project": a.project_id,
        "number": a.number,
        "report": a.report_id,
        "mode": a.mode,
        "state": a.state,
        "verdict": a.verdict,
        "allowed_verdicts": allowed_verdicts(a) if a.state == "open" else [],
        "checks": a.checks,
        "reasons": a.reasons,
        "comment": a.comment,
        "rectify_by": a.rectify_by.isoformat() if a.rectify_by else None,
        "certificate_number": a.certificate_number,
        "progress": panel_progress(a),
        "members": [
            {"id": m.pk, "expert": m.expert_id, "name": m.expert.person.name, "state": m.state, "recommendation": m.recommendation}
            for m in members_of(actor, a)
        ],
    }


# --------------------------------------------------------------------------- the unit's reports


def cmd_report(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects import acceptance as svc
    from yongke.projects.acceptance_selectors import OPEN_REPORT_STATES, reports_of
    from yongke.projects.models import Report

    data = _json_file(args.data, "--data") if args.data else {}
    unknown = sorted(set(data) - REPORT_SECTIONS)
    if unknown:
        raise _bad(unknown[0], f"报告没有这一项，可用：{'、'.join(sorted(REPORT_SECTIONS))} / unknown section")
    evidence = [(Path(f).name, _read_bytes(f, "--evidence")) for f in args.evidence or ()]
    if args.indicator is not None and not evidence:
        raise _bad("--indicator", "须与 --evidence 一起给出 / goes with --evidence")
    actor = actor_named(args.as_user)
    project = _project(actor, args.id)
    report = reports_of(actor, project).filter(kind=args.kind, state__in=OPEN_REPORT_STATES).order_by("-number").first()
    if data or report is None:
        report = svc.report_save(
            actor=actor,
            project=project,
            kind=args.kind,
            narrative=data.get("narrative"),
            actuals=data.get("actuals"),
            extra_actuals=data.get("extra_actuals"),
            spent=data.get("spent"),
            lock_version=data.get("lock_version"),
        )
    for filename, content in evidence:
        svc.report_attach(actor=actor, report=report, filename=filename, content=content, indicator=args.indicator)
    if args.submit:
        report = svc.report_submit(actor=actor, report=report)
    emit(_report_json(Report.objects.get(pk=report.pk)))
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance_selectors import project_schedule

    actor = actor_named(args.as_user)
    emit(project_schedule(actor, _project(actor, args.id), now=_now(args)))
    return EXIT_OK


def cmd_reports(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance_selectors import reports_of

    actor = actor_named(args.as_user)
    emit([_report_json(r) for r in reports_of(actor, _project(actor, args.id))])
    return EXIT_OK


def cmd_report_return(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import report_return

    actor = actor_named(args.as_user)
    emit(_report_json(report_return(actor=actor, report=_report(actor, args.id), comment=args.comment)))
    return EXIT_OK


def cmd_midterm_check(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import midterm_check

    rectify_by = _day(args.rectify_by, "--rectify-by")
    actor = actor_named(args.as_user)
    r = midterm_check(actor=actor, report=_report(actor, args.id), outcome=args.outcome, comment=args.comment or "", rectify_by=rectify_by)
    emit(_report_json(r))
    return EXIT_OK


def cmd_reports_overdue(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance_selectors import reports_overdue

    rows = reports_overdue(actor_named(args.as_user), now=_now(args))
    emit([{**{k: v for k, v in r.items() if k != "project"}, "project": r["project"].pk, "number": r["project"].number} for r in rows])
    return EXIT_OK


def cmd_report_remind(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import report_reminders

    emit({"reminded": report_reminders(actor=actor_named(args.as_user), now=_now(args))})
    return EXIT_OK


def cmd_report_pdf(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.certificate import report_pdf
    from yongke.projects.models import Report

    if not args.id.isdecimal():
        raise _bad("report", f"应为报告 ID「{args.id}」 / a report's id", value=args.id)
    content = report_pdf(actor=actor_named(args.as_user), report=Report(pk=int(args.id)))
    _write_out(args.out, content)
    emit({"report": int(args.id), "out": args.out, "bytes": len(content)})
    return EXIT_OK


# --------------------------------------------------------------------------- acceptance


def cmd_acceptance_open(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import acceptance_open

    actor = actor_named(args.as_user)
    a = acceptance_open(actor=actor, project=_project(actor, args.id), mode=args.mode, experts=args.experts, k=args.k)
    emit(_acceptance_json(actor, a))
    return EXIT_OK


def cmd_acceptance_invite(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import acceptance_invite

    actor = actor_named(args.as_user)
    a = acceptance_invite(actor=actor, acceptance=_acceptance(actor, args.id), experts=args.experts, k=args.k)
    emit(_acceptance_json(actor, a))
    return EXIT_OK


def cmd_accept(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import acceptance_decide

    reasons = _json_file(args.reasons, "--reasons")
    rectify_by = _day(args.rectify_by, "--rectify-by")
    actor = actor_named(args.as_user)
    a = acceptance_decide(
        actor=actor,
        acceptance=_acceptance(actor, args.id),
        verdict=args.verdict,
        reasons=reasons,
        comment=args.comment,
        rectify_by=rectify_by,
    )
    emit(_acceptance_json(actor, a))
    return EXIT_OK


def cmd_certificate(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.certificate import certificate_pdf

    actor = actor_named(args.as_user)
    p = _project(actor, args.id)
    content = certificate_pdf(actor=actor, project=p)
    _write_out(args.out, content)
    emit({"project": p.pk, "number": p.number, "out": args.out, "bytes": len(content)})
    return EXIT_OK


# --------------------------------------------------------------------------- the expert's side


def cmd_panel_tasks(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance_selectors import panel_tasks_for

    emit(
        [
            {
                "id": m.pk,
                "acceptance": m.acceptance_id,
                "state": m.state,
                "title": m.acceptance.project.title,
                "direction": m.acceptance.project.direction,
            }
            for m in panel_tasks_for(actor_named(args.as_user))
        ]
    )
    return EXIT_OK


def cmd_panel_task(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance_selectors import panel_task_view

    actor = actor_named(args.as_user)
    emit(panel_task_view(actor, _member(actor, args.id)))
    return EXIT_OK


def cmd_panel_respond(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import panel_respond
    from yongke.projects.acceptance_selectors import panel_task_view

    actor = actor_named(args.as_user)
    m = panel_respond(
        actor=actor, member=_member(actor, args.id), accept=args.accept, no_conflict=args.no_conflict, comment=args.comment or ""
    )
    emit(panel_task_view(actor, m))
    return EXIT_OK


def cmd_panel_opinion(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.projects.acceptance import panel_opinion
    from yongke.projects.acceptance_selectors import panel_task_view

    data = _json_file(args.data, "--data")
    unknown = sorted(set(data) - {"opinion", "recommendation", "comment"})
    if unknown:
        raise _bad(unknown[0], "验收意见没有这一项，可用：opinion、recommendation、comment / unknown field")
    actor = actor_named(args.as_user)
    m = panel_opinion(
        actor=actor,
        member=_member(actor, args.id),
        opinion=data.get("opinion", {}),  # its shape is the service's to check, naming the field
        recommendation=data.get("recommendation", ""),
        comment=data.get("comment", ""),
    )
    emit(panel_task_view(actor, m))
    return EXIT_OK


# --------------------------------------------------------------------------- the command line


def _report_parsers(psub: argparse._SubParsersAction) -> None:
    r = psub.add_parser("report", help="承担单位填报、上传佐证材料并提交项目报告（中期、结题、整改）")
    r.add_argument("id", help="项目 ID")
    r.add_argument("--kind", required=True, choices=REPORT_KINDS)
    r.add_argument("--data", help='报告内容 JSON 文件（- 为标准输入）：{"narrative", "actuals", "extra_actuals", "spent", "lock_version"}')
    r.add_argument("--evidence", action="extend", nargs="+", help="佐证材料文件（可多个）")
    r.add_argument("--indicator", type=int, help="佐证材料对应的考核指标 ID")
    r.add_argument("--submit", action="store_true", help="填报后提交（承担单位管理员）")
    add_as_option(r)
    r.set_defaults(func=cmd_report)
    s = psub.add_parser("schedule", help="项目的报告与验收期限")
    s.add_argument("id", help="项目 ID")
    s.add_argument("--now", help="按此时间判断是否逾期（北京时间）")
    add_as_option(s)
    s.set_defaults(func=cmd_schedule)
    ls = psub.add_parser("reports", help="项目的报告")
    ls.add_argument("id", help="项目 ID")
    add_as_option(ls)
    ls.set_defaults(func=cmd_reports)
    rr = psub.add_parser("report-return", help="项目处退回已提交的中期报告或结题报告")
    rr.add_argument("id", help="报告 ID")
    rr.add_argument("--comment", required=True, help="退回理由")
    add_as_option(rr)
    rr.set_defaults(func=cmd_report_return)
    mc = psub.add_parser("midterm-check", help="中期检查结论：合格或限期整改")
    mc.add_argument("id", help="中期报告 ID")
    mc.add_argument("--outcome", required=True, choices=("qualified", "rectify"))
    mc.add_argument("--comment", help="检查意见（限期整改时必填）")
    mc.add_argument("--rectify-by", help="整改期限 YYYY-MM-DD（默认按规则）")
    add_as_option(mc)
    mc.set_defaults(func=cmd_midterm_check)
    od = psub.add_parser("reports-overdue", help="逾期未报送的报告（项目处）")
    od.add_argument("--now", help="按此时间判断（北京时间，默认：现在）")
    add_as_option(od)
    od.set_defaults(func=cmd_reports_overdue)
    rm = psub.add_parser("report-remind", help="提醒报送期限将到或已过的报告（每个期限每种提醒一次）")
    rm.add_argument("--now", help="按此时间判断（北京时间，默认：现在）")
    add_as_option(rm)
    rm.set_defaults(func=cmd_report_remind)
    rp = psub.add_parser("report-pdf", help="结题报告（或整改报告、中期报告）PDF")
    rp.add_argument("id", help="报告 ID")
    rp.add_argument("--out", required=True, help="写入的 PDF 文件")
    add_as_option(rp)
    rp.set_defaults(func=cmd_report_pdf)


def _acceptance_parsers(psub: argparse._SubParsersAction) -> None:
    op = psub.add_parser("acceptance-open", help="组织验收：书面验收或专家验收（自动抽取或指定专家）")
    op.add_argument("id", help="项目 ID")
    op.add_argument("--mode", choices=("documents", "panel"), help="默认按批次或规则的书面验收金额上限")
    op.add_argument("--expert", dest="experts", type=int, action="append", help="指定的专家（专家库 ID，可多次）")
    op.add_argument("--k", type=int, help="自动抽取的专家人数（默认按规则）")
    add_as_option(op)
    op.set_defaults(func=cmd_acceptance_open)
    inv = psub.add_parser("acceptance-invite", help="增邀验收专家")
    inv.add_argument("id", help="验收 ID")
    inv.add_argument("--expert", dest="experts", type=int, action="append", help="指定的专家（专家库 ID，可多次）")
    inv.add_argument("--k", type=int, help="自动抽取的人数（默认 1）")
    add_as_option(inv)
    inv.set_defaults(func=cmd_acceptance_invite)
    ac = psub.add_parser("accept", help="验收结论：通过、限期整改、整改后通过或不通过，逐项理由")
    ac.add_argument("id", help="验收 ID")
    ac.add_argument("--verdict", required=True, choices=VERDICTS)
    ac.add_argument("--reasons", required=True, help='逐项理由 JSON 文件：{"指标ID": {"result": "pass|fail", "reason": "…"}}')
    ac.add_argument("--comment", required=True, help="验收意见")
    ac.add_argument("--rectify-by", help="限期整改的期限 YYYY-MM-DD（默认按规则）")
    add_as_option(ac)
    ac.set_defaults(func=cmd_accept)
    ce = psub.add_parser("certificate", help="验收证书 PDF（验收通过并结题的项目）")
    ce.add_argument("id", help="项目 ID")
    ce.add_argument("--out", required=True, help="写入的 PDF 文件")
    add_as_option(ce)
    ce.set_defaults(func=cmd_certificate)


def _panel_parsers(psub: argparse._SubParsersAction) -> None:
    ts = psub.add_parser("panel-tasks", help="我的验收任务（专家）")
    add_as_option(ts)
    ts.set_defaults(func=cmd_panel_tasks)
    t = psub.add_parser("panel-task", help="一项验收任务：接受前只见项目名称、方向与利益冲突问题")
    t.add_argument("id", help="验收任务 ID")
    add_as_option(t)
    t.set_defaults(func=cmd_panel_task)
    pr = psub.add_parser("panel-respond", help="专家接受（声明无利益冲突）或谢绝验收邀请")
    pr.add_argument("id", help="验收任务 ID")
    g = pr.add_mutually_exclusive_group(required=True)
    g.add_argument("--accept", dest="accept", action="store_true", default=None)
    g.add_argument("--decline", dest="accept", action="store_false")
    pr.add_argument("--no-conflict", action="store_true", help="声明与该项目无利益冲突（接受时必需；谢绝时不给即登记为存在利益冲突）")
    pr.add_argument("--comment", help="谢绝理由")
    add_as_option(pr)
    pr.set_defaults(func=cmd_panel_respond)
    po = psub.add_parser("panel-opinion", help="专家提交验收意见")
    po.add_argument("id", help="验收任务 ID")
    po.add_argument("--data", required=True, help='JSON 文件：{"opinion": {"指标ID": {"result", "comment"}}, "recommendation", "comment"}')
    add_as_option(po)
    po.set_defaults(func=cmd_panel_opinion)


def register(psub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to `yongke project`."""
    _report_parsers(psub)
    _acceptance_parsers(psub)
    _panel_parsers(psub)

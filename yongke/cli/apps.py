"""`yongke call open|close` and `yongke app submit|transition`."""

from __future__ import annotations

import argparse
import datetime as dt

from yongke.cli.common import EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit, parse_time
from yongke.core import textio
from yongke.core.directions import sort_directions
from yongke.core.errors import BadInput
from yongke.core.money import MoneyError, check_amount, parse_yuan


def _call_json(call) -> dict:
    from yongke.applications.services import local

    return {
        "id": call.pk,
        "name": call.name,
        "guide_version": call.guide_version.label,
        "directions": sort_directions(call.directions),
        "opens_at": local(call.opens_at),
        "closes_at": local(call.closes_at),
        "closed_at": local(call.closed_at) if call.closed_at else None,
        "leader_limit": call.leader_limit,
        "budgets": call.budgets,
    }


def _yuan(text: str) -> int:
    """An amount as people type it: 800000, "80万", "800,000元" (yongke.core.money)."""
    try:
        return parse_yuan(text)
    except MoneyError as e:
        raise argparse.ArgumentTypeError(e.message) from None


def _budgets(text: str | None) -> dict | None:
    if not text:
        return None
    try:  # within textio's limits: an integer of 5,000 digits or deep nesting is bad input, not a crash
        budgets = textio.loads_json(text, source="--budgets")
    except BadInput as e:
        raise BadInput(
            f'--budgets: 应为 JSON 对象，如 {{"1": 20000000}}（键为项目或方向编号） / bad JSON: {e.message}', detail={"field": "--budgets"}
        ) from None
    if not isinstance(budgets, dict):
        raise BadInput('--budgets: 应为 JSON 对象，如 {"1": "2000万"} / must be an object', detail={"field": "--budgets"})
    out = {}
    for key, value in budgets.items():
        try:  # a number, or the amount as people write it ("2000万")
            out[key] = parse_yuan(value) if isinstance(value, str) else check_amount(value)
        except MoneyError as e:
            raise BadInput(f"--budgets: {key} 的预算{e.message} / bad budget", detail={"field": f"budgets.{key}"}) from None
    return out


def cmd_call_open(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.applications.services import call_open

    call = call_open(
        actor=actor_named(args.as_user),
        name=args.name,
        closes_at=parse_time(args.closes_at, "--closes-at"),
        opens_at=parse_time(args.opens_at, "--opens-at") if args.opens_at else None,
        directions=[d.strip() for d in args.directions.split(",")] if args.directions else None,
        budgets=_budgets(args.budgets),
        leader_limit=args.leader_limit,
        experts_per_application=args.experts,
        blind_review=args.blind,
    )
    emit(_call_json(call))
    return EXIT_OK


def cmd_call_close(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.applications.models import Call
    from yongke.applications.services import call_close

    actor = actor_named(args.as_user)
    call = Call.objects.filter(pk=args.id).first()
    if call is None:
        raise BadInput(f"批次 {args.id} 不存在 / unknown call", detail={"field": "id"})
    emit(_call_json(call_close(actor=actor, call=call)))
    return EXIT_OK


def cmd_app_transition(args: argparse.Namespace) -> int:
    started = dt.datetime.now(dt.UTC)  # a deadline is judged at the command's start, not after its lock
    django_setup()
    from yongke.applications.services import application_get, application_transition

    action = getattr(args, "action", None) or "submit"
    app, changed = application_transition(
        actor=actor_named(args.as_user),
        application=application_get(args.id),
        action=action,
        comment=args.comment or "",
        amount=args.amount,
        objection_days=args.objection_days,
        now=started,
        voucher=getattr(args, "voucher", None),
    )
    emit(
        {
            "id": app.pk,
            "state": app.state,
            "changed": changed,
            "lock_version": app.lock_version,
            "verdict": app.verdict.get("verdict") if app.verdict else None,
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `call …` and `app …` to the yongke command."""
    call = sub.add_parser("call", help="申报批次：开放、截止")
    csub = call.add_subparsers(dest="call_command", required=True, parser_class=Parser)
    o = csub.add_parser("open", help="开放申报批次（时间为北京时间）")
    o.add_argument("--name", required=True)
    o.add_argument("--closes-at", required=True, help="截止时间，如 2022-06-30T17:00")
    o.add_argument("--opens-at", help="开始时间（默认：现在）")
    o.add_argument("--directions", help="开放的方向，逗号分隔（默认：指南全部方向）")
    o.add_argument("--budgets", help='预算 JSON，键为项目或方向编号，如 {"1": 20000000}')
    o.add_argument("--leader-limit", type=int, default=1)
    o.add_argument("--experts", type=int, default=3, help="每个申报的评审专家数")
    o.add_argument("--blind", action="store_true", help="匿名评审")
    add_as_option(o)
    o.set_defaults(func=cmd_call_open)
    c = csub.add_parser("close", help="提前截止申报批次")
    c.add_argument("id", type=int)
    add_as_option(c)
    c.set_defaults(func=cmd_call_close)

    app = sub.add_parser("app", help="申报：提交、流转")
    asub = app.add_subparsers(dest="app_command", required=True, parser_class=Parser)
    s = asub.add_parser("submit", help="提交申报（重复提交只生成一次提交）")
    s.add_argument("id", type=int)
    add_as_option(s)
    s.set_defaults(func=cmd_app_transition, comment="", amount=None, objection_days=None)
    t = asub.add_parser("transition", help="流转：recommend, accept, return, refuse, start_review, fund, publish, contract, withdraw …")
    t.add_argument("id", type=int)
    t.add_argument("action")
    t.add_argument("--comment")
    t.add_argument("--amount", type=_yuan, help="金额（元），可写 80万、800,000")
    t.add_argument("--objection-days", type=int)
    t.add_argument("--voucher", help="凭证号（拨付 pay 必填，每个凭证号只能登记一次）")
    add_as_option(t)
    t.set_defaults(func=cmd_app_transition)

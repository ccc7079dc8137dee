"""`yongke notify deadlines`: remind applicants of a call about to close (run it daily, e.g. from cron)."""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit


def cmd_deadlines(args: argparse.Namespace) -> int:
    django_setup()
    from django.conf import settings

    from yongke.notifications.events import deadline_reminders

    days = settings.YONGKE_DEADLINE_DAYS if args.days is None else args.days
    calls = deadline_reminders(actor=actor_named(args.as_user), days=days)
    emit({"days": days, "calls": calls, "reminded": sum(c["reminded"] for c in calls)})
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `notify …` to the yongke command."""
    notify = sub.add_parser("notify", help="通知：申报截止提醒")
    ns = notify.add_subparsers(dest="notify_command", required=True, parser_class=Parser)
    d = ns.add_parser(
        "deadlines",
        help="提醒尚有未提交申报的单位：批次将在 N 天内截止（每个批次每人只提醒一次）",
        description='输出 {"days", "calls": [{"call", "name", "closes_at", "reminded"}], "reminded"}；再次运行不会重复提醒。',
    )
    d.add_argument("--days", type=int, help="截止前多少天提醒（默认 YONGKE_DEADLINE_DAYS，即 3 天）")
    add_as_option(d)
    d.set_defaults(func=cmd_deadlines)

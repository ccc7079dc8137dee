"""The `yongke` commands for `audit verify`: the audit log's hash chain checked end to end."""

from __future__ import annotations

import argparse
import sys

from yongke.cli.common import EXIT_NEGATIVE, EXIT_OK, Parser, django_setup, emit


def cmd_verify(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.audit.selectors import chain_verify

    verdict = chain_verify()
    emit(verdict.as_dict())
    if not verdict.ok and verdict.first_bad:
        bad = verdict.first_bad
        sys.stderr.write(f"yongke: 审计日志链条断裂：第 {bad['id']} 号记录（{bad['reason']}）/ the audit chain is broken\n")
    return EXIT_OK if verdict.ok else EXIT_NEGATIVE


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
    p = sub.add_parser("audit", help="审计日志（verify：校验哈希链）")
    verbs = p.add_subparsers(dest="audit_command", required=True, parser_class=Parser)
    v = verbs.add_parser("verify", help="逐条校验审计日志的哈希链：完整退出码 0，被改动、删除或插入退出码 1")
    v.set_defaults(func=cmd_verify)

"""`yongke org validate-uscc|import`: check codes and import the registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yongke.cli.common import EXIT_BAD_INPUT, EXIT_NEGATIVE, EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit


def cmd_validate_uscc(args: argparse.Namespace) -> int:
    from yongke.orgs.validators import check_uscc

    verdict = check_uscc(args.code)
    emit(verdict.as_dict())
    if not verdict.valid:
        sys.stderr.write(f"yongke: {verdict.value}: {verdict.reason}\n")
    return EXIT_OK if verdict.valid else EXIT_NEGATIVE


def cmd_import(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.orgs.services import organisation_import, read_table

    path = Path(args.file)
    actor = actor_named(args.as_user)
    total = len(read_table(path))
    progress = None
    bar = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task("校验", total=total)
        bar.start()

        def progress(done: int) -> None:
            bar.update(task, completed=done)

    try:
        report = organisation_import(actor=actor, path=path, dry_run=args.dry_run, progress=progress)
    finally:
        if bar:
            bar.stop()
    emit(report.as_dict())
    if report.errors:
        first = report.errors[0]
        sys.stderr.write(
            f"yongke: {path}: 第{first['row']}行 {first['message']}（共 {len(report.errors)} 行有误，未导入任何数据）/ nothing imported\n"
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_bank_account(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.core.errors import BadInput
    from yongke.orgs.selectors import organisations_visible_to
    from yongke.orgs.services import bank_account_set

    actor = actor_named(args.as_user)
    key = args.org.strip()
    visible = organisations_visible_to(actor)
    org = visible.filter(uscc=key.upper()).first() or (visible.filter(pk=int(key)).first() if key.isdigit() and len(key) < 18 else None)
    if org is None:
        raise BadInput(
            f"org: 单位不存在 {args.org}（单位 ID 或统一社会信用代码）/ unknown organisation", detail={"field": "org", "value": args.org}
        )
    account = bank_account_set(actor=actor, organisation=org, bank=args.bank, name=args.name, number=args.number)
    emit(
        {
            "organisation": {"id": org.pk, "name": org.name, "uscc": org.uscc},
            "bank": account.bank,
            "name": account.name,
            "number_masked": account.number_masked,
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `org …` to the yongke command."""
    org = sub.add_parser("org", help="单位：统一社会信用代码校验、批量导入")
    osub = org.add_subparsers(dest="org_command", required=True, parser_class=Parser)
    v = osub.add_parser("validate-uscc", help="校验统一社会信用代码：有效退出 0，无效退出 1 并说明原因")
    v.add_argument("code")
    v.set_defaults(func=cmd_validate_uscc)
    im = osub.add_parser("import", help="从 xlsx 或 csv 导入单位（全部成功或全部不变，逐行报告错误）")
    im.add_argument("file")
    im.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    add_as_option(im)
    im.set_defaults(func=cmd_import)
    ba = osub.add_parser("bank-account", help="登记单位的收款账户（原账户保留并停用；只显示脱敏账号）")
    ba.add_argument("org", help="单位 ID 或统一社会信用代码")
    ba.add_argument("--bank", required=True, help="开户银行")
    ba.add_argument("--name", required=True, help="户名")
    ba.add_argument("--number", required=True, help="银行账号")
    add_as_option(ba)
    ba.set_defaults(func=cmd_bank_account)

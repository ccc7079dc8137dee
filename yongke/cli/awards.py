"""`yongke award quote|allocate|screen`: post-subsidy awards, JSON in and out.

Exit codes as the rest of the command: 0 success (a quote that is eligible), 1 a quote that
is not eligible, 2 bad input. None of these touches the database.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from typing import Any

from yongke.cli.common import EXIT_NEGATIVE, EXIT_OK, Parser, emit, read_json


def _compiled(args: argparse.Namespace):
    from yongke.guide.loader import bundled_guide

    return bundled_guide(getattr(args, "guide", None))


def cmd_quote(args: argparse.Namespace) -> int:
    from yongke.awards.quote import award_quote_request

    result = award_quote_request(_compiled(args), read_json(args.file))
    emit(result)
    return EXIT_OK if result["eligible"] else EXIT_NEGATIVE


def cmd_allocate(args: argparse.Namespace) -> int:
    from yongke.awards.allocate import award_allocate

    emit(award_allocate(read_json(args.file)).as_dict())
    return EXIT_OK


def _progress() -> Any:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise (pipes, logs, tests)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return None
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True
    )


def cmd_screen(args: argparse.Namespace) -> int:
    from yongke.awards import screen as sc
    from yongke.awards.quote import guide_year

    compiled = _compiled(args)
    year = guide_year(compiled, args.year)
    directions = sc.award_directions(compiled)
    progress = _progress()
    with progress if progress is not None else nullcontext():
        task = progress.add_task("读取单位数据 / reading", total=None) if progress else None
        orgs = sc.read_orgs(args.orgs, compiled)
        if progress:
            progress.update(task, description=f"筛查 {len(directions)} 个后补助方向 / screening", total=orgs.height, completed=0)
        result = sc.awards_screen(compiled, orgs, on_rows=lambda n: progress.advance(task, n) if progress else None)
        if args.out_xlsx:
            if progress:
                progress.update(task, description="写入 Excel / writing", total=result.awards.height, completed=0)
            sc.write_xlsx(result, args.out_xlsx, on_rows=lambda n: progress.advance(task, n) if progress else None)
        if args.out_json:
            sc.write_json(result, args.out_json, version=compiled.guide.version, year=year)
    out = sc.document(result, version=compiled.guide.version, year=year)
    out["xlsx"] = args.out_xlsx
    out["json"] = args.out_json
    if not args.out_json:
        out["awards"] = sc.awards_records(result).to_dicts()
    emit(out)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `award quote|allocate|screen` to the yongke command."""
    a = sub.add_parser("award", help="后补助：测算、预算分配、免申即享筛查")
    asub = a.add_subparsers(dest="award_command", required=True, parser_class=Parser)
    q = asub.add_parser("quote", help='测算一个方向的后补助金额：{"direction", "facts", "org", "year", "history"}')
    q.add_argument("file", help="JSON 文件，- 表示标准输入")
    q.add_argument("--guide", help="使用该指南文件（默认：内置指南）")
    q.set_defaults(func=cmd_quote)
    al = asub.add_parser("allocate", help='按预算等比例分配（最大余数法，整数元）：{"budget", "claims": [{"id", "amount"}]}')
    al.add_argument("file", help="JSON 文件，- 表示标准输入")
    al.set_defaults(func=cmd_allocate)
    s = asub.add_parser("screen", help="免申即享：按单位数据筛查全部后补助方向，输出公示名单")
    s.add_argument(
        "--orgs", required=True, help="单位数据（csv 或 parquet）：每个事实一列，另有 name（单位名称）、uscc（统一社会信用代码）"
    )
    s.add_argument("--out-xlsx", help="公示名单 Excel 文件")
    s.add_argument("--out-json", help="公示名单 JSON 文件（不给出时名单随结果打印）")
    s.add_argument("--year", type=int, help="年度（默认：指南年度）")
    s.add_argument("--guide", help="使用该指南文件（默认：内置指南）")
    s.set_defaults(func=cmd_screen)

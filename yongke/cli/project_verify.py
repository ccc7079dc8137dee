"""`yongke project verify FILE`: the offline verification contract (docs/verify.md).

FILE (or `-` for standard input) is `{"direction", "targets", "actuals"}`, optionally with
`"version"`/`"revision"` of a loaded guide, as `yongke check` takes them; `--guide FILE`
verifies by another guide file. Every commitment rule of the direction is checked on the
actuals and against the targets (`yongke.projects.verification.verify`). Exit 0 when the
verdict is pass, 1 when it is fail or incomplete, 2 on bad input with one line naming the
field.
"""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_NEGATIVE, EXIT_OK, compiled_guide, emit, read_json
from yongke.core.errors import BadInput

VERIFY_KEYS = {"direction", "targets", "actuals", "version", "revision"}


def cmd_verify(args: argparse.Namespace) -> int:
    from yongke.projects.verification import verify

    data = read_json(args.file)
    if not isinstance(data, dict):
        raise BadInput(f'{args.file}: 应为 JSON 对象 {{"direction", "targets", "actuals"}} / must be an object', code="bad_input")
    unknown = sorted(set(data) - VERIFY_KEYS)
    if unknown:
        raise BadInput(f"{args.file}: 未知字段 {', '.join(unknown)} / unknown field", code="unknown_field", detail={"field": unknown[0]})
    if "direction" not in data:
        raise BadInput(f"{args.file}: 缺少字段 direction / missing field", code="missing_field", detail={"field": "direction"})
    for key in ("targets", "actuals"):
        if key in data and not isinstance(data[key], dict):
            raise BadInput(f"{key}: 应为对象 {{事实: 值}} / must be an object of fact values", code="bad_input", detail={"field": key})
    compiled = compiled_guide(data, args.guide)
    result = verify(compiled, data["direction"], data.get("targets", {}), data.get("actuals", {}))
    emit(result)
    return EXIT_OK if result["verdict"] == "pass" else EXIT_NEGATIVE


def register(psub: argparse._SubParsersAction) -> None:
    """Add `yongke project verify` to `yongke project`."""
    v = psub.add_parser("verify", help='按指南规则核验考核指标：{"direction", "targets", "actuals"}（离线，不读写项目）')
    v.add_argument("file", help="JSON 文件，- 表示标准输入")
    v.add_argument("--guide", help="使用该指南文件（默认：内置指南；或文件中的 version 指定已载入版本）")
    v.set_defaults(func=cmd_verify)

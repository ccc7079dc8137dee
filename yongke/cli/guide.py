"""`yongke guide validate|load|facts|export` and `yongke check`."""

from __future__ import annotations

import argparse
import sys

from yongke.cli.common import EXIT_NEGATIVE, EXIT_OK, Parser, compiled_guide, console_actor, django_setup, emit, read_json
from yongke.core.errors import BadInput


def cmd_validate(args: argparse.Namespace) -> int:
    """Everything the test suite checks on a guide: structure, units, verbatim sources, cases
    (exit 2 with the first problem), then coverage of the published text: a passage no rule,
    text or preamble quotes is a negative verdict (exit 1, each passage listed)."""
    from yongke.guide.loader import load_guide
    from yongke.guide.validate import uncovered

    g = load_guide(args.file)
    missing = uncovered(g)
    emit(
        {
            "ok": not missing,
            "file": str(args.file) if args.file else "bundled",
            "version": g.version,
            "digest": g.digest,
            "programmes": len(g.programmes),
            "projects": len(g.projects),
            "directions": len(g.directions),
            "rules": len(g.rules),
            "rules_by_kind": _count_by_kind(g.rules),
            "facts": len(g.facts),
            "parameters": len(g.parameters),
            "cases": sum(len(d.cases) for d in g.directions),
            "sources_verbatim": True,
            "text_covered": not missing,
            "uncovered": missing,
        }
    )
    if missing:
        sys.stderr.write(
            f"指南原文有 {len(missing)} 处未被任何规则引用，例如：{missing[0][:80]} / uncovered passages of the published text\n"
        )
        return EXIT_NEGATIVE
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from yongke.guide.layout import part_schemas
    from yongke.guide.schema import json_schema

    emit(json_schema() if args.part == "file" else part_schemas()[args.part])
    return EXIT_OK


def cmd_split(args: argparse.Namespace) -> int:
    """A single guide file written out as a guide folder; the folder is then read back and
    must be the same guide (same facts, parameters, rules and cases)."""
    import shutil
    from pathlib import Path

    from yongke.guide.layout import dump, split
    from yongke.guide.loader import load_guide, read_guide

    source = Path(args.file)
    target = Path(args.folder)
    if source.is_dir():
        raise BadInput(f"file: {source} 已是指南目录 / already a guide folder", detail={"field": "file"})
    if target.exists() and any(target.iterdir()):
        raise BadInput(f"folder: {target} 不是空目录 / the folder must be new or empty", detail={"field": "folder"})
    before = load_guide(source)
    raw, _, _ = read_guide(source)
    files = dump(split(raw))
    for rel, text in files.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    if isinstance(raw.get("text"), str):
        shutil.copy(source.parent / raw["text"], target / raw["text"])
    after = load_guide(target)
    same = _same_guide(before.raw, after.raw)
    emit({"ok": same, "folder": str(target), "files": len(files) + 1, "cases": sum(len(d.cases) for d in after.directions)})
    return EXIT_OK if same else EXIT_NEGATIVE


def _same_guide(a: dict, b: dict) -> bool:
    """Two guide mappings alike but for the order of facts and parameters."""
    import json

    def canonical(raw: dict) -> str:
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)

    return canonical(a) == canonical(b)


def _count_by_kind(rules) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rules:
        out[r.kind] = out.get(r.kind, 0) + 1
    return out


def cmd_load(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.guide.services import guide_load

    version, created = guide_load(actor=console_actor(), path=args.file, publish=not args.draft)
    emit(
        {
            "version": version.label,
            "revision": version.revision,
            "digest": version.digest,
            "status": version.status,
            "created": created,
            "directions": version.directions.count(),
            "rules": version.rules.count(),
        }
    )
    return EXIT_OK


def cmd_facts(args: argparse.Namespace) -> int:
    from yongke.guide.loader import load_guide

    g = load_guide(args.file, check_cases=False)
    emit(
        {"version": g.version, "facts": [f.as_dict() for f in g.facts.values()], "parameters": [p.as_dict() for p in g.parameters.values()]}
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from yongke.guide.loader import load_guide

    if args.format != "json":
        raise BadInput(
            f"不支持的导出格式 {args.format}，目前支持 json / unsupported format", code="bad_format", detail={"field": "--format"}
        )
    g = load_guide(args.file, check_cases=False)
    emit(g.export())
    return EXIT_OK


CHECK_KEYS = {"direction", "facts", "version", "revision"}


def cmd_check(args: argparse.Namespace) -> int:
    data = read_json(args.file)
    if not isinstance(data, dict):
        raise BadInput(f'{args.file}: 应为 JSON 对象 {{"direction", "facts"}} / must be an object', code="bad_input")
    unknown = sorted(set(data) - CHECK_KEYS)
    if unknown:
        raise BadInput(f"{args.file}: 未知字段 {', '.join(unknown)} / unknown field", code="unknown_field", detail={"field": unknown[0]})
    if "direction" not in data:
        raise BadInput(f"{args.file}: 缺少字段 direction / missing field", code="missing_field", detail={"field": "direction"})
    compiled = compiled_guide(data, args.guide)
    result = compiled.check(data["direction"], data.get("facts", {}))
    emit(result)
    return EXIT_OK if result["verdict"] == "eligible" else EXIT_NEGATIVE


def register(sub: argparse._SubParsersAction) -> None:
    """Add `guide …` and `check` to the yongke command."""
    g = sub.add_parser("guide", help="申报指南：校验、载入、事实、导出")
    gs = g.add_subparsers(dest="guide_command", required=True, parser_class=Parser)
    v = gs.add_parser("validate", help="校验指南文件（默认：内置指南）")
    v.add_argument("file", nargs="?")
    v.set_defaults(func=cmd_validate)
    ld = gs.add_parser("load", help="载入指南文件到数据库（全部成功或全部不变）")
    ld.add_argument("file", nargs="?")
    ld.add_argument("--draft", action="store_true", help="只载入为草稿，不发布")
    ld.set_defaults(func=cmd_load)
    f = gs.add_parser("facts", help="列出指南声明的全部事实与参数")
    f.add_argument("--file")
    f.set_defaults(func=cmd_facts)
    e = gs.add_parser("export", help="导出指南")
    e.add_argument("--format", default="json")
    e.add_argument("--file")
    e.set_defaults(func=cmd_export)
    sc = gs.add_parser("schema", help="指南文件结构的 JSON Schema（供编辑器自动补全与提示）")
    sc.add_argument(
        "--part",
        choices=("file", "guide", "project", "cases"),
        default="file",
        help="file: 单文件指南；guide: 指南目录的 guide.yaml；project: 项目文件；cases: 用例文件",
    )
    sc.set_defaults(func=cmd_schema)
    sp = gs.add_parser("split", help="把单文件指南拆成指南目录（guide.yaml、项目文件、用例文件），并核对结果相同")
    sp.add_argument("file", help="单文件指南 / a single guide file")
    sp.add_argument("folder", help="新的指南目录 / the new guide folder")
    sp.set_defaults(func=cmd_split)

    c = sub.add_parser("check", help='按方向检查申报事实：{"direction", "facts"}')
    c.add_argument("file", help="JSON 文件，- 表示标准输入")
    c.add_argument("--guide", help="使用该指南文件（默认：内置指南；或文件中的 version 指定已载入版本）")
    c.set_defaults(func=cmd_check)

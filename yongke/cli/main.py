"""The `yongke` command: the operator's tool. JSON in and out.

Exit codes: 0 success or a positive verdict; 1 a negative verdict; 2 bad input, with a
one-line Chinese/English message on stderr naming the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from yongke.core.errors import BadInput, Refused, YongkeError

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a one-line bad-input message with exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInput(f"命令参数有误 / bad arguments: {message}（{self.prog} --help）", code="bad_arguments")


def parse_time(value: str, field: str) -> Any:
    """An ISO date-time; without a zone it is Beijing time (Asia/Shanghai)."""
    import datetime as dt

    from django.utils import timezone

    try:
        ts = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadInput(f"{field}: 应为 ISO 时间，如 2022-06-30T17:00 / must be an ISO date-time", detail={"field": field, "value": value}) from None
    return timezone.make_aware(ts) if timezone.is_naive(ts) else ts


def actor_named(username: str | None) -> Any:
    """The user a console command acts as (`--as`); None acts as the operator."""
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BadInput(f"--as: 用户 {username} 不存在 / unknown user", detail={"field": "--as", "value": username})
    return user


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def django_setup(*, migrate: bool = True) -> None:
    """Configure Django for commands that use the database (embedded SQLite by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yongke.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


# --------------------------------------------------------------------------- guide


def cmd_guide_validate(args: argparse.Namespace) -> int:
    from yongke.guide.spec import load_guide

    g = load_guide(args.file)
    emit({
        "ok": True,
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
    })
    return EXIT_OK


def _count_by_kind(rules) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rules:
        out[r.kind] = out.get(r.kind, 0) + 1
    return out


def cmd_guide_load(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.guide.services import guide_load

    version, created = guide_load(path=args.file, publish=not args.draft)
    emit({
        "version": version.label, "revision": version.revision, "digest": version.digest, "status": version.status,
        "created": created, "directions": version.directions.count(), "rules": version.rules.count(),
    })
    return EXIT_OK


def cmd_guide_facts(args: argparse.Namespace) -> int:
    from yongke.guide.spec import load_guide

    g = load_guide(args.file, check_cases=False)
    emit({"version": g.version, "facts": [f.as_dict() for f in g.facts.values()], "parameters": [p.as_dict() for p in g.parameters.values()]})
    return EXIT_OK


def cmd_guide_export(args: argparse.Namespace) -> int:
    from yongke.guide.spec import load_guide

    if args.format != "json":
        raise BadInput(f"不支持的导出格式 {args.format}，目前支持 json / unsupported format", code="bad_format", detail={"field": "--format"})
    g = load_guide(args.file, check_cases=False)
    emit(g.export())
    return EXIT_OK


# --------------------------------------------------------------------------- check


CHECK_KEYS = {"direction", "facts", "version", "revision"}


def cmd_check(args: argparse.Namespace) -> int:
    from yongke.guide.spec import read_json

    data = read_json(args.file)
    if not isinstance(data, dict):
        raise BadInput(f"{args.file}: 应为 JSON 对象 {{\"direction\", \"facts\"}} / must be an object", code="bad_input")
    unknown = sorted(set(data) - CHECK_KEYS)
    if unknown:
        raise BadInput(f"{args.file}: 未知字段 {', '.join(unknown)} / unknown field", code="unknown_field", detail={"field": unknown[0]})
    if "direction" not in data:
        raise BadInput(f"{args.file}: 缺少字段 direction / missing field", code="missing_field", detail={"field": "direction"})
    if "version" in data:
        django_setup()
        from yongke.guide import models as gm
        from yongke.guide.selectors import compiled_for

        qs = gm.GuideVersion.objects.filter(label=str(data["version"]))
        if "revision" in data:
            qs = qs.filter(revision=data["revision"])
        version = qs.order_by("-revision").first()
        if version is None:
            raise BadInput(f"未载入的指南版本 {data['version']} / unknown guide version", code="unknown_version", detail={"field": "version"})
        compiled = compiled_for(version)
    else:
        from yongke.guide.engine import bundled_guide

        compiled = bundled_guide(args.guide)
    result = compiled.check(data["direction"], data.get("facts", {}))
    emit(result)
    return EXIT_OK if result["verdict"] == "eligible" else EXIT_NEGATIVE


# --------------------------------------------------------------------------- demo, manage


def cmd_demo(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.demo import demo_load

    emit(demo_load())
    return EXIT_OK


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yongke.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yongke manage", *args.rest])
    return EXIT_OK


# --------------------------------------------------------------------------- parser

# Each domain app that has operator commands exposes `register(subparsers)` in its cli module.
APP_CLIS = ("yongke.orgs.cli", "yongke.accounts.cli", "yongke.applications.cli", "yongke.api.cli", "yongke.awards.cli", "yongke.review.cli")


def _register_app_cli(module: str, sub: argparse._SubParsersAction) -> None:
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name == module or module.startswith(f"{e.name}."):
            return  # that app is not part of this installation
        raise
    mod.register(sub)



def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="yongke", description="邕科 Yongke — 南宁科技计划管理系统的运维命令（JSON 输入输出）")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    g = sub.add_parser("guide", help="申报指南：校验、载入、事实、导出")
    gs = g.add_subparsers(dest="guide_command", required=True, parser_class=Parser)
    v = gs.add_parser("validate", help="校验指南文件（默认：内置指南）")
    v.add_argument("file", nargs="?")
    v.set_defaults(func=cmd_guide_validate)
    ld = gs.add_parser("load", help="载入指南文件到数据库（全部成功或全部不变）")
    ld.add_argument("file", nargs="?")
    ld.add_argument("--draft", action="store_true", help="只载入为草稿，不发布")
    ld.set_defaults(func=cmd_guide_load)
    f = gs.add_parser("facts", help="列出指南声明的全部事实与参数")
    f.add_argument("--file")
    f.set_defaults(func=cmd_guide_facts)
    e = gs.add_parser("export", help="导出指南")
    e.add_argument("--format", default="json")
    e.add_argument("--file")
    e.set_defaults(func=cmd_guide_export)

    c = sub.add_parser("check", help="按方向检查申报事实：{\"direction\", \"facts\"}")
    c.add_argument("file", help="JSON 文件，- 表示标准输入")
    c.add_argument("--guide", help="使用该指南文件（默认：内置指南；或文件中的 version 指定已载入版本）")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("demo", help="载入内置指南与演示数据（可重复运行）")
    d.set_defaults(func=cmd_demo)

    for module in APP_CLIS:
        _register_app_cli(module, sub)

    mg = sub.add_parser("manage", help="Django 管理命令（migrate、runserver、createsuperuser …）", add_help=False)
    mg.add_argument("rest", nargs=argparse.REMAINDER)
    mg.set_defaults(func=cmd_manage)
    return p


def run(argv: Sequence[str] | None = None) -> int:
    """Parse and run; returns the exit code. Every error a user can cause becomes exit 2."""
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except Refused as e:  # a well-formed request the rules refuse: a negative verdict
        sys.stderr.write(f"yongke: {e.message}\n")
        return EXIT_NEGATIVE
    except YongkeError as e:
        sys.stderr.write(f"yongke: {e.message}\n")
        return EXIT_BAD_INPUT
    except ValidationError as e:  # a model's own validation (full_clean) that a service let through
        detail = getattr(e, "message_dict", None) or {"__all__": e.messages}
        field, messages = next(iter(detail.items()))
        sys.stderr.write(f"yongke: {field}: {'；'.join(messages)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("yongke: 已中断 / interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except SystemExit as e:  # argparse --help
        return int(e.code or 0) if isinstance(e.code, int) else EXIT_OK
    except Exception as e:  # noqa: BLE001 - the operator gets one line; the file keeps the detail
        import tempfile
        import traceback

        fd, path = tempfile.mkstemp(prefix="yongke-error-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            traceback.print_exc(file=fh)
        first = str(e).splitlines()[0] if str(e) else ""
        sys.stderr.write(f"yongke: 内部错误 / internal error: {type(e).__name__}: {first}（详情见 {path}）\n")
        return EXIT_INTERNAL


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()

"""What every `yongke` command shares: exit codes, the parser class, input helpers, the actor.

Django and the domain packages are imported inside the helpers, not here: `yongke guide
validate` and `yongke award quote` run without configuring Django at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Never

from yongke.core.errors import BadInput

if TYPE_CHECKING:
    import datetime as dt

    from yongke.accounts.actors import Actor
    from yongke.guide.engine import CompiledGuide

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a one-line bad-input message with exit 2."""

    def error(self, message: str) -> Never:
        raise BadInput(f"命令参数有误 / bad arguments: {message}（{self.prog} --help）", code="bad_arguments")


def django_setup(*, migrate: bool = True) -> None:
    """Configure Django for commands that use the database (embedded SQLite by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yongke.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def console_actor() -> Actor:
    """The console acting on its own authority, `System("cli")`: whoever runs it owns the database."""
    from yongke.accounts.actors import System

    return System("cli")


def actor_named(username: str | None) -> Actor:
    """Who a console command acts as: the user given with `--as`, otherwise `System("cli")`.

    Call after `django_setup()`. The services decide what the actor may do; the console
    grants nothing by itself.
    """
    if not username:
        return console_actor()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BadInput(f"--as: 用户 {username} 不存在 / unknown user", detail={"field": "--as", "value": username})
    return user


def add_as_option(parser: argparse.ArgumentParser) -> None:
    """The `--as USER` option of the commands that write or read on someone's behalf."""
    parser.add_argument("--as", dest="as_user", help='以该用户身份操作（默认：系统运维 System("cli")）')


def parse_time(value: str, field: str) -> dt.datetime:
    """An ISO date-time; without a zone it is Beijing time (Asia/Shanghai)."""
    import datetime as dt

    from django.utils import timezone

    try:
        ts = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadInput(
            f"{field}: 应为 ISO 时间，如 2022-06-30T17:00 / must be an ISO date-time", detail={"field": field, "value": value}
        ) from None
    return timezone.make_aware(ts) if timezone.is_naive(ts) else ts


def read_json(path: str) -> Any:
    """A JSON file, `-` for stdin, in any encoding `yongke.core.textio` reads and within its
    limits (size, depth, digits, no NUL); a syntax error names the file and the line."""
    from yongke.guide.loader import read_json as read

    return read(path)


def emit(obj: Any) -> None:
    """The command's result: JSON on stdout, Chinese as it is."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


MAX_REVISION = 2_147_483_647  # the database column's range


def _revision(value: Any) -> int:
    """A revision number: a whole number from 1, or its ASCII digits as text."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REVISION:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise BadInput(
            f"revision: 应为修订号（正整数）/ must be a positive whole number（收到 {shown}）",
            code="bad_input",
            detail={"field": "revision"},
        )
    return value


def compiled_guide(data: dict[str, Any], guide: str | None) -> CompiledGuide:
    """The guide an input file is judged by (`yongke check`, `yongke project verify`): the
    loaded version it names (`"version"`, optionally `"revision"`: the latest when none), else
    the guide file given with `--guide`, else the bundled guide."""
    if "version" not in data:
        if "revision" in data:
            raise BadInput(
                "revision: 须与 version 一起给出（修订号属于已载入的指南版本）/ a revision needs a version",
                code="bad_input",
                detail={"field": "revision"},
            )
        from yongke.guide.loader import bundled_guide

        return bundled_guide(guide)
    revision = _revision(data["revision"]) if "revision" in data else None
    django_setup()
    from yongke.guide import models as gm
    from yongke.guide.selectors import compiled_for

    qs = gm.GuideVersion.objects.filter(label=str(data["version"]))
    if revision is not None:
        qs = qs.filter(revision=revision)
    version = qs.order_by("-revision").first()
    if version is None:
        raise BadInput(f"未载入的指南版本 {data['version']} / unknown guide version", code="unknown_version", detail={"field": "version"})
    return compiled_for(version)

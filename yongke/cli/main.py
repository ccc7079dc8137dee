"""The `yongke` command: the operator's tool. JSON in and out.

Exit codes: 0 success or a positive verdict; 1 a negative verdict; 2 bad input, with a
one-line Chinese/English message on stderr naming the problem, never a traceback.

Each area's commands live in their own module beside this one and are added explicitly by
`build_parser`; a command acts as `System("cli")` unless `--as USER` names a user.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError

from yongke.cli import accounts, api, apps, audit, awards, crypto, demo, guide, notify, orgs, projects, review, security, tokens, worker
from yongke.cli.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_NEGATIVE, EXIT_OK, Parser
from yongke.core.errors import Refused, YongkeError


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yongke.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yongke manage", *args.rest])
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="yongke", description="邕科 Yongke — 南宁科技计划管理系统的运维命令（JSON 输入输出）")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    guide.register(sub)  # guide …, check
    demo.register(sub)
    orgs.register(sub)
    accounts.register(sub)
    security.register(sub)  # user mfa-reset, unlock, mfa-status, locked (on the `user` command)
    apps.register(sub)  # call …, app …
    api.register(sub)
    awards.register(sub)
    review.register(sub)
    notify.register(sub)
    projects.register(sub)
    audit.register(sub)
    crypto.register(sub)
    tokens.register(sub)
    worker.register(sub)
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

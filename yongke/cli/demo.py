"""`yongke demo`: the bundled guide and the demo data, idempotent.

Who acts is the loader's business (`System("demo")` for the setup, the demo users for their
own steps), so the console passes no actor of its own.
"""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_OK, django_setup, emit


def cmd_demo(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.demo import demo_load

    emit(demo_load())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo` to the yongke command."""
    d = sub.add_parser("demo", help="载入内置指南与演示数据（可重复运行）")
    d.set_defaults(func=cmd_demo)

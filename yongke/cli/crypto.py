"""The `yongke` commands for `crypto rotate`: personal data re-encrypted under the newest field key."""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit


def cmd_crypto_rotate(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.orgs.keys import field_keys_rotate

    emit(field_keys_rotate(actor=actor_named(args.as_user), batch=args.batch))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
    crypto = sub.add_parser("crypto", help="字段加密：轮换密钥")
    csub = crypto.add_subparsers(dest="crypto_command", required=True, parser_class=Parser)
    rot = csub.add_parser("rotate", help="用 YONGKE_FIELD_KEY 的第一个密钥重新加密全部加密字段（可重复执行）")
    rot.add_argument("--batch", type=int, default=500, help="每个事务处理的行数（默认 500）")
    add_as_option(rot)
    rot.set_defaults(func=cmd_crypto_rotate)

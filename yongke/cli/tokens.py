"""The `yongke` commands for `token list`, `token revoke`: API tokens."""

from __future__ import annotations

import argparse
from typing import Any

from yongke.cli.common import EXIT_OK, Parser, console_actor, django_setup, emit
from yongke.core.errors import BadInput


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BadInput(f"--user: 用户 {username} 不存在 / unknown user", detail={"field": "--user", "value": username})
    return user


def _out(token: Any, now: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": token.pk,
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "state": token.state_at(now),
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "last_used_address": token.last_used_address,
        "revoked_at": iso(token.revoked_at),
        "revoked_reason": token.revoked_reason,
    }


def cmd_token_list(args: argparse.Namespace) -> int:
    django_setup()
    from django.utils import timezone

    from yongke.accounts.services import token_list

    user = _user(args.user)
    now = timezone.now()
    emit({"user": user.username, "tokens": [_out(t, now) for t in token_list(actor=console_actor(), user=user)]})
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    django_setup()
    from django.utils import timezone

    from yongke.accounts.models import ApiToken
    from yongke.accounts.services import token_revoke, tokens_revoke_all

    actor = console_actor()
    if args.id is not None:
        if args.all or args.user:
            raise BadInput("--id: 不能与 --user/--all 同时使用 / give --id, or --user with --all", detail={"field": "--id"})
        token = ApiToken.objects.select_related("user").filter(pk=args.id).first()
        if token is None:
            raise BadInput(f"--id: 没有编号为 {args.id} 的令牌 / unknown token", detail={"field": "--id", "value": args.id})
        emit({"revoked": [_out(token_revoke(actor=actor, token=token, reason="console"), timezone.now())]})
        return EXIT_OK
    if not (args.user and args.all):
        raise BadInput("--id: 请给出 --id N，或 --user U --all / give --id, or --user with --all", detail={"field": "--id"})
    user = _user(args.user)
    count = tokens_revoke_all(actor=actor, user=user, reason="console")
    emit({"user": user.username, "revoked_count": count})
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
    token = sub.add_parser("token", help="API 令牌：列出、吊销")
    tsub = token.add_subparsers(dest="token_command", required=True, parser_class=Parser)
    ls = tsub.add_parser("list", help="列出一个用户的令牌（不显示密钥）")
    ls.add_argument("--user", required=True, help="用户名")
    ls.set_defaults(func=cmd_token_list)
    rv = tsub.add_parser("revoke", help="吊销一个令牌（--id N）或一个用户的全部令牌（--user U --all）")
    rv.add_argument("--id", type=int, help="令牌编号（token list 的 id）")
    rv.add_argument("--user", help="用户名（与 --all 一起）")
    rv.add_argument("--all", action="store_true", help="吊销该用户的全部有效令牌")
    rv.set_defaults(func=cmd_token_revoke)

"""The security administrator's verbs on the `user` command (安全管理员, 三权分立):
`user mfa-reset`, `user unlock`, `user mfa-status`, `user locked`.

They act as `System("cli")` unless `--as USER` names a user, who must be a security
administrator (anyone else: exit 2, before the named user is looked up). An unknown user is
exit 2 naming `username`. The reset and the unlock are audited with their reason
(`yongke.accounts.mfa`).
"""

from __future__ import annotations

import argparse
from typing import Any

from yongke.cli.common import EXIT_OK, actor_named, add_as_option, django_setup, emit
from yongke.core.errors import BadInput


def _target(args: argparse.Namespace) -> tuple[Any, Any]:
    """The actor and the user it names: refused (exit 2) unless a security administrator, before
    the named user is looked up; an unknown user exit 2 naming `username`."""
    from yongke.accounts import mfa

    who = actor_named(args.as_user)
    return who, mfa.user_for_security(who, args.username)


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise BadInput("--reason: 请说明原因（记入审计日志）/ a reason is required", detail={"field": "--reason"})
    return reason


def cmd_mfa_reset(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.accounts import mfa

    who, user = _target(args)
    reason = _reason(args.reason)
    emit({"username": user.username, "removed": mfa.mfa_reset(actor=who, user=user, reason=reason)})
    return EXIT_OK


def cmd_unlock(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.accounts import mfa

    who, user = _target(args)
    reason = _reason(args.reason)
    emit({"username": user.username, "removed": mfa.lockout_clear(actor=who, username=user.username, reason=reason)})
    return EXIT_OK


def cmd_mfa_status(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.accounts import mfa

    who, user = _target(args)
    emit(mfa.mfa_status(who, user))
    return EXIT_OK


def cmd_locked(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.accounts import mfa

    rows = mfa.locked_out(actor_named(args.as_user))
    emit({"locked": [{**row, "last_attempt": row["last_attempt"].isoformat()} for row in rows], "count": len(rows)})
    return EXIT_OK


def _user_subparsers(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `user` (built by yongke/cli/accounts.py, registered before this module)."""
    user = sub.choices["user"]
    for action in user._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError("the `user` command has no subcommands")  # a wiring mistake, caught by the tests


def register(sub: argparse._SubParsersAction) -> None:
    """Add the security administrator's verbs to `user` (after accounts.register)."""
    usub = _user_subparsers(sub)
    r = usub.add_parser("mfa-reset", help="重置用户的第二因素（删除验证器与恢复码，下次登录重新绑定；安全管理员）")
    r.add_argument("username", help="用户名")
    r.add_argument("--reason", required=True, help="原因（记入审计日志）")
    add_as_option(r)
    r.set_defaults(func=cmd_mfa_reset)
    u = usub.add_parser("unlock", help="解除账户的登录锁定（清除失败登录记录；安全管理员）")
    u.add_argument("username", help="用户名")
    u.add_argument("--reason", required=True, help="原因（记入审计日志）")
    add_as_option(u)
    u.set_defaults(func=cmd_unlock)
    s = usub.add_parser("mfa-status", help="用户的第二因素状态：是否已绑定、剩余恢复码、是否必须、是否被锁定（安全管理员）")
    s.add_argument("username", help="用户名")
    add_as_option(s)
    s.set_defaults(func=cmd_mfa_status)
    lk = usub.add_parser("locked", help="被锁定、暂不能登录的账户（安全管理员）")
    add_as_option(lk)
    lk.set_defaults(func=cmd_locked)

"""`yongke user add`: accounts and roles from the console."""

from __future__ import annotations

import argparse
import sys

from yongke.cli.common import EXIT_OK, Parser, console_actor, django_setup, emit
from yongke.core.errors import BadInput


def cmd_user_add(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.accounts.services import token_create, user_add
    from yongke.orgs.models import Organisation

    org = None
    if args.org:
        org = Organisation.objects.filter(uscc=args.org.upper()).first()
        if org is None:
            raise BadInput(f"--org: 没有统一社会信用代码为 {args.org} 的单位 / unknown organisation", detail={"field": "--org"})
    actor = console_actor()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else args.password
    user = user_add(
        actor=actor,
        username=args.username,
        password=password,
        role=args.role,
        organisation=org,
        unit=args.unit or "",
        programme=args.programme or "",
        email=args.email or "",
        full_name=args.name or "",
    )
    out = {
        "id": user.pk,
        "username": user.username,
        "roles": [
            {"role": g.role, "organisation": g.organisation.uscc if g.organisation else None, "unit": g.unit, "programme": g.programme}
            for g in user.role_grants.select_related("organisation")
        ],
    }
    if args.token:
        out["token"] = token_create(actor=actor, user=user, name="console")
    emit(out)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `user add` to the yongke command."""
    user = sub.add_parser("user", help="账户与角色")
    usub = user.add_subparsers(dest="user_command", required=True, parser_class=Parser)
    a = usub.add_parser("add", help="创建账户或为已有账户增加角色")
    a.add_argument("--username", required=True)
    a.add_argument(
        "--role",
        required=True,
        help="org_admin | applicant | recommender | officer | finance | expert | auditor | sysadmin | security（三权分立：sysadmin、security、auditor 互斥，且不能兼任业务角色）",
    )
    a.add_argument("--org", help="所属单位的统一社会信用代码（org_admin、applicant）")
    a.add_argument("--unit", help="推荐单位代码（recommender）：县区 GB/T 2260 代码或 GXQ、JKQ、DMJKQ")
    a.add_argument("--programme", help="专项编号 1-4，* 为全部（officer）")
    a.add_argument("--password", help="至少10位，不能过于常见、纯数字或与用户名相近")
    a.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    a.add_argument("--email")
    a.add_argument("--name", help="姓名")
    a.add_argument("--token", action="store_true", help="同时生成 API 令牌（只显示一次）")
    a.set_defaults(func=cmd_user_add)

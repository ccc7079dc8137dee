"""The security administrator's API (安全管理员, 三权分立): who is locked out of signing in, which
staff have no second factor, resetting a user's second factor, clearing a lockout.

Every operation is the security administrator's only (`yongke.accounts.mfa`): 403 for any other
role, before the named user is even looked up (an unknown name tells nobody else anything); an
unknown user is 404 naming `username`.
The reset and the unlock are audited with their reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from yongke.accounts import mfa
from yongke.api.auth import actor
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Input, Page, PageQuery, Text, local, paginate

router = Router(tags=["security"])

Username = Path(..., min_length=1, max_length=150, description="用户名 / username")


class LockedOut(Schema):
    username: str
    failures: int = Field(description="本次锁定前连续失败次数 / failed sign-ins counted")
    last_attempt: dt.datetime
    ip_address: str | None


class WithoutMfa(Schema):
    username: str
    roles: list[str] = Field(description="要求第二因素的角色 / the roles that require a second factor")


class ReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=500, description="原因（记入审计日志）/ why, kept in the audit log")


class ResetOut(Schema):
    username: str
    removed: int = Field(description="删除的第二因素设备数（验证器与恢复码）/ second-factor devices removed")


class UnlockOut(Schema):
    username: str
    removed: int = Field(description="清除的失败登录记录数 / failed sign-in records cleared")


def _locked_out(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "last_attempt": local(row["last_attempt"])}


@router.get(
    "/security/locked",
    response={200: Page[LockedOut], **ERRORS},
    summary="被锁定、暂不能登录的账户（安全管理员）/ accounts locked out of signing in, security administrators only",
)
def security_locked(request: HttpRequest, query: Query[PageQuery]):
    return paginate(mfa.locked_out(actor(request)), query, _locked_out)


@router.get(
    "/security/without-mfa",
    response={200: Page[WithoutMfa], **ERRORS},
    summary="角色要求第二因素但尚未绑定的在职账户（安全管理员）/ staff without a second factor, security administrators only",
)
def security_without_mfa(request: HttpRequest, query: Query[PageQuery]):
    return paginate(mfa.staff_without_mfa(actor(request)), query, lambda row: row)


@router.post(
    "/security/users/{username}/mfa-reset",
    response={200: ResetOut, **WRITE_ERRORS},
    summary="重置用户的第二因素（手机丢失等），下次登录重新绑定（安全管理员）/ reset a user's second factor, security administrators only",
)
def security_mfa_reset(request: HttpRequest, payload: ReasonIn, username: str = Username):
    who = actor(request)
    user = mfa.user_for_security(who, username)  # others refused before the lookup: nobody else learns who exists
    return {"username": user.username, "removed": mfa.mfa_reset(actor=who, user=user, reason=payload.reason)}


@router.post(
    "/security/users/{username}/unlock",
    response={200: UnlockOut, **WRITE_ERRORS},
    summary="解除账户的登录锁定（安全管理员）/ clear a sign-in lockout, security administrators only",
)
def security_unlock(request: HttpRequest, payload: ReasonIn, username: str = Username):
    who = actor(request)
    user = mfa.user_for_security(who, username)
    return {"username": user.username, "removed": mfa.lockout_clear(actor=who, username=user.username, reason=payload.reason)}

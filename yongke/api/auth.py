"""Who is asking: a bearer token (`Authorization: Bearer yk_…`) or the browser's Django session.

Session requests that change something must carry the CSRF token (X-CSRFToken); token
requests need none, since a browser never adds the header by itself. Public endpoints
(calls, the guide, the USCC check, obtaining a token) also accept anonymous callers.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import Field

from yongke.accounts.lockout import lockout_message
from yongke.api.schemas import ERRORS, ErrorOut, Input, Text
from yongke.core.errors import YongkeError


class BadCredentials(YongkeError):
    code = "bad_credentials"
    status = 401


class LockedOut(YongkeError):
    code = "locked_out"
    status = 429


class OtpRequired(YongkeError):
    code = "otp_required"
    status = 401


class OtpInvalid(YongkeError):
    code = "otp_invalid"
    status = 401


class OtpThrottled(YongkeError):
    code = "otp_throttled"
    status = 429


class EnrolRequired(YongkeError):
    code = "mfa_enrol_required"
    status = 403


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from yongke.accounts.selectors import user_for_token

        if not token or len(token) > 200:
            return None
        user = user_for_token(token, address=address(request))  # expired or revoked: TokenRefused, 401 saying why
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session; CSRF is checked only once a session user is found, so an anonymous
    POST is told to authenticate (401) rather than that its CSRF token is missing."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check Failed")
        return user


class Anonymous:
    """The last resort of public endpoints: the caller is nobody in particular."""

    def __call__(self, request: HttpRequest) -> Any:
        return AnonymousUser()


AUTH = [BearerAuth(), SessionAuth()]
PUBLIC = [*AUTH, Anonymous()]
# OpenAPI: an empty requirement marks the operation as callable without credentials.
PUBLIC_OPENAPI: dict[str, Any] = {"security": [{}]}  # appended to the schemes ninja lists


def actor(request: HttpRequest):
    """The user the services act for."""
    user = getattr(request, "auth", None)
    return user if getattr(user, "is_authenticated", False) else AnonymousUser()


def address(request: HttpRequest) -> str | None:
    """The caller's IP for the audit log (None rather than a malformed value)."""
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


# --------------------------------------------------------------------------- endpoints

router = Router(tags=["auth"])


class TokenIn(Input):
    username: Text = Field(min_length=1, max_length=150)
    password: Text = Field(min_length=1, max_length=256)
    name: Text = Field("api", min_length=1, max_length=100, description="令牌用途 / what the token is for")
    otp: Text | None = Field(
        None,
        max_length=64,
        description="第二因素：验证器的6位验证码或一个恢复码；已绑定验证器或角色要求第二因素的用户必填 / "
        "the second factor: a 6-digit code of the authenticator or one recovery code; required of users "
        "with an authenticator or whose role requires one",
    )


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    username: str


# The portal page where a user enrols an authenticator (a token cannot be had before).
ENROL_PAGE = "/mfa/enrol/"

TOKEN_RESPONSES: dict[int, dict[str, str]] = {
    401: {
        "description": "bad_credentials（用户名或密码错误）、otp_required（缺少验证码，detail.field = otp）、otp_invalid（验证码错误）"
        " / wrong password; otp missing; otp wrong"
    },
    403: {"description": "mfa_enrol_required：角色要求第二因素，须先在门户 /mfa/enrol/ 绑定验证器 / enrol in the portal first"},
    429: {
        "description": "locked_out（登录失败次数过多）、otp_throttled（验证码错误过多，detail.retry_after 秒后再试）"
        " / too many wrong passwords; too many wrong codes"
    },
}


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, **ERRORS, 422: ErrorOut, 429: ErrorOut},
    summary="用户名和密码换取 API 令牌 / exchange a username and password for a bearer token",
    description="令牌 YONGKE_TOKEN_DAYS 天后过期；每人最多 YONGKE_TOKENS_PER_USER 个有效令牌（超出为 422 token_limit）；"
    "连续登录失败后账户或地址被暂时锁定（429 locked_out）；已绑定验证器或角色要求第二因素的用户还须提供 otp"
    "（缺少为 401 otp_required，错误为 401 otp_invalid，错误过多为 429 otp_throttled；未绑定为 403 mfa_enrol_required）"
    " / tokens expire; a limit per user; lockout after repeated failures; users with a second factor also send `otp`",
    openapi_extra={"responses": TOKEN_RESPONSES},
)
def token_obtain(request: HttpRequest, payload: TokenIn):
    from yongke.accounts import mfa
    from yongke.accounts.services import token_create

    user = authenticate(request, username=payload.username, password=payload.password)  # with the request: django-axes counts failures
    if getattr(request, "axes_locked_out", False):
        raise LockedOut(lockout_message(request) + " / too many failed sign-ins", detail={"field": "username"})
    if user is None or not user.is_active:
        raise BadCredentials("用户名或密码错误 / wrong username or password")
    if mfa.needs_code(user):
        _second_factor(request, user, payload.otp)
    return {"token": token_create(actor=user, user=user, name=payload.name, address=address(request)), "username": user.username}


def _second_factor(request: HttpRequest, user: Any, otp: str | None) -> None:
    """The code after the password: the user's own TOTP or one recovery code (mfa.code_check
    audits every try); raises unless it verifies."""
    from yongke.accounts import mfa

    if not mfa.has_device(user):
        raise EnrolRequired(
            f"您的角色要求第二因素，请先在门户 {ENROL_PAGE} 绑定验证器 / enrol an authenticator in the portal ({ENROL_PAGE}) first",
            detail={"field": "otp", "page": ENROL_PAGE},
        )
    if not "".join((otp or "").split()):
        raise OtpRequired("请填写验证码（验证器的6位数字或一个恢复码）/ otp: a code is required", detail={"field": "otp"})
    wait = mfa.code_wait(user, otp or "")
    if mfa.code_check(actor=user, user=user, code=otp or "", address=address(request)) is not None:
        return
    if wait is not None:
        raise OtpThrottled(
            f"验证码错误次数过多，请 {wait} 秒后再试 / too many wrong codes, try again in {wait} s",
            detail={"field": "otp", "retry_after": wait},
        )
    raise OtpInvalid("验证码错误或已过期 / otp: wrong or expired code", detail={"field": "otp"})


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    last_used_address: str | None
    revoked_at: datetime.datetime | None
    state: str = Field(description="active | expired | revoked")


def _token_out(token: Any, now: datetime.datetime) -> dict[str, Any]:
    fields = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at", "last_used_address", "revoked_at")
    return {**{f: getattr(token, f) for f in fields}, "state": token.state_at(now)}


@router.get("/auth/tokens", auth=AUTH, response={200: list[ApiTokenOut], **ERRORS}, summary="本人的 API 令牌 / the caller's API tokens")
def tokens_list(request: HttpRequest):
    from django.utils import timezone

    from yongke.accounts.services import token_list

    user = actor(request)
    now = timezone.now()
    return [_token_out(t, now) for t in token_list(actor=user, user=user)]


@router.post(
    "/auth/tokens/{token_id}/revoke",
    auth=AUTH,
    response={200: ApiTokenOut, **ERRORS},
    summary="吊销本人的一个 API 令牌 / revoke one of the caller's API tokens",
)
def tokens_revoke(request: HttpRequest, token_id: int):
    from django.utils import timezone

    from yongke.accounts.models import ApiToken
    from yongke.accounts.services import token_revoke
    from yongke.core.errors import NotFound

    user = actor(request)
    token = ApiToken.objects.select_related("user").filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound("没有该令牌 / no such token of yours", detail={"field": "token_id", "value": token_id})
    return _token_out(token_revoke(actor=user, token=token), timezone.now())


class ScopeOut(Schema):
    organisations: list[int]
    admin_of: list[int]
    units: list[str]
    programmes: list[str]
    sees_everything: bool
    is_superuser: bool


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    roles: list[str]
    scope: ScopeOut
    person: int | None


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户、角色与范围 / the caller, roles and scopes")
def me(request: HttpRequest):
    from yongke.accounts.selectors import scope_of

    user = actor(request)
    scope = scope_of(user)
    person = getattr(user, "person", None)
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.get_full_name(),
        "email": user.email,
        "roles": sorted(scope.roles | ({"sysadmin"} if scope.is_superuser else set())),
        "scope": {
            "organisations": sorted(scope.organisations),
            "admin_of": sorted(scope.admin_of),
            "units": sorted(scope.units),
            "programmes": sorted(scope.programmes),
            "sees_everything": scope.sees_everything,
            "is_superuser": scope.is_superuser,
        },
        "person": person.pk if person is not None else None,
    }

"""The second factor in the portal: a signed-in user who has not given their code yet sees only
the verify page (or, if a role requires a second factor and they have none, the enrolment page).

Exempt: the second-factor and re-authentication pages, sign-in/sign-out, static files, the
language switch, the public pages, and the JSON API (a bearer token carries no session; a
session call to the API by an unverified user is answered 401 `otp_required`).
Runs after django-otp's OTPMiddleware (which gives `request.user.is_verified()`).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from yongke.accounts import mfa

# Portal pages anyone may see, whatever the state of their second factor.
OPEN_PAGES = frozenset(
    {
        "login",
        "logout",
        "guide_index",
        "direction_detail",
        "match",
        "publicity",
        "objection_new",
        "accepted_projects",
        "register",
        "register_check_uscc",
        "mfa_verify",
        "mfa_enrol",
        "mfa_reauth",
        # passkeys: verification after the password (the library's names; registration is not open)
        "credential-authentication-begin",
        "credential-authentication-complete",
        "js-i18n-catalog",
        "set_language",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
    }
)


def _open(request: HttpRequest) -> bool:
    path = request.path_info
    static = getattr(settings, "STATIC_URL", "/static/") or "/static/"
    if path.startswith((static if static.startswith("/") else "/" + static, "/i18n/")):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a 404 page tells nothing
    return match.url_name in OPEN_PAGES


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            blocked = self._blocked(request, user)
            if blocked is not None:
                return blocked
        return self.get_response(request)

    def _blocked(self, request: HttpRequest, user: User) -> HttpResponse | None:
        if request.path_info.startswith("/api/"):
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                return None
            if not _verified(user) and mfa.needs_code(user):
                return JsonResponse(
                    {
                        "code": "otp_required",
                        "message": "请先在门户完成第二因素验证 / verify your second factor in the portal first",
                        "detail": {"field": "otp"},
                    },
                    status=401,
                )
            return None
        if _verified(user) or _open(request):
            return None
        if mfa.has_device(user):
            target = "portal:mfa_verify"
        elif mfa.mfa_required_for(user):
            target = "portal:mfa_enrol"
        else:
            return None
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def _verified(user: User) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False

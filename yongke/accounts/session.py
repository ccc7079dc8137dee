"""Session limits and private responses (docs/security.md).

`SessionTimeoutMiddleware`, after authentication:
- signs a user out after `YONGKE_SESSION_IDLE_MINUTES` without a request (staff roles), or
  `YONGKE_SESSION_IDLE_MINUTES_APPLICANT` (applicants, unit admins, accounts without a role),
  and at the latest `SESSION_COOKIE_AGE` seconds after signing in, however active (Django's own
  expiry moves on with every save, so the start is kept in the session);
  a page request then goes to the sign-in page with a message; an htmx request gets HX-Redirect;
  the API answers as to anybody not signed in;
- marks every response to a signed-in user, and every API response, `Cache-Control: no-store`
  (`Pragma: no-cache`): personal data stays out of shared and browser caches. Public pages
  and static files keep their own caching.

It lives in accounts, not core: it reads the roles through `scope_of` (core imports no room).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of

KEY = "yongke.session"
# The last-seen time is written at most this often (seconds): not one session write per request.
TOUCH_EVERY = 60
# Roles that take the longer idle limit; any other role held takes the staff limit.
APPLICANT_ROLES = frozenset({Role.APPLICANT, Role.ORG_ADMIN})


def idle_limit(user) -> int:
    """Seconds a session of this user may stay idle."""
    roles = scope_of(user).roles
    if roles - APPLICANT_ROLES:
        return settings.YONGKE_SESSION_IDLE_MINUTES * 60
    return settings.YONGKE_SESSION_IDLE_MINUTES_APPLICANT * 60


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in and hasattr(request, "session"):
            expired = self._expired(request)
            if expired:
                return self._sign_out(request, expired)
        response = self.get_response(request)
        if (signed_in or _is_api(request)) and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

    def _expired(self, request: HttpRequest) -> str:
        """ "idle" or "lifetime" when the session is over; else "" (and the times noted)."""
        now = time.time()
        user = request.user
        mark = request.session.get(KEY)
        if not isinstance(mark, dict) or mark.get("user") != user.pk:
            request.session[KEY] = {"user": user.pk, "start": now, "seen": now}
            return ""
        if now - float(mark.get("start", now)) > settings.SESSION_COOKIE_AGE:
            return "lifetime"
        if now - float(mark.get("seen", now)) > idle_limit(user):
            return "idle"
        if now - float(mark.get("seen", now)) >= TOUCH_EVERY:
            request.session[KEY] = {**mark, "seen": now}
        return ""

    def _sign_out(self, request: HttpRequest, why: str) -> HttpResponse:
        logout(request)
        if _is_api(request):
            return self.get_response(request)  # as anybody not signed in: 401 where a sign-in is needed
        idle = why == "idle"
        text = _("您已长时间未操作，为保护数据已自动退出，请重新登录。") if idle else _("登录已超过最长有效时间，请重新登录。")
        login = resolve_url(settings.LOGIN_URL)
        target = login + "?" + urlencode({"next": request.get_full_path()}) if request.method == "GET" else login
        response: HttpResponse
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
        else:
            response = HttpResponseRedirect(target)
        # The messages middleware stands after this one: keep the message in its storage by hand.
        from django.contrib.messages.storage import default_storage

        request._messages = default_storage(request)  # type: ignore[attr-defined]
        messages.info(request, text)
        request._messages.update(response)  # type: ignore[attr-defined]
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response

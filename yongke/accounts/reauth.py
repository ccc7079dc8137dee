"""Re-authentication before money actions and role changes (docs/mfa.md): `reauth_required`
wraps a view (a portal page, a Django admin form); a stale POST does nothing until the
password (and the code, for a user with a second factor) is given again, and the form as sent
is carried through the re-authentication so nothing typed is lost.

It lives in accounts, beside the session limits (accounts/session.py), so that the Django
admin of accounts can use it as the portal does; it renders the portal's template by name."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from yongke.accounts import mfa
from yongke.audit.services import audit_record


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# The workflow steps that move money: deciding an amount, paying it.
MONEY_ACTIONS = frozenset({"fund", "pay"})


def money_action(request: HttpRequest) -> bool:
    """The POST is a workflow step that moves money (`action` of a transition or a batch)."""
    return request.POST.get("action", "") in MONEY_ACTIONS


# The fields of the re-authentication that a money form carries through (never passed on as data).
REAUTH_FIELDS = ("_reauth", "_reauth_password", "_reauth_code")


def reauth_check(request: HttpRequest) -> bool:
    """The password (and the code, when the user has a second factor) given in a carried form.
    django-axes counts a wrong password like a failed sign-in."""
    user = request.user
    if not isinstance(user, User):
        return False
    ok = authenticate(request, username=user.username, password=request.POST.get("_reauth_password", "")) is not None
    if ok and mfa.has_device(user):
        device = mfa.code_check(actor=user, user=user, code=request.POST.get("_reauth_code", ""), address=_address(request))
        ok = device is not None
        if device is not None:
            otp_login(request, device)
    if ok:
        mfa.stamp_authentication(request.session)
    audit_record(
        actor=user,
        action="auth.reauthenticated" if ok else "auth.reauth_failed",
        target_type="user",
        target_id=user.username,
        address=_address(request),
        data={"path": request.path},
    )
    return ok


def reauth_required(view: Callable | None = None, *, when: Callable[[HttpRequest], bool] | None = None):
    """Before a money action (fund, pay, allocate, recover) and a role change: the last
    authentication of the session must be within YONGKE_REAUTH_MINUTES.

    Reading (GET) is never held up. A stale POST (for which `when(request)`, if given, is true) does
    nothing yet: it answers the re-authentication form, which carries every field of the form as it
    was sent and posts back to the same address with the password (and code). The decorator checks
    them, notes the time in the session and only then runs the view on the carried fields, so
    nothing typed is lost; a wrong password shows the form again (400) and changes nothing. An htmx
    request is sent to the re-authentication page instead (HX-Redirect)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (
                not request.user.is_authenticated
                or request.method in ("GET", "HEAD", "OPTIONS")
                or mfa.authentication_fresh(request.session)
                or (when is not None and not when(request))
            ):
                return view(request, *args, **kwargs)
            error = ""
            status = 403
            if request.POST.get("_reauth") == "1":
                if reauth_check(request):
                    return view(request, *args, **kwargs)
                error = _("密码或验证码错误，本次操作未执行。")
                status = 400
            if request.headers.get("HX-Request"):
                back = urlparse(request.headers.get("HX-Current-URL") or request.headers.get("Referer", ""))
                response = HttpResponse(status=204)
                target = back.path + (f"?{back.query}" if back.query else "") if back.path else reverse("portal:home")
                response["HX-Redirect"] = f"{reverse('portal:mfa_reauth')}?{urlencode({'next': target})}"
                return response
            carried = [
                (k, v) for k in request.POST if k not in REAUTH_FIELDS and k != "csrfmiddlewaretoken" for v in request.POST.getlist(k)
            ]
            referer = urlparse(request.headers.get("Referer", ""))
            same_host = referer.path and (not referer.netloc or referer.netloc == request.get_host())
            ctx = {
                "back": (referer.path + (f"?{referer.query}" if referer.query else "")) if same_host else reverse("portal:home"),
                "action": request.get_full_path(),
                "carried": carried,
                "needs_code": isinstance(request.user, User) and mfa.has_device(request.user),
                "error": error,
                "minutes": mfa.reauth_minutes(),
            }
            return render(request, "portal/mfa/reauth_carry.html", ctx, status=status)

        wrapper.reauth_required = True  # type: ignore[attr-defined]
        return wrapper

    return decorate(view) if view is not None else decorate

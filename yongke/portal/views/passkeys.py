"""Passkeys in the portal: django-otp-webauthn's four JSON endpoints (registration and
authentication, begin and complete), each wrapped so that our policy runs before the ceremony
and its audit after it (yongke/accounts/passkeys.py), with Chinese messages, a 4xx (never a
500) for a malformed body, and the session's authentication time noted after a verification
(as after a code). The library's script on the page calls them; the pages are in views/mfa.py.

Passwordless sign-in is off (`OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False`): the
authentication endpoints answer only a user who has given the password."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from webauthn.helpers.exceptions import WebAuthnException

from yongke.accounts import mfa, passkeys
from yongke.core.errors import YongkeError
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, address

# The library's error codes in the portal's words (Chinese / English).
MESSAGES = {
    "authenticator_first": "请先绑定验证器应用，再添加通行密钥 / bind an authenticator app before adding a passkey",
    "not_authenticated": "请先登录 / sign in first",
    "user_not_verified": "请先用验证器完成第二因素验证，再添加通行密钥 / verify with your authenticator first",
    "passwordless_login_disabled": "请先输入用户名和密码登录 / sign in with your password first",
    "user_disabled": "账户已停用 / the account is disabled",
    "credential_disabled": "该通行密钥已停用 / this passkey is disabled",
    "credential_not_found": "找不到该通行密钥，可能已被删除 / passkey not found (perhaps removed)",
    "credential_user_mismatch": "该通行密钥不属于当前登录的账户 / this passkey belongs to another account",
    "invalid_state": "请重新开始（页面已过期） / start again: the page has expired",
    "malformed_request": "请求格式错误 / malformed request",
}
REFUSED = "通行密钥校验未通过 / the passkey could not be verified"
log = logging.getLogger("yongke.passkeys")


class _Portal:
    """What every wrapped endpoint does: our messages, our audit of failures, no 500 on bad input."""

    step = ""  # register / verify: which audit entry a failure makes
    audits_failure = False

    request: HttpRequest

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, YongkeError):
            code, status, text = exc.code, exc.status, error_text(exc)
        elif isinstance(exc, webauthn_errors.OTPWebAuthnApiError):
            code, status, text = exc.code, exc.status_code, MESSAGES.get(exc.code, REFUSED)
        elif isinstance(exc, WebAuthnException | KeyError | TypeError | ValueError | AttributeError):
            # The browser's answer could not be read (a hand-made or truncated body): refused as such.
            log.warning("passkey request refused as malformed: %r", exc)
            code, status, text = "malformed_request", 400, MESSAGES["malformed_request"]
        else:
            raise exc
        user = getattr(self.request, "user", None)
        if self.audits_failure and isinstance(user, User) and user.is_authenticated:
            passkeys.failed(actor=user, user=user, step=self.step, code=str(code), address=address(self.request))
        return JsonResponse({"detail": text, "code": code}, status=status)


class _Registration(_Portal):
    """Both steps of adding a passkey: the policy's check (the library calls it before each)."""

    step = "register"

    def check_can_register(self) -> None:
        user = acting_user(self.request)
        passkeys.may_register(actor=user, user=user)


class RegistrationBegin(_Registration, webauthn_views.BeginCredentialRegistrationView):
    pass


class RegistrationComplete(_Registration, webauthn_views.CompleteCredentialRegistrationView):
    audits_failure = True

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():  # the passkey is stored with its audit entry, or not at all
            response = super().post(*args, **kwargs)
            user = acting_user(self.request)
            passkeys.registered(actor=user, user=user, credential_id=_id(response), address=address(self.request))
        return response


class AuthenticationBegin(_Portal, webauthn_views.BeginCredentialAuthenticationView):
    step = "verify"


class AuthenticationComplete(_Portal, webauthn_views.CompleteCredentialAuthenticationView):
    step = "verify"
    audits_failure = True

    def complete_auth(self, device: Any) -> Any:
        result = super().complete_auth(device)
        mfa.stamp_authentication(self.request.session)
        user = acting_user(self.request)
        passkeys.verified(actor=user, user=user, credential_id=device.pk, address=address(self.request))
        return result

    def get_success_url(self) -> str:
        return self.get_redirect_url() or reverse("portal:home")


def _id(response: HttpResponse) -> int:
    return int(json.loads(response.content)["id"])


@login_required
@require_POST
def passkey_remove(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    try:
        passkeys.remove(actor=user, user=user, credential_id=request.POST.get("credential"), address=address(request))
    except YongkeError as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, _("已删除通行密钥。"))
    return redirect("portal:mfa_status")

"""The second factor in the portal: enrolment (QR code drawn by segno as inline SVG, the secret in
text, one code to confirm, the recovery codes shown once), passkeys beside it (listed, added and
removed on the status page; offered on the verify page), verification after the password,
re-authentication before money actions (`reauth_required`), and the security administrator's
page (reset a user's second factor, clear a lockout; lists of locked-out users and of staff
without a second factor)."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from yongke.accounts import mfa, passkeys
from yongke.accounts.models import Role
from yongke.accounts.reauth import reauth_check
from yongke.core.errors import YongkeError
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, address, roles_required


def _next(request: HttpRequest, default: str = "") -> str:
    raw = request.POST.get("next") or request.GET.get("next") or ""
    if raw and url_has_allowed_host_and_scheme(raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return raw
    return default or reverse("portal:home")


# --------------------------------------------------------------------------- verification


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a TOTP or recovery code."""
    user = acting_user(request)
    if not mfa.has_device(user):
        return redirect(f"{reverse('portal:mfa_enrol')}?{urlencode({'next': _next(request)})}")
    status = 200
    error = ""
    if request.method == "POST":
        device = mfa.code_check(actor=user, user=user, code=request.POST.get("code", ""), address=address(request))
        if device is not None:
            otp_login(request, device)
            mfa.stamp_authentication(request.session)
            if mfa.recovery_left(user) == 0 and device.name == mfa.RECOVERY_NAME:
                messages.warning(request, _("恢复码已用完，请在“第二因素”页面生成新的恢复码。"))
            return redirect(_next(request))
        status = 400
        error = _("验证码错误，或尝试过多请稍后再试。") if not mfa.code_throttled(user) else _("错误次数过多，请稍后再试。")
    ctx = {"next": _next(request), "error": error, "passkey": passkeys.has_passkey(user) and _passkeys_here(request)}
    return render(request, "portal/mfa/verify.html", ctx, status=status)


def _passkeys_here(request: HttpRequest) -> bool:
    """A browser offers this site's passkeys only on a listed origin (https, or localhost)."""
    return passkeys.origin_allowed(f"{request.scheme}://{request.get_host()}")


# --------------------------------------------------------------------------- enrolment


@login_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code (or type the secret), confirm with one code."""
    user = acting_user(request)
    if mfa.has_device(user) and not getattr(user, "is_verified", lambda: False)():
        return redirect(f"{reverse('portal:mfa_verify')}?{urlencode({'next': _next(request)})}")
    device = mfa.totp_begin(actor=user, user=user)
    status = 200
    error = ""
    if request.method == "POST":
        try:
            confirmed, codes = mfa.totp_confirm(actor=user, user=user, code=request.POST.get("code", ""))
        except YongkeError as e:
            status = e.status
            error = error_text(e)
        else:
            otp_login(request, confirmed)
            mfa.stamp_authentication(request.session)
            return render(request, "portal/mfa/recovery_codes.html", {"codes": codes, "next": _next(request)})
        device = mfa.totp_begin(actor=user, user=user)
    uri = device.config_url
    ctx = {
        "qr": mark_safe(segno.make(uri, error="m").svg_inline(scale=4, title=_("验证器二维码"))),
        "secret": b32encode(device.bin_key).decode("ascii").rstrip("="),
        "required": mfa.mfa_required_for(user),
        "next": _next(request),
        "error": error,
    }
    return render(request, "portal/mfa/enrol.html", ctx, status=status)


@login_required
def mfa_status(request: HttpRequest) -> HttpResponse:
    """One's own second factor: enrolled or not, recovery codes left; new recovery codes."""
    user = acting_user(request)
    if request.method == "POST":
        try:
            codes = mfa.recovery_regenerate(actor=user, user=user)
        except YongkeError as e:
            messages.error(request, error_text(e))
        else:
            return render(request, "portal/mfa/recovery_codes.html", {"codes": codes, "next": reverse("portal:mfa_status")})
    ctx = {
        "enrolled": mfa.has_device(user),
        "left": mfa.recovery_left(user),
        "required": mfa.mfa_required_for(user),
        "passkeys": passkeys.passkeys_of(user, user),
        "passkeys_here": _passkeys_here(request),
        "passkey_origins": passkeys.allowed_origins(),
    }
    return render(request, "portal/mfa/status.html", ctx)


# --------------------------------------------------------------------------- re-authentication


@login_required
def mfa_reauth(request: HttpRequest) -> HttpResponse:
    """The password again (and the code, if the user has a second factor), ahead of money work."""
    user = acting_user(request)
    status = 200
    error = ""
    if request.method == "POST":
        if reauth_check(request):
            return redirect(_next(request))
        status = 400
        error = _("密码或验证码错误。")
    ctx = {"next": _next(request), "needs_code": mfa.has_device(user), "error": error, "minutes": mfa.reauth_minutes()}
    return render(request, "portal/mfa/reauth.html", ctx, status=status)


# --------------------------------------------------------------------------- the security administrator


@roles_required(Role.SECURITY)
def security_accounts(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    ctx = {"locked": mfa.locked_out(user), "without": mfa.staff_without_mfa(user)}
    return render(request, "portal/mfa/security.html", ctx)


@roles_required(Role.SECURITY)
@require_POST
def security_mfa_reset(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    try:
        target = mfa.user_named(request.POST.get("username", ""))
        n = mfa.mfa_reset(actor=user, user=target, reason=request.POST.get("reason", ""))
    except YongkeError as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, _("已重置 %(user)s 的第二因素（删除 %(n)d 个设备）。") % {"user": target.username, "n": n})
    return redirect("portal:security_accounts")


@roles_required(Role.SECURITY)
@require_POST
def security_unlock(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    username = request.POST.get("username", "")
    try:
        n = mfa.lockout_clear(actor=user, username=username, reason=request.POST.get("reason", ""))
    except YongkeError as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, _("已解除 %(user)s 的登录锁定（%(n)d 条记录）。") % {"user": username, "n": n})
    return redirect("portal:security_accounts")

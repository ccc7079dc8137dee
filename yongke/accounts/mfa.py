"""The second factor (TOTP with django-otp, single-use recovery codes) and the security
administrator's work: resetting a user's second factor, clearing a sign-in lockout.

Policy: the roles in `YONGKE_MFA_ROLES` must enrol when `YONGKE_MFA_REQUIRED` is on; anyone may.
A user who has a confirmed device must give a code after the password (portal, API token).
Every enrolment, verification, failed code, recovery-code use and reset is audited. Failed
codes count toward django-otp's own throttle of the device (each failure doubles the wait).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts.actors import Actor, Viewer
from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import require_role, scope_of
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput, NotFound, PermissionDenied

# The session key holding the time (epoch seconds) of the last password (or re-)authentication.
AUTH_AT_SESSION_KEY = "yongke_auth_at"
TOTP_NAME = "totp"
RECOVERY_NAME = "recovery"

SECURITY_ONLY = "只有安全管理员可以执行该操作 / security administrators only"


# --------------------------------------------------------------------------- policy


def mfa_roles() -> frozenset[str]:
    return frozenset(getattr(settings, "YONGKE_MFA_ROLES", ()))


def mfa_required_for(user: Viewer | None) -> bool:
    """Whether the user must have a second factor: the obligation is on and a role needs it."""
    if not getattr(settings, "YONGKE_MFA_REQUIRED", True) or not isinstance(user, User):
        return False
    return bool(scope_of(user).roles & mfa_roles())


def has_device(user: User) -> bool:
    """A confirmed TOTP device (recovery codes alone are not an enrolment)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_code(user: User) -> bool:
    """After the password this user must also give a code (portal and API token)."""
    return has_device(user) or mfa_required_for(user)


def recovery_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reauth_minutes() -> int:
    return int(getattr(settings, "YONGKE_REAUTH_MINUTES", 10))


def stamp_authentication(session: Any, now: dt.datetime | None = None) -> None:
    """Record in the session that the user just proved who they are (password, re-auth)."""
    session[AUTH_AT_SESSION_KEY] = (now or timezone.now()).timestamp()


def authentication_fresh(session: Any, now: dt.datetime | None = None) -> bool:
    """The last authentication of this session is within YONGKE_REAUTH_MINUTES (0: always)."""
    minutes = reauth_minutes()
    if minutes <= 0:
        return True
    at = session.get(AUTH_AT_SESSION_KEY)
    if not isinstance(at, (int, float)):
        return False
    return (now or timezone.now()).timestamp() - at <= minutes * 60


def _on_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp_authentication(request.session)


user_logged_in.connect(_on_login, dispatch_uid="yongke.accounts.mfa.stamp")


# --------------------------------------------------------------------------- enrolment


def totp_begin(*, actor: Actor, user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (created on first call, kept until confirmed)."""
    _require_self(actor, user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_confirm(*, actor: Actor, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with one code; returns it and the new recovery codes (shown once).
    A wrong code raises BadInput naming `code` and is audited."""
    _require_self(actor, user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).first()
    if device is None:
        raise NotFound("没有待确认的验证器 / no authenticator awaiting confirmation", detail={"field": "code"})
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise BadInput(
            f"错误次数过多，请 {_wait_seconds(info)} 秒后再输入 / too many wrong codes: try again in {_wait_seconds(info)} s",
            detail={"field": "code", "throttled": True},
        )
    if not device.verify_token(_clean(code)):
        _audit(actor, user, "mfa.enrol_failed", data={"reason": "wrong_code"})
        raise BadInput("验证码错误或已过期 / wrong or expired code", detail={"field": "code"})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        _audit(actor, user, "mfa.enrolled", to_state="totp", data={"recovery_codes": len(codes)})
    return device, codes


def recovery_regenerate(*, actor: Actor, user: User) -> list[str]:
    """New recovery codes for an enrolled user; the old ones stop working."""
    _require_self(actor, user)
    if not has_device(user):
        raise BadInput("请先绑定验证器 / enrol an authenticator first", detail={"field": "device"})
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        _audit(actor, user, "mfa.recovery_regenerated", data={"recovery_codes": len(codes)})
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(int(getattr(settings, "YONGKE_MFA_RECOVERY_CODES", 10)))]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


# --------------------------------------------------------------------------- verification


def code_check(*, actor: Actor, user: User, code: str, address: str | None = None) -> Device | None:
    """The device a TOTP or recovery code verifies for `user`, or None. django-otp's throttle of
    each device applies (a throttled device accepts nothing); failures and recovery-code uses
    are audited. A recovery code works once."""
    _require_self(actor, user)
    token = _clean(code)
    throttled = False
    if token:
        # Six digits are a TOTP code, anything else a recovery code: a failure throttles only the
        # device it was meant for.
        kind = TOTPDevice if token.isdigit() else StaticDevice
        for device in devices_for_user(user, confirmed=True):
            if not isinstance(device, kind):
                continue
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            candidate = token.lower() if isinstance(device, StaticDevice) else token
            if device.verify_token(candidate):
                if isinstance(device, StaticDevice):
                    _audit(actor, user, "mfa.recovery_used", address=address, data={"left": recovery_left(user)})
                else:
                    _audit(actor, user, "mfa.verified", address=address)
                return device
    _audit(actor, user, "mfa.verify_failed", address=address, data={"throttled": throttled, "empty": not token})
    return None


def _wait_seconds(info: dict | None) -> int:
    """Seconds until a throttled device takes a code again (django-otp's `locked_until`)."""
    until = (info or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, int((until - timezone.now()).total_seconds() + 0.999))


def code_throttled(user: User) -> bool:
    """Every confirmed code device of the user (authenticator, recovery codes) is waiting out its
    throttle; a passkey takes no code."""
    devices = [d for d in devices_for_user(user, confirmed=True) if isinstance(d, TOTPDevice | StaticDevice)]
    return bool(devices) and all(not d.verify_is_allowed()[0] for d in devices)


def _clean(code: str | None) -> str:
    return "".join((code or "").split())[:32]


def _require_self(actor: Actor, user: User) -> None:
    """One's own second factor, or the system."""
    if scope_of(actor).is_system:
        return
    if not isinstance(actor, User) or actor.pk != user.pk:
        raise PermissionDenied("只能管理本人的第二因素 / only your own second factor")


def _audit(actor: Viewer, user: User, action: str, *, to_state: str = "", address: str | None = None, data: dict | None = None) -> None:
    audit_record(actor=actor, action=action, target_type="user", target_id=user.username, to_state=to_state, address=address, data=data)


# --------------------------------------------------------------------------- the security administrator


def mfa_reset(*, actor: Actor, user: User, reason: str = "") -> int:
    """Remove every second-factor device of `user` (a lost phone); the user enrols again at the
    next sign-in. Security administrators (and the system) only. Returns how many were removed."""
    require_role(actor, Role.SECURITY, message=SECURITY_ONLY)
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        audit_record(
            actor=actor,
            action="mfa.reset",
            target_type="user",
            target_id=user.username,
            to_state="none",
            comment=reason,
            data={"removed": removed},
        )
    return removed


def lockout_clear(*, actor: Actor, username: str, reason: str = "") -> int:
    """Clear django-axes' failed sign-ins of `username` (the lockout ends now). Security
    administrators (and the system) only. Returns how many attempt records were removed."""
    from axes.utils import reset

    require_role(actor, Role.SECURITY, message=SECURITY_ONLY)
    name = (username or "").strip()
    if not name:
        raise BadInput("请填写用户名 / username is required", detail={"field": "username"})
    with transaction.atomic():
        removed = reset(username=name)
        audit_record(actor=actor, action="lockout.cleared", target_type="user", target_id=name, comment=reason, data={"removed": removed})
    return removed


def locked_out(viewer: Viewer) -> list[dict[str, Any]]:
    """The usernames django-axes currently refuses (failures at the limit, not yet cooled off)."""
    from axes.models import AccessAttempt

    require_role(viewer, Role.SECURITY, message=SECURITY_ONLY)
    limit = int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
    rows = AccessAttempt.objects.filter(failures_since_start__gte=limit).exclude(username__isnull=True).exclude(username="")
    out: dict[str, dict[str, Any]] = {}
    for a in rows.order_by("-attempt_time"):
        item = out.setdefault(
            a.username, {"username": a.username, "failures": 0, "last_attempt": a.attempt_time, "ip_address": a.ip_address}
        )
        item["failures"] += a.failures_since_start
    return list(out.values())


def staff_without_mfa(viewer: Viewer) -> list[dict[str, Any]]:
    """Active users holding a role that requires a second factor, without a confirmed device."""
    require_role(viewer, Role.SECURITY, message=SECURITY_ONLY)
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    grants = (
        RoleGrant.objects.filter(role__in=sorted(mfa_roles()), user__is_active=True)
        .exclude(user_id__in=enrolled)
        .select_related("user")
        .order_by("user__username", "role")
    )
    out: dict[str, dict[str, Any]] = {}
    for g in grants:
        out.setdefault(g.user.username, {"username": g.user.username, "roles": []})["roles"].append(g.role)
    return list(out.values())


def user_for_security(viewer: Viewer, username: str) -> User:
    """The user a security administrator names; anyone else is refused before the lookup, so an
    unknown name tells nobody else who exists."""
    require_role(viewer, Role.SECURITY, message=SECURITY_ONLY)
    return user_named(username)


def mfa_status(viewer: Viewer, user: User) -> dict[str, Any]:
    """A user's second factor as the security administrator sees it."""
    require_role(viewer, Role.SECURITY, message=SECURITY_ONLY)
    locked = {row["username"] for row in locked_out(viewer)}
    return {
        "username": user.username,
        "enrolled": has_device(user),
        "recovery_codes_left": recovery_left(user),
        "required": mfa_required_for(user),
        "locked_out": user.username in locked,
    }


def code_wait(user: User, code: str) -> int | None:
    """Seconds until a device this code is meant for (six digits: the authenticator; else the
    recovery codes, as `code_check` tries them) takes one again; None when one does now."""
    kind = TOTPDevice if _clean(code).isdigit() else StaticDevice
    waits = []
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, kind):
            allowed, info = device.verify_is_allowed()
            if allowed:
                return None
            waits.append(_wait_seconds(info))
    return min(waits) if waits else None


def user_named(username: str) -> User:
    user = User.objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise NotFound(f"username: 没有用户 {username} / no such user", detail={"field": "username", "value": username})
    return user

"""Sign-in lockout (django-axes): the growing cool-off, the Chinese 429 page or JSON, and the audit.

After `AXES_FAILURE_LIMIT` failures of one account or from one address, both the portal's
sign-in and `POST /api/v1/auth/token` refuse for a cool-off of `YONGKE_LOCKOUT_MINUTES`
that doubles with every earlier lockout of the same account or address in the last 24 hours
(at most a day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

_USERNAME_ATTR = "yongke_axes_username"
MAX_COOL_OFF = dt.timedelta(days=1)


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username tried (AXES_USERNAME_CALLABLE), kept on the request for `cool_off`."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    username = str(username)[:150] if username is not None else None
    if request is not None:
        setattr(request, _USERNAME_ATTR, username)
    return username


def lockouts_in_last_day(*, username: str | None, ip_address: str | None, now: dt.datetime | None = None) -> int:
    """How often the account or the address was locked out in the last 24 hours."""
    from axes.models import AccessFailureLog

    match = Q(pk__in=[])
    if username:
        match |= Q(username=username)
    if ip_address:
        match |= Q(ip_address=ip_address)
    since = (now or timezone.now()) - dt.timedelta(days=1)
    return AccessFailureLog.objects.filter(match, locked_out=True, attempt_time__gte=since).count()


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: the base cool-off, doubled for each earlier lockout in the last day."""
    base = dt.timedelta(minutes=settings.YONGKE_LOCKOUT_MINUTES)
    if request is None:
        return base
    earlier = lockouts_in_last_day(username=getattr(request, _USERNAME_ATTR, None), ip_address=getattr(request, "axes_ip_address", None))
    return min(base * (2 ** max(earlier - 1, 0)), MAX_COOL_OFF)


def _minutes(delta: dt.timedelta) -> int:
    return max(1, int((delta.total_seconds() + 59) // 60))


def lockout_message(request: HttpRequest) -> str:
    return _("登录失败次数过多，该账户或地址已被暂时锁定，请 %(minutes)d 分钟后再试。") % {"minutes": _minutes(cool_off(request))}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: HTTP 429, as our API error JSON under /api/, else as a page."""
    minutes = _minutes(cool_off(request))
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "code": "locked_out",
                "message": f"{message} / too many failed sign-ins: locked for {minutes} minutes",
                "detail": {"minutes": minutes},
            },
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(request, "portal/security/locked.html", {"message": message, "minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def _audit_lockout(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    """Each lockout (not each refused try while locked) is written to the audit log."""
    from yongke.accounts.actors import System
    from yongke.audit.services import audit_record

    if request is not None and getattr(request, "axes_failures_since_start", None) is None:
        return  # a try while already locked: axes refuses it without counting
    audit_record(
        actor=System("lockout"),
        action="login_locked_out",
        target_type="user",
        target_id=username or "",
        address=ip_address,
        data={"username": username, "path": getattr(request, "path", ""), "cool_off_minutes": _minutes(cool_off(request))},
    )


def connect() -> None:
    """Called from the accounts app's ready()."""
    from axes.signals import user_locked_out

    receiver(user_locked_out, dispatch_uid="yongke_audit_lockout")(_audit_lockout)

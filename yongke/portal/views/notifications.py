"""The signed-in user's inbox (list, mark read, mark all read) and notification settings.
Reads through yongke.notifications.selectors, writes through yongke.notifications.services."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.core.errors import YongkeError
from yongke.notifications import messages as texts
from yongke.notifications import services
from yongke.notifications.models import Kind, Notification
from yongke.notifications.selectors import email_of, notification_for, notifications_for, phone_of, preferences_for, unread_count
from yongke.portal.views.common import acting_user, flash, paginate, roles_required


@dataclass(frozen=True)
class Row:
    """One inbox entry as the page shows it: in the reader's language."""

    n: Notification
    title: str
    body: str


@roles_required()
def inbox(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("show") == "unread"
    page = paginate(request, notifications_for(request.user, unread=True if only_unread else None))
    rows = [Row(n, *texts.localized(n)) for n in page]
    return render(
        request,
        "portal/notifications.html",
        {
            "page": page,
            "rows": rows,
            "unread": unread_count(request.user),
            "only_unread": only_unread,
            "querystring": "show=unread" if only_unread else "",
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("portal:notifications")


@require_POST
@roles_required()
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(actor=acting_user(request), notification=notification_for(request.user, pk))
    return redirect(_back(request))


@require_POST
@roles_required()
def mark_all_read(request: HttpRequest) -> HttpResponse:
    n = services.notifications_mark_all_read(actor=acting_user(request))
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": n})
    return redirect(_back(request))


@roles_required()
def preferences(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        choices = {k: {"email": f"{k}-email" in request.POST, "sms": f"{k}-sms" in request.POST} for k in Kind.values}
        try:
            services.notification_preferences_set(actor=user, user=user, choices=choices)
        except YongkeError as e:
            flash(request, e)
        else:
            messages.success(request, _("通知设置已保存"))
            return redirect("portal:notification_preferences")
    return render(
        request,
        "portal/notification_preferences.html",
        {"choices": preferences_for(user), "email": email_of(user), "phone": phone_of(user)},
    )

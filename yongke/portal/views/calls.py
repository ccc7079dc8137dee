"""The officer's calls (申报批次): list, open, edit and close — what `yongke call` does on the console."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.applications import services
from yongke.applications.models import Call
from yongke.applications.reports import call_application_counts, call_direction_counts
from yongke.applications.selectors import calls_visible_to
from yongke.core.errors import BadInput
from yongke.guide.selectors import guide_for, guide_version_current
from yongke.portal.call_forms import CallForm
from yongke.portal.views.common import acting_user, flash, roles_required

CALL_ROLES = (Role.OFFICER,)  # who opens calls (call_open's roles)


def _call(request: HttpRequest, pk: int) -> Call:
    call = calls_visible_to(request.user).filter(pk=pk).first()
    if call is None:
        raise Http404(_("没有这个申报批次"))
    return call


@roles_required(*CALL_ROLES)
def officer_calls(request: HttpRequest) -> HttpResponse:
    calls = list(calls_visible_to(request.user).order_by("-opens_at", "-id"))
    counts = call_application_counts(request.user, calls)
    now = timezone.now()
    items = [{"call": c, "open": services.call_is_open(c, now), "n": counts.get(c.pk, 0)} for c in calls]
    return render(request, "portal/officer_calls.html", {"items": items})


def _defaults() -> dict:
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    return {
        "opens_at": dt.datetime.combine(today, dt.time(9), tzinfo=tz),
        "closes_at": dt.datetime.combine(today + dt.timedelta(days=30), dt.time(17), tzinfo=tz),
    }


@roles_required(*CALL_ROLES)
def call_new(request: HttpRequest) -> HttpResponse:
    version = guide_version_current()
    form = CallForm(request.POST or None, guide=guide_for(version), initial=_defaults())
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_open(actor=acting_user(request), guide_version=version, **form.service_values())
        except BadInput as e:
            form.add_service_errors(e.detail.get("errors", {}), e.message)
        else:
            messages.success(request, _("申报批次「%(name)s」已发布。") % {"name": call.name})
            return redirect("portal:officer_calls")
    return render(request, "portal/call_form.html", {"form": form, "version": version, "call": None})


@roles_required(*CALL_ROLES)
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    used = call_direction_counts(request.user, call)
    form = CallForm(request.POST or None, guide=guide_for(call.guide_version), call=call, used=used)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_update(actor=acting_user(request), call=call, changes=form.service_values())
        except BadInput as e:
            form.add_service_errors(e.detail.get("errors", {}), e.message)
        else:
            messages.success(request, _("申报批次「%(name)s」已保存。") % {"name": call.name})
            return redirect("portal:officer_calls")
    return render(request, "portal/call_form.html", {"form": form, "version": call.guide_version, "call": call})


@roles_required(*CALL_ROLES)
@require_POST
def call_close(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    try:
        call = services.call_close(actor=acting_user(request), call=call)
    except BadInput as e:
        flash(request, e)
    else:
        messages.success(request, _("申报批次「%(name)s」已截止受理。") % {"name": call.name})
    return redirect("portal:officer_calls")

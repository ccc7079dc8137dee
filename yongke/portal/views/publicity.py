"""公示: the public list with its periods, contact and results; the online objection form; the
officer's page where each objection is handled and each call's contact is set."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.applications.selectors import calls_visible_to
from yongke.core.errors import BadInput, NotFound, Refused, YongkeError
from yongke.portal.objection_forms import ObjectionForm, ObjectionHandleForm, PublicityContactForm
from yongke.portal.views.common import acting_user, address, annotate_directions, domain_errors, flash, roles_required
from yongke.publicity import selectors, services


def _groups(apps: list[Any], now) -> list[dict[str, Any]]:
    groups: dict[int, dict[str, Any]] = {}
    for a in apps:
        g = groups.setdefault(a.call_id, {"call": a.call, "contact": a.contact, "items": [], "total": 0, "provisional": False})
        a.window_open = bool(a.objection_ends_at and now < a.objection_ends_at)
        g["items"].append(a)
        g["total"] += a.decided_amount or 0
        g["provisional"] |= bool(a.period and a.period.provisional)
    return list(groups.values())


def publicity(request: HttpRequest) -> HttpResponse:
    """The public 公示 list: period (start, end at 24:00 of the last working day), the contact
    for objections, the online form while the window is open, and the result so far."""
    now = timezone.now()
    apps = annotate_directions(request.user, selectors.publicity_public())
    return render(request, "portal/publicity.html", {"groups": _groups(apps, now), "now": now})


@domain_errors
def objection_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone may object to an application in 公示: named, with a contact and reasons."""
    app = selectors.application_in_publicity(pk)
    form = ObjectionForm(request.POST or None)
    closed = None
    if request.method == "POST" and form.is_valid():
        try:
            objection = services.objection_lodge(application=app, address=address(request), **form.cleaned_data)
        except BadInput as e:
            form.add_service_errors(e.detail.get("errors", {}), e.message)
        except Refused as e:
            closed = e.message
        else:
            messages.success(
                request,
                _("您的异议已受理（编号 %(n)d）。我们将核实处理，并通过您留下的联系方式答复。") % {"n": objection.pk},
            )
            return redirect(reverse("portal:publicity") + f"#pub-app-{app.pk}")
    [app] = annotate_directions(request.user, [app])
    context = {
        "app": app,
        "form": form,
        "closed": closed,
        "open": bool(app.objection_ends_at and timezone.now() < app.objection_ends_at),
    }
    return render(request, "portal/objection_form.html", context)


@roles_required(Role.OFFICER)
def officer_publicity(request: HttpRequest) -> HttpResponse:
    """The officer's 公示: each call's contact, each application's period and its objections with
    the form that records their handling."""
    call_id = int(request.GET["call"]) if request.GET.get("call", "").isdigit() else None
    now = timezone.now()
    apps = annotate_directions(request.user, selectors.publicity_for_officer(request.user, call_id=call_id))
    groups = _groups(apps, now)
    for g in groups:
        g["contact_form"] = PublicityContactForm(initial={"contact": g["contact"]}, prefix=f"c{g['call'].pk}")
        for a in g["items"]:
            for o in a.objections.all():
                o.form = ObjectionHandleForm(initial={"outcome": o.outcome if o.handled else "", "handling": o.handling}, prefix=f"o{o.pk}")
    calls = list(calls_visible_to(request.user).select_related(None).only("id", "name").order_by("-opens_at"))
    return render(
        request,
        "portal/officer_publicity.html",
        {"groups": groups, "calls": calls, "call_id": call_id, "default_contact": selectors.default_contact(), "now": now},
    )


def _back(request: HttpRequest, anchor: str = "") -> HttpResponse:
    nxt = reverse("portal:officer_publicity")
    call = request.POST.get("call", "")
    return redirect(nxt + (f"?call={call}" if call.isdigit() else "") + anchor)


@roles_required(Role.OFFICER)
@require_POST
def objection_handle(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_for(request.user, pk)
    form = ObjectionHandleForm(request.POST, prefix=f"o{pk}")
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return _back(request, f"#obj-{pk}")
    try:
        services.objection_handle(actor=acting_user(request), objection=objection, **form.cleaned_data)
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("异议 #%(n)d 的处理情况已记录。") % {"n": pk})
    return _back(request, f"#obj-{pk}")


@roles_required(Role.OFFICER, Role.SYSADMIN)
@require_POST
def publicity_contact(request: HttpRequest, pk: int) -> HttpResponse:
    call = calls_visible_to(request.user).filter(pk=pk).first()
    if call is None:
        raise NotFound(_("没有这个申报批次"))
    form = PublicityContactForm(request.POST, prefix=f"c{pk}")
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return _back(request)
    try:
        services.call_publicity_set(actor=acting_user(request), call=call, contact=form.cleaned_data["contact"])
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("「%(name)s」的异议受理联系方式已保存。") % {"name": call.name})
    return _back(request)

"""Post-subsidy claims (后补助核算): per call and award direction, each claim with its quote's
breakdown, the check at the quoted amount, the budget line and its allocation, and the
免申即享 screening of the registry. Writes through yongke.awards.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.accounts.reauth import reauth_required
from yongke.applications.selectors import application_for, applications_filtered, calls_visible_to
from yongke.applications.services import may_take
from yongke.awards import services
from yongke.core.directions import sort_directions
from yongke.core.errors import YongkeError
from yongke.guide.selectors import compiled_for
from yongke.jobs.models import Job
from yongke.jobs.selectors import jobs_visible_to
from yongke.jobs.services import job_start_registry_screen
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, flash, permits, roles_required


def _last_screen(request: HttpRequest, call) -> dict[str, Any] | None:
    """The caller's latest finished 免申即享 screening of this call (run as a background job)."""
    if call is None:
        return None
    job = jobs_visible_to(request.user).filter(kind=Job.Kind.REGISTRY_SCREEN, status=Job.Status.DONE, params__call=call.pk).first()
    return job.result if job else None


def _award_directions(call) -> list[tuple[str, str]]:
    compiled = compiled_for(call.guide_version)
    names = {d.id: d.name for d in compiled.guide.directions}
    return [(d, names.get(d, "")) for d in sort_directions(call.directions) if compiled.award_rule(d) is not None]


def _url(call_id: int | None, direction: str = "") -> str:
    url = reverse("portal:award_claims")
    if call_id:
        url += f"?call={call_id}"
        if direction:
            url += f"&direction={direction}"
    return url


@roles_required(Role.OFFICER, Role.FINANCE)
def award_claims(request: HttpRequest) -> HttpResponse:
    calls = [c for c in calls_visible_to(request.user).order_by("-opens_at")[:50] if _award_directions(c)]
    g = request.GET
    call = next((c for c in calls if str(c.pk) == g.get("call", "")), calls[0] if calls else None)
    directions = _award_directions(call) if call else []
    direction = g.get("direction", "") if g.get("direction", "") in dict(directions) else (directions[0][0] if directions else "")
    user = acting_user(request)
    # The buttons: the services' own permission checks (the officers of the direction's programme allocate).
    ctx: dict[str, Any] = {
        "calls": calls,
        "call": call,
        "directions": directions,
        "direction": direction,
        "direction_name": dict(directions).get(direction, ""),
        "may_screen": call is not None and permits(services.authorize_registry_screen, actor=user, call=call),
        "may_allocate": bool(direction)
        and call is not None
        and permits(services.authorize_claims_allocate, actor=user, call=call, direction=direction),
        "screened": _last_screen(request, call),
    }
    if call and direction:
        qs = (
            applications_filtered(user, call=call.pk, direction=direction, funding="post")
            .exclude(state="draft")
            .order_by("state", "-decided_amount", "pk")
        )
        claims = []
        for app in qs:
            try:
                quote = services.claim_quote(app)
                error = ""
            except YongkeError as e:
                quote, error = None, error_text(e)
            check = app.workflow.transition("check")
            may_check = check is not None and app.state in check.sources and may_take(user, app, check)
            claims.append({"app": app, "quote": quote, "error": error, "may_check": may_check})
        ctx["claims"] = claims
        ctx["ranked"] = services.claims_ranked(user, call, direction)
    return render(request, "portal/award_claims.html", ctx)


@roles_required(Role.OFFICER)
@require_POST
def claim_check(request: HttpRequest, pk: int) -> HttpResponse:
    app = application_for(request.user, pk)
    try:
        app, quote = services.claim_check(actor=acting_user(request), application=app, comment=request.POST.get("comment", ""))
    except YongkeError as e:
        flash(request, e)
    else:
        if app.state == "checked":
            messages.success(request, _("已按核算金额审核：%(amount)s 元。") % {"amount": f"{quote['amount']:,}"})
        else:
            messages.warning(request, _("不符合条件，已不予支持。"))
    return redirect(_url(app.call_id, app.direction))


@roles_required(Role.OFFICER)
@require_POST
@reauth_required
def claims_allocate(request: HttpRequest) -> HttpResponse:
    call = (
        calls_visible_to(request.user)
        .filter(pk=int(request.POST.get("call", "0") or 0) if request.POST.get("call", "").isdigit() else 0)
        .first()
    )
    direction = request.POST.get("direction", "")
    if call is None:
        messages.error(request, _("请选择申报批次。"))
        return redirect("portal:award_claims")
    try:
        result = services.claims_allocate(actor=acting_user(request), call=call, direction=direction)
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(
            request, _("已按预算分配 %(n)d 项，比例 %(ratio)s。") % {"n": len(result["allocations"]), "ratio": result["ratio"]}
        )
    return redirect(_url(call.pk, direction))


@roles_required(Role.OFFICER)
@require_POST
def registry_screen(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("call", "")
    call = calls_visible_to(request.user).filter(pk=int(raw) if raw.isdigit() else 0).first()
    if call is None:
        messages.error(request, _("请选择申报批次。"))
        return redirect("portal:award_claims")
    try:
        job = job_start_registry_screen(actor=acting_user(request), call=call, direction=request.POST.get("direction", ""))
    except YongkeError as e:
        flash(request, e)
        return redirect(_url(call.pk, request.POST.get("direction", "")))
    return redirect("portal:job_detail", pk=job.pk)

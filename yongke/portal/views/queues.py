"""Lists of work: the applicant's applications, the recommending unit's queue, the officer's
queues per state, finance's decided list, the audit log — with filters and batch actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.accounts.reauth import money_action, reauth_required
from yongke.applications import services
from yongke.applications.selectors import (
    application_for,
    applications_filtered,
    as_list,
    audit_events_visible_to,
    calls_visible_to,
    supported,
)
from yongke.applications.stats import queue_counts
from yongke.applications.workflow import POST, PRE, WORKFLOWS
from yongke.core.errors import YongkeError
from yongke.guide.selectors import guide_for, guide_version_current
from yongke.orgs.validators import RECOMMENDING_UNITS
from yongke.portal.texts import ACTION_LABELS, TARGET_LABELS, error_text
from yongke.portal.views.common import acting_user, address, annotate_directions, keep_batch, paginate, roles_required, scope

APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)
# The officer's queues, in the order work flows through them.
OFFICER_QUEUES: list[tuple[str, str]] = [
    ("pre", "submitted"),
    ("pre", "recommended"),
    ("pre", "returned"),
    ("pre", "accepted"),
    ("pre", "expert_review"),
    ("pre", "funded"),
    ("pre", "published"),
    ("pre", "contracted"),
    ("pre", "not_recommended"),
    ("pre", "refused"),
    ("pre", "not_funded"),
    ("pre", "withdrawn"),
    ("post", "claimed"),
    ("post", "returned"),
    ("post", "checked"),
    ("post", "published"),
    ("post", "paid"),
    ("post", "refused"),
]
# States where the next step is the officer's: their cards are marked as work to do.
OFFICER_WAITS_ON = {
    ("pre", "recommended"),
    ("pre", "accepted"),
    ("pre", "expert_review"),
    ("pre", "funded"),
    ("pre", "published"),
    ("post", "claimed"),
    ("post", "checked"),
}
BATCH_FREE = ("amount", "voucher")  # steps needing a per-application input are taken one by one on the application's page

# Queues in order of submission, NULLs last on every database: an order the cursor pager walks
# (core/keyset.py) through the index on (funding, state, submitted_at, id).
SUBMISSION_ORDER = F("submitted_at").asc(nulls_last=True)
# A queue counts its rows no further than this: beyond it the page says "more than 1,000" (the
# cards of the queues page still give each queue's exact size, from one grouped count).
QUEUE_COUNT_LIMIT = 1000


def _batch_actions(funding: str, state: str, role: str) -> list[Any]:
    wf = WORKFLOWS[funding]
    return [t for t in wf.available(state) if role in t.roles and not set(t.needs) & set(BATCH_FREE)]


@roles_required(*APPLICANT_ROLES)
def my_applications(request: HttpRequest) -> HttpResponse:
    # The user's own organisations' applications (not those they see through another role).
    qs = as_list(applications_filtered(request.user).filter(organisation__in=scope(request).organisations).order_by("-updated_at", "-id"))
    page = paginate(request, qs)
    apps = annotate_directions(request.user, page.object_list)
    return render(request, "portal/my_applications.html", {"page": page, "apps": apps})


def _filtered(request: HttpRequest, **fixed: Any):
    """The visible applications narrowed by the list's filters (GET parameters) and the queue's own (`fixed`)."""
    g = request.GET
    return applications_filtered(
        request.user,
        text=g.get("q") or None,
        call=int(g["call"]) if g.get("call", "").isdigit() else None,
        programme=g.get("programme") or None,
        direction=g.get("direction") or None,
        unit=g.get("unit") or None,
        **fixed,
    )


def _programme_choices() -> list[tuple[str, str]]:
    """The current guide's programmes, from its compiled guide (cached per process by digest)."""
    try:
        return [(p.id, p.name) for p in guide_for(guide_version_current()).programmes]
    except YongkeError:
        return []


def _filter_choices(request: HttpRequest) -> dict[str, Any]:
    programmes = _programme_choices()
    rest = request.GET.copy()
    for name in ("page", "after", "before"):  # the pager adds them back
        rest.pop(name, None)
    return {
        "calls": list(calls_visible_to(request.user).select_related(None).order_by("-opens_at").values_list("id", "name")),
        "programmes": programmes,
        "units": sorted(RECOMMENDING_UNITS.items()),
        "values": request.GET,
        "querystring": rest.urlencode(),
    }


@roles_required(Role.RECOMMENDER)
def recommend_queue(request: HttpRequest) -> HttpResponse:
    tabs = [("submitted", _("待推荐")), ("recommended", _("已推荐")), ("not_recommended", _("未推荐")), ("all", _("全部"))]
    state = request.GET.get("state", "submitted")
    if state not in dict(tabs):
        state = "submitted"
    counts = queue_counts(request.user)
    qs = as_list(_filtered(request, state=None if state == "all" else state)).order_by(SUBMISSION_ORDER, "id")
    page = paginate(request, qs, count_limit=QUEUE_COUNT_LIMIT)
    apps = annotate_directions(request.user, page.object_list)
    tab_counts = {k: sum(n for (_f, s), n in counts.items() if s == k) for k, _label in tabs}
    tab_counts["all"] = sum(counts.values())
    return render(
        request,
        "portal/recommend_queue.html",
        {
            "page": page,
            "apps": apps,
            "state": state,
            "tabs": [(k, label, tab_counts.get(k, 0)) for k, label in tabs],
            "batch": _batch_actions("pre", "submitted", Role.RECOMMENDER) if state == "submitted" else [],
            **_filter_choices(request),
        },
    )


@roles_required(Role.OFFICER)
def officer_queues(request: HttpRequest) -> HttpResponse:
    counts = queue_counts(request.user)
    cards = [
        {"funding": f, "state": s, "label": WORKFLOWS[f].states[s], "n": counts.get((f, s), 0), "todo": (f, s) in OFFICER_WAITS_ON}
        for f, s in OFFICER_QUEUES
    ]
    return render(
        request,
        "portal/officer_queues.html",
        {"pre": [c for c in cards if c["funding"] == "pre"], "post": [c for c in cards if c["funding"] == "post"]},
    )


@roles_required(Role.OFFICER)
def officer_queue(request: HttpRequest) -> HttpResponse:
    funding = request.GET.get("funding", "pre")
    if funding not in WORKFLOWS:
        funding = "pre"
    wf = WORKFLOWS[funding]
    state = request.GET.get("state", "recommended" if funding == "pre" else "claimed")
    if state not in wf.states:
        state = wf.initial
    qs = as_list(_filtered(request, funding=funding, state=state)).order_by(SUBMISSION_ORDER, "id")
    page = paginate(request, qs, count_limit=QUEUE_COUNT_LIMIT)
    apps = annotate_directions(request.user, page.object_list)
    return render(
        request,
        "portal/officer_queue.html",
        {
            "page": page,
            "apps": apps,
            "funding": funding,
            "state": state,
            "state_label": wf.states[state],
            "states": [(s, label) for s, label in wf.states.items() if s not in ("draft", "proposed", "declined")],
            "batch": _batch_actions(funding, state, Role.OFFICER),
            "keep_params": [("funding", funding), ("state", state)],
            **_filter_choices(request),
        },
    )


@roles_required(Role.RECOMMENDER, Role.OFFICER, Role.FINANCE)
@require_POST
@reauth_required(when=money_action)
def batch(request: HttpRequest) -> HttpResponse:
    """One workflow step for many applications: each is its own audited transition."""
    action = request.POST.get("action", "")
    ids = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
    comment = request.POST.get("comment", "")
    days = request.POST.get("objection_days", "")
    done, failed = 0, []
    if not ids:
        messages.error(request, _("请先勾选要办理的申报。"))
    for pk in ids:
        try:
            app = application_for(request.user, pk)
            services.application_transition(
                actor=acting_user(request),
                application=app,
                action=action,
                comment=comment,
                objection_days=int(days) if days.isdigit() else None,
                address=address(request),
            )
            done += 1
        except YongkeError as e:
            failed.append((pk, error_text(e)))
    if done:
        messages.success(request, _("已办理 %(n)d 项。") % {"n": done})
    for pk, text in failed:
        messages.error(request, _("申报 #%(id)d：%(error)s") % {"id": pk, "error": text})
    if failed:
        # The queue shows the ones not done still ticked, with the step and the comment as typed.
        keep_batch(request, ids=[pk for pk, _text in failed], action=action, comment=comment, days=days)
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("portal:home")


@roles_required(Role.FINANCE)
def finance(request: HttpRequest) -> HttpResponse:
    """Decided and paid: what finance pays or has paid."""
    qs = supported(_filtered(request)).order_by("state", "-updated_at", "id")
    page = paginate(request, qs)
    apps = annotate_directions(request.user, page.object_list)
    counts = queue_counts(request.user)
    summary = [
        {"funding": f, "state": s, "label": WORKFLOWS[f].states[s], "n": counts.get((f, s), 0)}
        for f, s in (
            ("pre", "funded"),
            ("pre", "published"),
            ("pre", "contracted"),
            ("post", "checked"),
            ("post", "published"),
            ("post", "paid"),
        )
    ]
    return render(request, "portal/finance.html", {"page": page, "apps": apps, "summary": summary, **_filter_choices(request)})


@roles_required(Role.AUDITOR, Role.SYSADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    qs = audit_events_visible_to(request.user)
    g = request.GET
    if g.get("actor"):
        qs = qs.filter(actor_name__icontains=g["actor"].strip())
    if g.get("action"):
        qs = qs.filter(action=g["action"])
    if g.get("target_type"):
        qs = qs.filter(target_type=g["target_type"])
    if g.get("target_id"):
        qs = qs.filter(target_id=g["target_id"].strip())
    since = _date(g.get("since", ""))
    if since:
        qs = qs.filter(at__date__gte=since)
    page = paginate(request, qs.order_by("-at", "-id"), per_page=50)
    actions = sorted(
        {t.action for wf in (PRE, POST) for t in wf.transitions}
        | set(ACTION_LABELS)
        | {
            "application_create",
            "application_update",
            "attachment_add",
            "organisation_create",
            "organisation_update",
            "user_add",
            "person_create",
            "call_open",
            "call_close",
            "org_attribute_set",
        }
    )
    rest = g.copy()
    for name in ("page", "after", "before", "verify"):  # the pager adds them back; the check is asked for each time
        rest.pop(name, None)
    from yongke.audit.selectors import chain_verify

    chain = chain_verify() if g.get("verify") else None  # the whole log is read: only when the auditor asks
    return render(
        request,
        "portal/audit_log.html",
        {
            "chain": chain,
            "page": page,
            "actions": actions,
            "values": g,
            "querystring": rest.urlencode(),
            "target_types": list(TARGET_LABELS),
        },
    )


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None

"""Public pages: the guide and 我能申报什么 (the 公示 list is in `publicity.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from yongke.applications.selectors import calls_visible_to
from yongke.applications.services import call_is_open
from yongke.core.errors import BadInput, NotFound
from yongke.core.money import parse_count, parse_yuan
from yongke.guide import selectors
from yongke.guide.facts import coerce_fact
from yongke.guide.fit import default_model
from yongke.guide.matching import match, questionnaire
from yongke.orgs.selectors import organisation_facts, organisations_visible_to
from yongke.portal.forms import direction_fact_specs, fact_initial
from yongke.portal.match_form import profile_form
from yongke.portal.views.common import is_htmx, scope


def guide_index(request: HttpRequest) -> HttpResponse:
    try:
        version = selectors.guide_version_current()
    except NotFound:
        return render(request, "portal/no_guide.html", status=200)
    guide = selectors.guide_for(version)
    open_calls = [c for c in calls_visible_to(request.user).select_related(None).filter(guide_version=version) if call_is_open(c)]
    return render(request, "portal/guide_index.html", {"version": version, "guide": guide, "open_calls": open_calls})


def direction_detail(request: HttpRequest, label: str, revision: int, code: str) -> HttpResponse:
    version = selectors.guide_versions_visible_to(request.user).filter(label=label, revision=revision).first()
    if version is None:
        raise Http404("没有这个指南版本")
    guide = selectors.guide_for(version)
    try:
        direction = guide.direction(code)
    except BadInput:
        raise Http404("没有这个申报方向") from None
    specs = direction_fact_specs(guide, direction)
    calls = [
        c
        for c in calls_visible_to(request.user).select_related(None).filter(guide_version=version)
        if code in c.directions and call_is_open(c)
    ]
    return render(
        request,
        "portal/direction.html",
        {
            "version": version,
            "guide": guide,
            "direction": direction,
            "specs": specs,
            "calls": calls,
            "can_apply": bool(scope(request).organisations),  # acts for an organisation: application_create's rule
        },
    )


# --------------------------------------------------------------------------- 我能申报什么


def _answers(request: HttpRequest, facts) -> tuple[dict[str, Any], dict[str, str]]:
    """The questionnaire's answers as guide facts; a bad answer is reported, not guessed."""
    given: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for fact in facts:
        raw = request.GET.get(fact.name, "").strip()
        if raw == "":
            continue
        try:
            if fact.type == "bool":
                value: Any = {"true": True, "false": False}.get(raw)
                if value is None:
                    raise ValueError
            elif fact.type == "money":
                value = parse_yuan(raw)  # "5000万", "5,000万元": as people type amounts
            elif fact.type == "int":
                value = parse_count(raw)
            elif fact.type == "number":
                value = float(raw)
            else:
                value = raw
            given[fact.name] = coerce_fact(fact, value)
        except (ValueError, BadInput):
            errors[fact.name] = "请填写有效的数值" if fact.type in ("int", "money", "number") else "无效的选项"
    return given, errors


def match_page(request: HttpRequest) -> HttpResponse:
    try:
        version = selectors.guide_version_current()
    except NotFound:
        return render(request, "portal/no_guide.html")
    compiled = selectors.compiled_for(version)
    q = questionnaire(compiled)
    all_questions = q.common + q.more + q.award_inputs
    # A signed-in applicant starts from what the registry knows about its (first) organisation.
    org = None
    known: dict[str, Any] = {}
    mine = scope(request).organisations
    if mine:
        org = organisations_visible_to(request.user).filter(pk__in=mine).order_by("pk").first()
        if org is not None:
            registry = organisation_facts(org, on=timezone.localdate(), facts=compiled.guide.facts)
            known = {k: v for k, v in registry.items() if k in compiled.guide.facts}
    answers, errors = _answers(request, all_questions)
    facts = {**known, **answers}
    asked = bool(request.GET) or org is not None
    # Type, industry, district and business scope order the directions by fit; the rules alone decide.
    fit_model = default_model()
    profile = profile_form(request.GET, org, fit_model)
    result = match(compiled, facts, profile.profile(), fit_model) if asked else None
    values = {f.name: request.GET.get(f.name, fact_initial(f, known.get(f.name)) if f.name in known else "") for f in all_questions}
    context = {
        "version": version,
        "q": q,
        "profile_form": profile,
        "result": result,
        "values": values,
        "errors": errors,
        "org": org,
        "known": known,
        "asked": asked,
        "today": dt.date.today(),
    }
    if is_htmx(request):
        return render(request, "portal/_match_results.html", context)
    return render(request, "portal/match.html", context)

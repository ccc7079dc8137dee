"""Post-subsidy claims in the lifecycle: history from the database, checks, screening, budgets."""

from __future__ import annotations

import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.awards import services
from yongke.testing import make_application, make_call, make_guide, make_org, make_user

pytestmark = pytest.mark.django_db

PREMIUMS = {f"premium_{k}": 0 for k in ("patent", "rd_liability", "key_rd_equipment", "business_interruption", "product_liability",
                                         "product_quality", "microloan_guarantee", "employer_liability", "environmental_liability",
                                         "property", "project_investment_loss")}


@pytest.fixture
def setting():
    make_guide()
    org = make_org()
    return {"org": org, "user": make_user("applicant", organisation=org), "officer": make_user("officer", programme="*"),
            "call": make_call(directions=["28.1", "33.1", "34.1", "35.1"], budgets={"33.1": 2_500_000})}


def claim(setting, direction, facts, org=None, user=None):
    app = make_application(call=setting["call"], org=org or setting["org"], user=user or setting["user"], direction=direction, facts=facts,
                           title=f"申领{direction}-{Application.objects.count()}", requested_amount=0)
    app, _ = apps.application_transition(actor=user or setting["user"], application=app, action="submit")
    return app


def test_the_yearly_insurance_cap_holds_across_claims(setting):
    first = claim(setting, "28.1", {**PREMIUMS, "premium_patent": 300_000})  # 70% → 210,000
    first, quote = services.claim_check(actor=setting["officer"], application=first)
    assert first.state == "checked" and first.decided_amount == 210_000
    second = claim(setting, "28.1", {**PREMIUMS, "premium_property": 500_000})  # 30% → 150,000, but only 40,000 room left
    quote = services.claim_quote(second)
    assert quote["eligible"] and quote["amount"] == 40_000
    assert any(r["code"] == "annual_cap" for r in quote["reasons"])
    assert quote["breakdown"][-1]["amount"] == 40_000 - 150_000


def test_a_claim_the_quote_refuses_is_refused_with_its_reasons(setting):
    app = claim(setting, "34.1", {"level": "national", "star_innovation_space_enterprise": True})
    # Force an ineligible fact after submission, as an officer's check might reveal.
    Application.objects.filter(pk=app.pk).update(facts={**app.facts, "level": "city"})
    app.refresh_from_db()
    assert not services.claim_quote(app)["eligible"]  # 34.1 pays national and region 星创天地 only
    app, quote = services.claim_check(actor=setting["officer"], application=app)
    assert app.state == "refused" and not quote["eligible"]


def test_screening_the_registry_proposes_claims_awaiting_confirmation(setting):
    winner = make_org(region_award_received=True, innovative_county_recognized=True, county_work_system=True)
    make_org()  # qualifies for nothing
    talent = make_org(region_award_received=True)  # no record of being an innovative county: not proposed for 35.1
    result = services.registry_screen(actor=setting["officer"], call=setting["call"])
    proposed = Application.objects.filter(call=setting["call"], state="proposed")
    assert not proposed.filter(organisation=talent).exists()
    assert result["created"] >= 1 and proposed.filter(organisation=winner, direction="35.1").exists()
    again = services.registry_screen(actor=setting["officer"], call=setting["call"])
    assert again["created"] == 0  # not proposed twice
    member = make_user("applicant", organisation=winner)
    app = proposed.get(organisation=winner, direction="35.1")
    app, _ = apps.application_transition(actor=member, application=app, action="confirm")
    assert app.state == "claimed" and app.submissions.count() == 1


def test_allocation_scales_checked_claims_to_the_budget(setting):
    for level in ["national", "national", "region"]:
        org = make_org()
        user = make_user("applicant", organisation=org)
        app = claim(setting, "33.1", {"carrier": "incubator", "level": level, "public_funded": False}, org=org, user=user)
        services.claim_check(actor=setting["officer"], application=app)
    ranked = services.claims_ranked(setting["officer"], setting["call"], "33.1")
    assert ranked["claimed"] == 5_000_000 and not ranked["fits"]
    result = services.claims_allocate(actor=setting["officer"], call=setting["call"], direction="33.1")
    amounts = sorted(a["amount"] for a in result["allocations"])
    assert sum(amounts) == 2_500_000 and amounts == [500_000, 1_000_000, 1_000_000]

"""Post-subsidy claims in the lifecycle: history from the database, checks, screening, budgets."""

from __future__ import annotations

import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.audit.models import AuditEvent
from yongke.awards import services
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.testing import make_application, make_call, make_guide, make_org, make_user

pytestmark = pytest.mark.django_db

PREMIUMS = {
    f"premium_{k}": 0
    for k in (
        "patent",
        "rd_liability",
        "key_rd_equipment",
        "business_interruption",
        "product_liability",
        "product_quality",
        "microloan_guarantee",
        "employer_liability",
        "environmental_liability",
        "property",
        "project_investment_loss",
    )
}


def claims_setting(*, directions: list[str], budgets: dict[str, int]) -> dict:
    """The guide, an organisation with its applicant, an officer of every programme, and a call."""
    make_guide()
    org = make_org()
    return {
        "org": org,
        "user": make_user("applicant", organisation=org),
        "officer": make_user("officer", programme="*"),
        "call": make_call(directions=directions, budgets=budgets),
    }


@pytest.fixture
def setting():
    return claims_setting(directions=["28.1", "33.1", "34.1", "35.1"], budgets={"33.1": 2_500_000})


def claim(setting, direction, facts, org=None, user=None):
    app = make_application(
        call=setting["call"],
        org=org or setting["org"],
        user=user or setting["user"],
        direction=direction,
        facts=facts,
        title=f"申领{direction}-{Application.objects.count()}",
        requested_amount=0,
    )
    app, _ = apps.application_transition(actor=user or setting["user"], application=app, action="submit")
    return app


def _first_insurance_claim_checked(setting):
    first = claim(setting, "28.1", {**PREMIUMS, "premium_patent": 300_000})  # 70% → 210,000
    first, _ = services.claim_check(actor=setting["officer"], application=first)
    return first


def test_a_checked_claim_is_decided_at_its_quoted_amount(setting):
    first = _first_insurance_claim_checked(setting)
    assert first.state == "checked"
    assert first.decided_amount == 210_000


def test_the_yearly_insurance_cap_holds_across_claims(setting):
    _first_insurance_claim_checked(setting)
    second = claim(setting, "28.1", {**PREMIUMS, "premium_property": 500_000})  # 30% → 150,000, but only 40,000 room left
    quote = services.claim_quote(second)
    assert quote["eligible"] is True
    assert quote["amount"] == 40_000
    assert "annual_cap" in [r["code"] for r in quote["reasons"]]
    assert quote["breakdown"][-1]["amount"] == 40_000 - 150_000


def _claim_made_ineligible(setting):
    app = claim(setting, "34.1", {"level": "national", "star_innovation_space_enterprise": True})
    # Force an ineligible fact after submission, as an officer's check might reveal.
    Application.objects.filter(pk=app.pk).update(facts={**app.facts, "level": "city"})
    app.refresh_from_db()
    return app


def test_the_quote_refuses_a_city_level_star_space(setting):
    assert services.claim_quote(_claim_made_ineligible(setting))["eligible"] is False  # 34.1 pays national and region 星创天地 only


def test_a_claim_the_quote_refuses_is_refused_with_its_reasons(setting):
    app, quote = services.claim_check(actor=setting["officer"], application=_claim_made_ineligible(setting))
    assert app.state == "refused"
    event = AuditEvent.objects.get(target_type="application", target_id=str(app.pk), action="refuse")
    reasons = [r["message"] for r in quote["reasons"] if r["code"] != "to_verify"]
    assert reasons
    assert all(message in event.comment for message in reasons)


def test_an_applicant_may_not_check_their_own_claim(setting):
    app = claim(setting, "34.1", {"level": "national", "star_innovation_space_enterprise": True})
    with pytest.raises(PermissionDenied):
        services.claim_check(actor=setting["user"], application=app)
    assert Application.objects.get(pk=app.pk).state == "claimed"


@pytest.fixture
def screened(setting):
    """The registry screened once: one organisation qualifies for 35.1, two for nothing."""
    orgs = {
        "winner": make_org(county_research_award_received=True, innovative_county_recognized=True, county_work_system=True),
        "nothing": make_org(),
        "talent": make_org(region_award_received=True),  # no record of being an innovative county: not proposed for 35.1
    }
    result = services.registry_screen(actor=setting["officer"], call=setting["call"])
    return orgs, result


def test_screening_the_registry_proposes_the_claims_found(setting, screened):
    orgs, result = screened
    proposed = Application.objects.filter(call=setting["call"], state="proposed")
    assert result["created"] == 1
    assert list(proposed.values_list("organisation", "direction")) == [(orgs["winner"].pk, "35.1")]


def test_screening_does_not_propose_a_claim_the_registry_does_not_support(setting, screened):
    orgs, _ = screened
    assert not Application.objects.filter(call=setting["call"], organisation=orgs["talent"]).exists()


def test_screening_again_proposes_nothing_twice(setting, screened):
    again = services.registry_screen(actor=setting["officer"], call=setting["call"])
    assert again["created"] == 0
    assert Application.objects.filter(call=setting["call"], state="proposed").count() == 1


def test_a_confirmed_proposal_becomes_a_claim_with_one_submission(setting, screened):
    orgs, _ = screened
    member = make_user("applicant", organisation=orgs["winner"])
    app = Application.objects.get(call=setting["call"], organisation=orgs["winner"], direction="35.1")
    app, _ = apps.application_transition(actor=member, application=app, action="confirm")
    assert app.state == "claimed"
    assert app.submissions.count() == 1


def test_an_applicant_may_not_screen_the_registry(setting):
    make_org(county_research_award_received=True, innovative_county_recognized=True, county_work_system=True)
    with pytest.raises(PermissionDenied):
        services.registry_screen(actor=setting["user"], call=setting["call"])
    assert not Application.objects.filter(call=setting["call"]).exists()


@pytest.fixture
def checked_incubators(setting):
    """Three checked 33.1 claims: 200万 + 200万 + 100万 against a budget of 250万."""
    for level in ["national", "national", "region"]:
        org = make_org()
        user = make_user("applicant", organisation=org)
        app = claim(setting, "33.1", {"carrier": "incubator", "level": level, "public_funded": False}, org=org, user=user)
        services.claim_check(actor=setting["officer"], application=app)


def test_claims_over_the_budget_are_ranked_as_not_fitting(setting, checked_incubators):
    ranked = services.claims_ranked(setting["officer"], setting["call"], "33.1")
    assert ranked["claimed"] == 5_000_000
    assert ranked["fits"] is False


def test_allocation_scales_checked_claims_to_the_budget(setting, checked_incubators):
    result = services.claims_allocate(actor=setting["officer"], call=setting["call"], direction="33.1")
    assert sorted(a["amount"] for a in result["allocations"]) == [500_000, 1_000_000, 1_000_000]


def test_an_applicant_may_not_allocate_the_budget(setting, checked_incubators):
    with pytest.raises(PermissionDenied):
        services.claims_allocate(actor=setting["user"], call=setting["call"], direction="33.1")


# ------------------------------------------------------------------ 核查通过 at most the guide's award

COUNTY = {"county_research_award_received": True, "innovative_county_recognized": True, "county_work_system": True}


def test_a_claim_is_not_checked_above_the_guides_award(setting):
    app = claim(setting, "35.1", COUNTY)  # 给予配套30万元科研经费奖励
    with pytest.raises(BadInput) as e:
        apps.application_transition(actor=setting["officer"], application=app, action="check", amount=300_001)
    assert e.value.detail["field"] == "amount"
    assert e.value.detail["limit"] == 300_000
    assert Application.objects.get(pk=app.pk).state == "claimed"
    assert Application.objects.get(pk=app.pk).decided_amount is None


def test_a_claim_may_be_checked_below_the_guides_award(setting):
    app = claim(setting, "35.1", COUNTY)  # 实际奖补按财政预算控制: lower, never higher
    app, _ = apps.application_transition(actor=setting["officer"], application=app, action="check", amount=250_000)
    assert (app.state, app.decided_amount) == ("checked", 250_000)
    entry = AuditEvent.objects.filter(target_type="application", target_id=str(app.pk), action="check").get()
    assert entry.data["quote"] == 300_000
    assert entry.data["changes"] == {"decided_amount": [None, 250_000]}  # old and new, as every update's entry


def test_a_claim_the_quote_refuses_cannot_be_checked_at_any_amount(setting):
    app = claim(setting, "35.1", COUNTY)
    # Its record changed after the submission (set-up: as if the 自治区 award were found not received).
    Application.objects.filter(pk=app.pk).update(facts={**app.facts, "county_research_award_received": False})
    app = Application.objects.get(pk=app.pk)
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=setting["officer"], application=app, action="check", amount=1)
    assert e.value.code == "claim_not_eligible"
    assert Application.objects.get(pk=app.pk).state == "claimed"


def test_the_same_platform_is_not_claimed_twice(setting):
    """一次性后补助建设资助 per platform: the claim names its platform (content), and a second claim
    of the same platform at the same level is refused at submission (it was paid twice before:
    no claim could state the platform, so no earlier claim ever matched)."""
    setting["call"] = make_call(directions=["30.1"])
    platform = {
        "platform_level": "national",
        "recognized_on": "2022-03-01",
        "content": "南宁市某国家重点实验室",
        "duplicate_enterprise_tech_center": False,
    }
    first = claim(setting, "30.1", platform)
    assert first.state == "claimed"
    app = make_application(
        call=setting["call"],
        org=setting["org"],
        user=setting["user"],
        direction="30.1",
        facts={**platform, "content": "南宁市某 国家重点实验室"},
    )
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=setting["user"], application=app, action="submit")
    assert e.value.code == "paid_once"
    other = claim(setting, "30.1", {**platform, "content": "另一个国家级工程技术研究中心"})
    assert other.state == "claimed"

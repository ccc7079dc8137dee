"""A quote and a submission of the same claim reach the same verdict.

项目23 方向1 (the R&D-investment award) may not be enjoyed together with a gazelle award, a
前资助 project or another 后补助 of the same year (rule 23.1:no_double_benefit). The quote
(`awards.services.claim_quote`) and the submission's check (`applications.services.
application_check`) both read the organisation's record in Yongke; here each is given the
same organisation in four situations and must agree.
"""

from __future__ import annotations

import pytest

from yongke.applications import services as apps
from yongke.awards import services
from yongke.core.errors import Refused
from yongke.testing import TEST, make_application, make_call, make_guide, make_org, make_person, review_by_panel

pytestmark = pytest.mark.django_db

RULE = "23.1:no_double_benefit"
R_AND_D = {"above_scale": True, "rd_in_statistics": True, "rd_expense_base": 5_000_000}
GAZELLE = {"gazelle_recognized": True, "gazelle_cultivated": False, "rd_self_funded_expense": 5_000_000}
STAR_SPACE = {"level": "national", "star_innovation_space_enterprise": True}


def _step(app, *actions, **kwargs):
    for action in actions:
        app, _ = apps.application_transition(actor=TEST, application=app, action=action, **kwargs)
    return app


def _nothing(org, call):
    return None


def _funded_prefunded_project(org, call):
    app = make_application(call=call, org=org, leader=make_person(org))
    app = _step(app, "submit", "recommend", "accept", "start_review")
    review_by_panel(app)
    app = _step(app, "fund", amount=500_000)
    assert app.state == "funded"
    return app


def _checked_claim(org, call, direction, facts):
    app = _step(make_application(call=call, org=org, direction=direction, facts=facts, requested_amount=0), "submit")
    app, _ = services.claim_check(actor=TEST, application=app)
    assert app.state == "checked"
    return app


def _checked_other_post_subsidy(org, call):
    return _checked_claim(org, call, "34.1", STAR_SPACE)


def _gazelle_award_claim(org, call):
    return _checked_claim(org, call, "23.2", GAZELLE)


SITUATIONS = {
    "nothing": _nothing,
    "funded_prefunded_project": _funded_prefunded_project,
    "checked_other_post_subsidy": _checked_other_post_subsidy,
    "gazelle_award_claim": _gazelle_award_claim,
}
EARLIER_SUPPORT = [name for name in SITUATIONS if name != "nothing"]


@pytest.fixture
def rd_claim():
    """Given a situation, an organisation in it and its draft 23.1 claim in the same guide year."""

    def _make(situation: str):
        make_guide()
        org = make_org()
        call = make_call(directions=["1.1", "23.1", "23.2", "34.1"])
        SITUATIONS[situation](org, call)
        return make_application(call=call, org=org, direction="23.1", facts=R_AND_D, requested_amount=0, title="研发投入奖补")

    return _make


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_quote_and_the_submission_check_reach_the_same_verdict(rd_claim, situation):
    claim = rd_claim(situation)
    assert services.claim_quote(claim)["eligible"] is (apps.application_check(claim)["verdict"] == "eligible")


def test_without_other_support_the_quote_is_eligible(rd_claim):
    assert services.claim_quote(rd_claim("nothing"))["eligible"] is True


def test_without_other_support_the_submission_check_is_eligible(rd_claim):
    assert apps.application_check(rd_claim("nothing"))["verdict"] == "eligible"


@pytest.mark.parametrize("situation", EARLIER_SUPPORT)
def test_after_other_support_the_quote_refuses_by_the_double_benefit_rule(rd_claim, situation):
    quote = services.claim_quote(rd_claim(situation))
    assert quote["eligible"] is False
    assert RULE in [r.get("rule") for r in quote["reasons"] if r["code"] == "excluded"]


@pytest.mark.parametrize("situation", EARLIER_SUPPORT)
def test_after_other_support_the_submission_check_fails_the_double_benefit_rule(rd_claim, situation):
    check = apps.application_check(rd_claim(situation))
    assert check["verdict"] == "not_eligible"
    assert RULE in check["failing"]


@pytest.mark.parametrize("situation", EARLIER_SUPPORT)
def test_after_other_support_submitting_the_claim_is_refused(rd_claim, situation):
    claim = rd_claim(situation)
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=TEST, application=claim, action="submit")
    assert e.value.code == "not_eligible"
    assert RULE in e.value.detail["failing"]


# Support received outside Yongke (a regional 瞪羚 award, say) is known only from what the
# organisation declares with its claim: the quote and the submission's check both read it.
@pytest.mark.parametrize("declared", ["received_gazelle_award", "has_prefunded_project", "has_other_post_subsidy"])
def test_support_declared_with_the_claim_is_refused_by_the_quote_as_by_the_submission(declared):
    make_guide()
    claim = make_application(
        call=make_call(directions=["23.1"]), org=make_org(), direction="23.1", facts={**R_AND_D, declared: True}, requested_amount=0
    )
    assert apps.application_check(claim)["verdict"] == "not_eligible"
    assert services.claim_quote(claim)["eligible"] is False

"""项目24 高新技术企业认定后补助: 10万 for a first recognition is paid once in an organisation's
life, and each recognition is rewarded once. An earlier 24.1 award contradicts a claim of 首次
(the guide's `found: false` history fact), and a second claim for the same recognition (this
guide year or the one before) is refused (the award's `once`) — in a quote, at submission, at
the officer's check."""

from __future__ import annotations

import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.awards import services
from yongke.awards.tests.test_claims import claims_setting
from yongke.core.errors import Refused
from yongke.testing import make_application

FIRST = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}
AGAIN = {**FIRST, "first_time": False}


def _codes(q) -> list[str]:
    return [r["code"] for r in q["reasons"]]


def test_a_first_recognition_is_paid_100000(quote):
    q = quote("24.1", FIRST, year=2022, history=[])
    assert (q["eligible"], q["amount"]) == (True, 100_000)


def test_a_first_recognition_already_rewarded_is_not_a_first_one(quote):
    q = quote("24.1", FIRST, year=2022, history=[{"direction": "24.1", "year": 2019, "amount": 100_000, "facts": {"first_time": True}}])
    assert (q["eligible"], q["amount"]) == (True, 50_000)
    note = next(r for r in q["reasons"] if r["code"] == "history_fact")
    assert note["fields"] == ["facts.first_time"]
    assert note["history"] == [0]
    assert "2019年" in note["message"]


def test_any_earlier_recognition_award_contradicts_a_first_recognition(quote):
    q = quote("24.1", FIRST, year=2022, history=[{"direction": "24.1", "year": 2018, "amount": 50_000}])
    assert q["amount"] == 50_000
    assert "history_fact" in _codes(q)


def test_an_unrelated_award_leaves_a_first_recognition_at_100000(quote):
    q = quote("24.1", FIRST, year=2022, history=[{"direction": "23.1", "year": 2021, "amount": 100_000}])
    assert q["amount"] == 100_000
    assert "history_fact" not in _codes(q)


def test_without_a_history_the_declared_first_recognition_stands(quote):
    q = quote("24.1", FIRST, year=2022)
    assert q["amount"] == 100_000


def test_not_stated_and_contradicted_it_is_50000_without_promising_more(quote):
    q = quote(
        "24.1",
        {"hte_certified": True, "above_scale": True, "rd_in_statistics": True},
        year=2022,
        history=[{"direction": "24.1", "year": 2017}],
    )
    assert q["amount"] == 50_000
    assert not any(r.get("amount_up_to") for r in q["reasons"])  # no "up to 10万 if verified"


@pytest.mark.parametrize("earlier", [2022, 2021])
def test_the_same_recognition_is_not_rewarded_twice(quote, earlier):
    q = quote("24.1", AGAIN, year=2022, history=[{"direction": "24.1", "year": earlier, "amount": 50_000}])
    assert (q["eligible"], q["amount"]) == (False, 0)
    refusal = next(r for r in q["reasons"] if r["code"] == "paid_once")
    assert "同一次高新技术企业认定的奖励" in refusal["message"]
    assert refusal["source"] == "对其他获认定的高新技术企业，给予5万元奖励"


def test_a_pending_claim_refuses_a_second_claim(quote):
    q = quote("24.1", AGAIN, year=2022, history=[{"direction": "24.1", "year": 2022, "pending": True}])
    assert "paid_once" in _codes(q)


def test_a_new_recognition_two_years_on_is_rewarded_again(quote):
    # A recognition is valid three years: the claims of two recognitions are at least two guide years apart.
    q = quote("24.1", AGAIN, year=2022, history=[{"direction": "24.1", "year": 2020, "amount": 100_000, "facts": {"first_time": True}}])
    assert (q["eligible"], q["amount"]) == (True, 50_000)


# --------------------------------------------------------------------------- in the lifecycle


@pytest.fixture
def setting(db):
    return claims_setting(directions=["24.1"], budgets={})


def _draft(setting, facts: dict, title: str) -> Application:
    return make_application(
        call=setting["call"], org=setting["org"], user=setting["user"], direction="24.1", facts=facts, title=title, requested_amount=0
    )


def test_a_second_claim_in_the_same_year_is_refused_at_submission(setting):
    first, _ = apps.application_transition(
        actor=setting["user"], application=_draft(setting, FIRST, "高新技术企业认定奖励"), action="submit"
    )
    second = _draft(setting, AGAIN, "高新技术企业重新认定奖励")
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=setting["user"], application=second, action="submit")
    assert e.value.code == "paid_once"
    assert f"申报 #{first.pk}" in e.value.message
    assert "同一次高新技术企业认定的奖励不能重复申领" in e.value.message
    second.refresh_from_db()
    assert second.state == "draft"


def test_the_officer_refuses_a_second_claim_that_predates_the_rule(setting):
    first, _ = apps.application_transition(
        actor=setting["user"], application=_draft(setting, FIRST, "高新技术企业认定奖励"), action="submit"
    )
    first, quote = services.claim_check(actor=setting["officer"], application=first)
    assert (first.state, first.decided_amount, quote["amount"]) == ("checked", 100_000, 100_000)
    twin = _draft(setting, FIRST, "高新技术企业首次认定奖励")
    Application.objects.filter(pk=twin.pk).update(state="claimed")  # data from an earlier system
    twin.refresh_from_db()
    twin, quote = services.claim_check(actor=setting["officer"], application=twin)
    assert twin.state == "refused"
    assert "paid_once" in _codes(quote)
    assert twin.decided_amount in (None, 0)

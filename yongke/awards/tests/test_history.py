"""Caps and exclusions across claims, from the organisation's history — each with its reason."""

from __future__ import annotations

import pytest

from yongke.core.errors import BadInput

RD = {"above_scale": True, "rd_in_statistics": True, "rd_expense_base": 5_000_000}
PLATFORM = {"platform_level": "region_eng_center", "recognized_on": "2022-03-01", "content": "智能制造装备关键技术"}


def codes(q) -> list[str]:
    return [r["code"] for r in q["reasons"]]


# ------------------------------------------------------------------ 28.1: 25万 per enterprise per year


PATENT_200K = {"premiums": [{"kind": "patent", "amount": 200_000}]}  # 140,000 on its own
INSURANCE_150K = [{"direction": "28.1", "year": 2022, "amount": 150_000}]


def test_insurance_earlier_claims_this_year_reduce_the_room(quote):
    q = quote("28.1", PATENT_200K, history=INSURANCE_150K)
    assert q["eligible"] is True
    assert q["amount"] == 100_000
    assert sum(s["amount"] for s in q["breakdown"]) == 100_000
    assert q["breakdown"][-1]["amount"] == -40_000
    assert q["breakdown"][-1]["source"] == "单个企业年最高补贴额不超过25万元"


def test_insurance_cap_reason_names_the_earlier_claim(quote):
    q = quote("28.1", PATENT_200K, history=INSURANCE_150K)
    cap = next(r for r in q["reasons"] if r["code"] == "annual_cap")
    assert cap["history"] == [0]
    assert "150000" in cap["message"]


INSURANCE_180K = [{"direction": "28.1", "year": 2022, "amount": 100_000}, {"direction": "28.1", "year": 2022, "amount": 80_000}]


def test_insurance_claims_reaching_the_cap_exactly_are_paid_in_full(quote):
    premiums = {"premiums": [{"kind": "patent", "amount": 100_000}]}  # 70,000
    assert quote("28.1", premiums, history=INSURANCE_180K)["amount"] == 70_000  # 180,000 + 70,000 = 250,000 exactly


def test_insurance_claims_one_yuan_over_the_cap_lose_that_yuan(quote):
    premiums = {"premiums": [{"kind": "patent", "amount": 100_000}]}  # 70,000
    history = [*INSURANCE_180K, {"direction": "28.1", "year": 2022, "amount": 1}]
    assert quote("28.1", premiums, history=history)["amount"] == 69_999


def test_insurance_cap_reached_refuses_with_its_reason(quote):
    q = quote("28.1", {"premiums": [{"kind": "patent", "amount": 1_000}]}, history=[{"direction": "28.1", "year": 2022, "amount": 250_000}])
    assert q["eligible"] is False
    assert q["amount"] == 0
    assert codes(q)[:2] == ["annual_cap", "annual_cap_reached"]


def test_other_years_and_other_directions_do_not_count(quote):
    history = [{"direction": "28.1", "year": 2021, "amount": 250_000}, {"direction": "27.1", "year": 2022, "amount": 100_000}]
    q = quote("28.1", {"premiums": [{"kind": "patent", "amount": 100_000}]}, history=history)
    assert q["amount"] == 70_000
    assert "annual_cap" not in codes(q)


# ------------------------------------------------------------------ 32.1: 100万 per agency per year


AGENCY_PAID_700K = [{"direction": "32.1", "year": 2022, "amount": 700_000}]


def test_transfer_agency_is_capped_at_the_room_left_in_the_year(quote):
    q = quote("32.1", {"transaction_volume": 50_000_000}, history=AGENCY_PAID_700K)
    assert q["amount"] == 300_000
    assert "annual_cap" in codes(q)


def test_transfer_agency_within_the_room_left_is_paid_in_full(quote):
    assert quote("32.1", {"transaction_volume": 20_000_000}, history=AGENCY_PAID_700K)["amount"] == 200_000


def test_transfer_agency_with_the_yearly_million_reached_is_refused(quote):
    history = [*AGENCY_PAID_700K, {"direction": "32.1", "year": 2022, "amount": 300_000}]
    assert quote("32.1", {"transaction_volume": 20_000_000}, history=history)["eligible"] is False


# ------------------------------------------------------------------ 27.1: per applicant per year


@pytest.mark.parametrize(
    ("kind", "paid", "cost", "expected"),
    [("sme", 60_000, 200_000, 40_000), ("team", 30_000, 100_000, 20_000), ("team", 10_000, 20_000, 10_000)],
)
def test_voucher_cap_per_applicant_per_year(quote, kind, paid, cost, expected):
    q = quote("27.1", {"applicant_kind": kind, "service_cost": cost}, history=[{"direction": "27.1", "year": 2022, "amount": paid}])
    assert q["amount"] == expected
    assert sum(s["amount"] for s in q["breakdown"]) == expected


def test_voucher_team_cap_reached(quote):
    q = quote("27.1", {"applicant_kind": "team", "service_cost": 10_000}, history=[{"direction": "27.1", "year": 2022, "amount": 50_000}])
    assert q["eligible"] is False
    assert "annual_cap_reached" in codes(q)


# ------------------------------------------------------------------ 30.1: paid once


def test_same_content_same_level_enterprise_tech_centre_is_excluded(quote):
    history = [{"kind": "enterprise_tech_center", "year": 2021, "level": "region", "content": "智能制造装备 关键技术"}]
    q = quote("30.1", PLATFORM, history=history)
    assert q["eligible"] is False
    (reason,) = [r for r in q["reasons"] if r["code"] == "excluded"]
    assert reason["rule"] == "30.1:no_duplicate"
    assert reason["history"] == [0]


@pytest.mark.parametrize(
    "centre",
    [
        {"kind": "enterprise_tech_center", "year": 2021, "level": "city", "content": "智能制造装备关键技术"},
        {"kind": "enterprise_tech_center", "year": 2021, "level": "region", "content": "新能源电池材料"},
    ],
)
def test_other_level_or_other_content_is_paid(quote, centre):
    q = quote("30.1", PLATFORM, history=[centre])
    assert q["eligible"] is True
    assert q["amount"] == 300_000
    assert "30.1:no_duplicate" not in [r.get("rule") for r in q["reasons"]]  # decided by the history


PAID_PLATFORM = [{"direction": "30.1", "year": 2022, "level": "region_eng_center", "content": "智能制造装备关键技术", "amount": 300_000}]


def test_platform_already_paid_is_not_paid_again(quote):
    q = quote("30.1", PLATFORM, history=PAID_PLATFORM)
    assert q["eligible"] is False
    assert codes(q)[0] == "paid_once"


def test_platform_upgraded_to_another_level_is_paid(quote):
    upgraded = quote("30.1", {**PLATFORM, "platform_level": "region_key_lab"}, history=PAID_PLATFORM)
    assert upgraded["eligible"] is True
    assert upgraded["amount"] == 500_000


def test_a_platform_claim_must_name_the_platform(quote):
    """One-time per platform (一次性后补助): a claim that names no platform cannot be told apart
    from one already paid, so the quote asks for it, naming the field."""
    with pytest.raises(BadInput) as e:
        quote("30.1", {k: v for k, v in PLATFORM.items() if k != "content"})
    assert e.value.detail["field"] == "facts.content"


def test_without_history_the_duplicate_is_to_verify(quote):
    q = quote("30.1", PLATFORM)
    assert [r["rule"] for r in q["reasons"] if r["code"] == "to_verify"] == ["30.1:no_duplicate"]


# ------------------------------------------------------------------ 23.1: no double benefit


@pytest.mark.parametrize(
    "entry",
    [
        {"direction": "23.2", "year": 2022, "amount": 300_000},
        {"kind": "gazelle", "year": 2022},
        {"kind": "prefunded", "year": 2022},
        {"direction": "1.1", "year": 2022, "amount": 2_000_000},
        {"direction": "24.1", "year": 2022, "amount": 100_000},
        {"kind": "post_subsidy", "year": 2022},
    ],
)
def test_rd_award_excludes_gazelle_prefunded_and_other_post_subsidies(quote, entry):
    q = quote("23.1", RD, history=[entry])
    assert q["eligible"] is False
    assert q["amount"] == 0
    (reason,) = q["reasons"]
    assert reason["code"] == "excluded"
    assert reason["rule"] == "23.1:no_double_benefit"
    assert reason["source"] == "企业研发奖补不能与瞪羚企业奖补、科技项目（前资助）、后补助项目等重复享受"
    assert "history[0]" in reason["message"]


def test_rd_award_with_a_clean_history_is_decided(quote):
    q = quote("23.1", RD, history=[{"direction": "23.2", "year": 2021, "amount": 300_000}])
    assert q["eligible"] is True
    assert q["amount"] == 500_000
    assert [r["code"] for r in q["reasons"]] == ["assumed_parameter"]  # the award rate is an assumed figure, nothing else is open


def test_rd_award_without_history_leaves_the_exclusions_to_the_officer(quote):
    q = quote("23.1", RD)
    assert q["eligible"] is True
    assert [r["rule"] for r in q["reasons"] if r["code"] != "assumed_parameter"] == ["23.1:no_double_benefit"]


GAZELLE = {"gazelle_recognized": True, "gazelle_cultivated": False, "rd_self_funded_expense": 1_000_000}


def test_gazelle_award_after_the_rd_award_is_refused_too(quote):
    """不能重复享受 binds both ways: a 23.1 grant refuses 23.2 as a 23.2 grant refuses 23.1."""
    q = quote("23.2", GAZELLE, history=[{"direction": "23.1", "year": 2022, "amount": 100_000}])
    assert q["eligible"] is False
    assert q["amount"] == 0
    (reason,) = q["reasons"]
    assert (reason["code"], reason["rule"]) == ("excluded", "23.2:no_double_benefit")
    assert reason["source"] == "企业研发奖补不能与瞪羚企业奖补、科技项目（前资助）、后补助项目等重复享受"


def test_gazelle_award_after_an_rd_award_of_another_year_is_decided(quote):
    q = quote("23.2", GAZELLE, history=[{"direction": "23.1", "year": 2021, "amount": 100_000}])
    assert q["eligible"] is True
    assert q["amount"] == 100_000


# ------------------------------------------------------------------ the shape of the history


@pytest.mark.parametrize(
    ("history", "field"),
    [
        ([{"direction": "28.1", "year": 2022, "amount": -1}], "history[0].amount"),
        ([{"direction": "28.1", "amount": 1}], "history[0].year"),
        ([{"direction": "99.9", "year": 2022}], "history[0].direction"),
        ([{"kind": "lottery", "year": 2022}], "history[0].kind"),
        ([{"kind": "enterprise_tech_center", "year": 2022, "level": "province"}], "history[0].level"),
        ([{"direction": "28.1", "year": "2022"}], "history[0].year"),
        ([{"direction": "28.1", "year": 2022, "paid": True}], "history[0].paid"),
        ({"direction": "28.1"}, "history"),
    ],
)
def test_bad_history_names_the_field(quote, history, field):
    with pytest.raises(BadInput) as e:
        quote("28.1", {"premiums": []}, history=history)
    assert e.value.detail["field"] == field

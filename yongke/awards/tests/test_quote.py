"""Quotes: every formula at and around its thresholds, with a breakdown that adds up and cites the guide."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yongke.core.errors import BadInput

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Facts per direction enough on their own for a positive quote.
MINIMAL = {
    "23.1": {"above_scale": True, "rd_in_statistics": True, "rd_expense_base": 5_000_000},
    "23.2": {"gazelle_recognized": True, "gazelle_cultivated": False, "rd_self_funded_expense": 5_000_000},
    "24.1": {"hte_certified": True, "first_time": True, "above_scale": True, "rd_in_statistics": True},
    "25.1": {"group": "growth", "prize": 1},
    "26.1": {"points": 72, "region_award_received": True},
    "27.1": {"applicant_kind": "sme", "service_cost": 150_000},
    "28.1": {"premiums": [{"kind": "patent", "amount": 100_000}]},
    "30.1": {"platform_level": "national", "recognized_on": "2022-01-01", "content": "某重点实验室"},
    "30.2": {"key_industry": True, "lab_animal_licence_new": True},
    "32.1": {"transaction_volume": 50_000_000},
    "32.2": {"branch_recognized": True},
    "33.1": {"carrier": "incubator", "level": "national", "public_funded": False},
    "33.2": {"carrier": "incubator", "level": "national", "rating": "excellent"},
    "34.1": {"level": "national"},
    "35.1": {"county_research_award_received": True},
}


def amount(q) -> int:
    assert sum(s["amount"] for s in q["breakdown"]) == q["amount"]
    return q["amount"]


@pytest.mark.parametrize("direction", sorted(MINIMAL))
def test_the_minimal_facts_alone_give_a_positive_quote(quote, compiled, direction):
    q = quote(direction, MINIMAL[direction])
    assert q["eligible"] is True
    assert q["amount"] > 0
    assert set(q) == {"direction", "eligible", "amount", "breakdown", "reasons"}
    for step in q["breakdown"]:
        assert set(step) == {"step", "amount", "source"}
        assert step["source"] in compiled.guide.text  # verbatim
    assert sum(s["amount"] for s in q["breakdown"]) == q["amount"]


def test_facts_not_given_are_listed_for_the_officer(quote):
    q = quote("26.1", {"points": 75, "region_award_received": True})
    verify = [r for r in q["reasons"] if r["code"] == "to_verify"]
    assert [r["rule"] for r in verify] == ["26.1:employer"]
    assert verify[0]["fields"] == ["facts.registered_in_nanning"]


def test_a_gating_fact_given_and_false_refuses(quote):
    q = quote("26.1", {"points": 75, "region_award_received": True, "registered_in_nanning": False})
    assert q["eligible"] is False
    assert q["amount"] == 0
    assert q["breakdown"] == []
    assert q["reasons"][0]["code"] == "rule_failed"
    assert q["reasons"][0]["rule"] == "26.1:employer"


def test_a_required_fact_not_given_is_bad_input_naming_it(quote):
    with pytest.raises(BadInput) as e:
        quote("26.1", {"region_award_received": True})
    assert e.value.detail["field"] == "facts.points"


# ------------------------------------------------------------------ 26.1 points


@pytest.mark.parametrize(
    ("points", "expected"), [(0, 0), (71, 0), (72, 200_000), (73, 200_000), (79, 200_000), (80, 300_000), (81, 300_000), (120, 300_000)]
)
def test_points_thresholds(quote, points, expected):
    q = quote("26.1", {"points": points, "region_award_received": True})
    assert q["eligible"] is (expected > 0)
    assert amount(q) == expected


@pytest.mark.parametrize(("points", "band"), [(79, "计点积分为72分-79分的"), (80, "计点积分达到80分以上的")])
def test_points_cite_the_band_they_fall_in(quote, points, band):
    assert quote("26.1", {"points": points, "region_award_received": True})["breakdown"][0]["source"].startswith(band)


def test_71_points_fails_the_points_rule(quote):
    q = quote("26.1", {"points": 71, "region_award_received": True})
    assert [r["rule"] for r in q["reasons"] if r["code"] == "rule_failed"] == ["26.1:points"]


def test_no_regional_award_no_city_award(quote):
    assert quote("26.1", {"points": 90, "region_award_received": False})["eligible"] is False


# ------------------------------------------------------------------ 30.1 new platforms


@pytest.mark.parametrize(("day", "eligible"), [("2021-12-31", False), ("2022-01-01", True), ("2022-01-02", True), ("2020-06-30", False)])
def test_recognised_from_2022_is_new(quote, day, eligible):
    q = quote("30.1", {"platform_level": "city_eng_center", "recognized_on": day, "content": "某工程技术研究中心"})
    assert q["eligible"] is eligible
    assert q["amount"] == (100_000 if eligible else 0)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("national", 2_000_000), ("region_key_lab", 500_000), ("region_eng_center", 300_000), ("city_eng_center", 100_000)],
)
def test_platform_amount_by_level(quote, level, expected):
    q = quote("30.1", {"platform_level": level, "recognized_on": "2022-05-01", "content": "某平台"})
    assert amount(q) == expected
    assert len(q["breakdown"]) == 1


# ------------------------------------------------------------------ 32.1 1% of the volume, capped


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (1, 0),
        (99, 0),
        (100, 1),
        (50_000_000, 500_000),
        (99_999_999, 999_999),
        (100_000_000, 1_000_000),
        (100_000_099, 1_000_000),
        (100_000_100, 1_000_000),
        (900_000_000, 1_000_000),
    ],
)
def test_one_percent_of_the_volume_up_to_a_million(quote, volume, expected):
    q = quote("32.1", {"transaction_volume": volume})
    assert amount(q) == expected


def test_the_cap_is_a_step_of_its_own(quote):
    q = quote("32.1", {"transaction_volume": 150_000_000})
    assert [s["amount"] for s in q["breakdown"]] == [1_500_000, -500_000]
    assert q["breakdown"][1]["source"] == "单个机构每年最高补助金额不超过100万元"


def test_no_transactions_no_award(quote):
    assert quote("32.1", {"transaction_volume": 0})["eligible"] is False


@SETTINGS
@given(volume=st.integers(0, 10**12))
def test_volume_formula_everywhere(quote, volume):
    q = quote("32.1", {"transaction_volume": volume})
    assert amount(q) == (min(volume // 100, 1_000_000) if volume > 0 else 0)


# ------------------------------------------------------------------ 24.1 high-tech enterprises


@pytest.mark.parametrize(
    ("above", "first", "stats", "expected"),
    [
        (True, True, True, 100_000),
        (True, False, True, 50_000),
        (False, True, True, 50_000),
        (True, True, False, 50_000),
        (False, False, False, 50_000),
    ],
)
def test_high_tech_award(quote, above, first, stats, expected):
    q = quote("24.1", {"hte_certified": True, "above_scale": above, "first_time": first, "rd_in_statistics": stats})
    assert amount(q) == expected


def test_not_certified_no_award(quote):
    q = quote("24.1", {"hte_certified": False, "above_scale": True, "first_time": True, "rd_in_statistics": True})
    assert q["eligible"] is False
    assert q["amount"] == 0


# ------------------------------------------------------------------ 25.1 contest prizes


@pytest.mark.parametrize(
    ("group", "prize", "expected"),
    [
        ("startup", 1, 60_000),
        ("startup", 2, 40_000),
        ("startup", 3, 20_000),
        ("growth", 1, 160_000),
        ("growth", 2, 100_000),
        ("growth", 3, 40_000),
    ],
)
def test_contest_prizes(quote, group, prize, expected):
    q = quote("25.1", {"group": group, "prize": prize})
    assert amount(q) == expected
    assert ("初创企业组" if group == "startup" else "成长企业组") in q["breakdown"][0]["step"]


@pytest.mark.parametrize("prize", [0, 4])
def test_no_prize_no_award(quote, prize):
    assert quote("25.1", {"group": "growth", "prize": prize})["eligible"] is False


def test_a_title_in_the_required_format_is_accepted(quote):
    ok = "智能巡检机器人研发（第七届南宁市创新创业大赛获奖企业后补助）"
    assert quote("25.1", {"group": "growth", "prize": 1, "title": ok})["eligible"] is True


def test_a_title_not_given_is_left_to_the_officer(quote):
    q = quote("25.1", {"group": "growth", "prize": 1})
    assert q["eligible"] is True
    assert "25.1:title" in [r["rule"] for r in q["reasons"] if r["code"] == "to_verify"]


@pytest.mark.parametrize(
    "bad", ["智能巡检机器人研发", "智能巡检机器人研发(第七届南宁市创新创业大赛获奖企业后补助)"], ids=["no_suffix", "ascii_brackets"]
)
def test_a_title_in_another_format_is_refused_by_the_title_rule(quote, bad):
    q = quote("25.1", {"group": "growth", "prize": 1, "title": bad})
    assert q["eligible"] is False
    assert q["reasons"][0]["rule"] == "25.1:title"


# ------------------------------------------------------------------ 27.1 vouchers


@pytest.mark.parametrize(
    ("kind", "cost", "expected"),
    [
        ("sme", 1, 0),
        ("sme", 150_000, 75_000),
        ("sme", 199_999, 99_999),
        ("sme", 200_000, 100_000),
        ("sme", 200_002, 100_000),
        ("sme", 300_000, 100_000),
        ("team", 99_999, 49_999),
        ("team", 100_000, 50_000),
        ("team", 100_002, 50_000),
        ("team", 120_000, 50_000),
    ],
)
def test_voucher_half_the_cost_up_to_the_cap(quote, kind, cost, expected):
    q = quote("27.1", {"applicant_kind": kind, "service_cost": cost})
    assert q["eligible"] is (expected > 0)  # half of 1 yuan, floored, is 0: nothing to pay (`zero_amount`)
    assert amount(q) == expected


def test_voucher_other_applicants_refused(quote):
    assert quote("27.1", {"applicant_kind": "other", "service_cost": 100_000})["eligible"] is False


# ------------------------------------------------------------------ 28.1 insurance


RATES = {
    "patent": 70,
    "rd_liability": 70,
    "key_rd_equipment": 70,
    "business_interruption": 60,
    "product_liability": 60,
    "product_quality": 60,
    "microloan_guarantee": 60,
    "employer_liability": 30,
    "environmental_liability": 30,
    "property": 30,
    "project_investment_loss": 30,
}


def test_each_kind_times_its_rate(quote):
    q = quote(
        "28.1",
        {
            "premiums": [
                {"kind": "patent", "amount": 100_000},
                {"kind": "property", "amount": 100_000},
                {"kind": "product_liability", "amount": 1_001},
            ]
        },
    )
    assert [s["amount"] for s in q["breakdown"]] == [70_000, 600, 30_000]
    assert "专利类保险" in q["breakdown"][0]["step"]
    assert "70%" in q["breakdown"][0]["step"]
    assert amount(q) == 100_600


def test_insurance_is_capped_at_250_thousand(quote):
    q = quote("28.1", {"premiums": [{"kind": k, "amount": 100_000} for k in RATES]})
    assert amount(q) == 250_000
    assert q["breakdown"][-1]["source"] == "单个企业年最高补贴额不超过25万元"


def test_several_policies_of_a_kind_add_up(quote):
    q = quote("28.1", {"premiums": [{"kind": "patent", "amount": 50_000}, {"kind": "patent", "amount": 50_000}]})
    assert amount(q) == 70_000


def test_no_premium_no_subsidy(quote):
    assert quote("28.1", {"premiums": []})["eligible"] is False


@SETTINGS
@given(premiums=st.dictionaries(st.sampled_from(sorted(RATES)), st.integers(0, 200_000), min_size=1))
def test_insurance_formula_everywhere(quote, premiums):
    q = quote("28.1", {"premiums": [{"kind": k, "amount": v} for k, v in premiums.items()]})
    expected = min(sum(v * RATES[k] // 100 for k, v in premiums.items()), 250_000)
    assert q["eligible"] is (sum(premiums.values()) > 0 and expected > 0)
    if q["eligible"]:
        assert amount(q) == expected
    elif sum(premiums.values()) > 0:
        assert q["reasons"][0]["code"] == "zero_amount"  # premiums so small the subsidy floors to 0 yuan


# ------------------------------------------------------------------ 33, 34, 35, 30.2, 32.2, 23


@pytest.mark.parametrize(
    ("carrier", "level", "expected"),
    [
        ("incubator", "national", 2_000_000),
        ("incubator", "region", 1_000_000),
        ("incubator", "city", 500_000),
        ("maker_space", "national", 200_000),
        ("maker_space", "region", 150_000),
        ("maker_space", "city", 100_000),
    ],
)
def test_incubation_platform_recognition(quote, carrier, level, expected):
    q = quote("33.1", {"carrier": carrier, "level": level, "public_funded": False})
    assert amount(q) == expected
    if carrier == "maker_space":
        assert "33.1:maker_space_filed" in [r["rule"] for r in q["reasons"] if r["code"] == "to_verify"]


@pytest.mark.parametrize("carrier", ["incubator", "maker_space"])
def test_publicly_funded_platforms_are_excluded(quote, carrier):
    assert quote("33.1", {"carrier": carrier, "level": "city", "public_funded": True})["eligible"] is False


@pytest.mark.parametrize(
    ("carrier", "level", "expected"),
    [
        ("incubator", "national", 400_000),
        ("incubator", "region", 200_000),
        ("incubator", "city", 100_000),
        ("maker_space", "national", 100_000),
        ("maker_space", "region", 80_000),
        ("maker_space", "city", 50_000),
    ],
)
def test_excellent_rating_award(quote, carrier, level, expected):
    assert amount(quote("33.2", {"carrier": carrier, "level": level, "rating": "excellent"})) == expected


@pytest.mark.parametrize("rating", ["good", "pass", "fail"])
def test_only_excellent_is_rewarded(quote, rating):
    q = quote("33.2", {"carrier": "incubator", "level": "national", "rating": rating})
    assert q["eligible"] is False
    assert q["amount"] == 0


@pytest.mark.parametrize(("level", "expected"), [("national", 200_000), ("region", 150_000), ("city", 0)])
def test_star_space(quote, level, expected):
    q = quote("34.1", {"level": level})
    assert q["eligible"] is (expected > 0)
    assert q["amount"] == expected


def test_innovative_county_award(quote):
    assert amount(quote("35.1", {"county_research_award_received": True})) == 300_000


def test_innovative_county_gates_not_given_are_left_to_the_officer(quote):
    q = quote("35.1", {"county_research_award_received": True})
    assert {r["rule"] for r in q["reasons"]} == {"35.1:county_recognized", "35.1:work_system"}


def test_no_regional_award_no_innovative_county_award(quote):
    assert quote("35.1", {"county_research_award_received": False})["eligible"] is False


def test_lab_animal_award_uses_the_assumed_parameter(quote, compiled):
    assert compiled.guide.parameters["lab_animal_award"].assumed
    assert amount(quote("30.2", {"key_industry": True, "lab_animal_licence_new": True})) == compiled.parameters["lab_animal_award"]


def test_branch_award(quote):
    assert amount(quote("32.2", {"branch_recognized": True})) == 200_000


def test_no_recognised_branch_no_branch_award(quote):
    assert quote("32.2", {"branch_recognized": False})["eligible"] is False


def test_rd_award_uses_the_assumed_rate(quote):
    q = quote("23.1", {"above_scale": True, "rd_in_statistics": True, "rd_expense_base": 1_234_567})
    assert amount(q) == 123_456
    assert "10%" in q["breakdown"][0]["step"]


@pytest.mark.parametrize(
    ("recognized", "cultivated", "funds", "expected"),
    [
        (True, False, 5_000_000, 500_000),
        (False, True, 5_000_000, 300_000),
        (True, True, 5_000_000, 500_000),
        (True, False, 200_000_000, 1_000_000),
    ],
)
def test_gazelle_rd_award(quote, recognized, cultivated, funds, expected):
    q = quote("23.2", {"gazelle_recognized": recognized, "gazelle_cultivated": cultivated, "rd_self_funded_expense": funds})
    assert amount(q) == expected


# ------------------------------------------------------------------ every direction, any facts


@SETTINGS
@given(data=st.data())
def test_breakdown_always_adds_up_to_the_rule_engine_amount(quote, compiled, data):
    direction = data.draw(st.sampled_from(sorted(MINIMAL)))
    facts = dict(MINIMAL[direction])
    for name, value in list(facts.items()):
        fact = compiled.guide.facts.get(name)
        if fact is None:
            continue
        if fact.type == "bool":
            facts[name] = data.draw(st.booleans())
        elif fact.type == "enum":
            facts[name] = data.draw(st.sampled_from(fact.values))
        elif fact.type in ("int", "money"):
            facts[name] = data.draw(st.integers(0, 3 * value + 100))
    q = quote(direction, facts)
    answer = compiled.check(direction, {k: v for k, v in facts.items() if k != "premiums"} if direction != "28.1" else {})
    if direction != "28.1" and q["eligible"]:
        rule_amount = next(r["amount"] for r in answer["rules"] if r["kind"] == "award")
        assert q["amount"] == rule_amount
    assert sum(s["amount"] for s in q["breakdown"]) == q["amount"]


def _assumed(q) -> list[dict]:
    return [r for r in q["reasons"] if r["code"] == "assumed_parameter"]


def test_a_quote_resting_on_an_assumed_rate_says_so_in_the_step_and_the_reasons(quote, compiled):
    q = quote("28.1", MINIMAL["28.1"])
    assert q["breakdown"][0]["step"].endswith("（待定参数）")
    reason = _assumed(q)
    assert [r["parameter"] for r in reason] == ["insurance_rate_patent_pct"]
    assert reason[0]["value"] == compiled.guide.parameters["insurance_rate_patent_pct"].value
    assert "待定参数" in reason[0]["message"]


def test_a_quote_on_the_guides_own_figures_carries_no_assumption(quote):
    q = quote("32.1", MINIMAL["32.1"])
    assert _assumed(q) == []
    assert all("待定参数" not in s["step"] for s in q["breakdown"])


@pytest.mark.parametrize("direction", sorted(MINIMAL))
def test_every_assumed_parameter_a_shown_step_reads_is_a_reason(quote, compiled, direction):
    from yongke.guide.engine import referenced_names

    q = quote(direction, MINIMAL[direction])
    marked = [s for s in q["breakdown"] if s["step"].endswith("（待定参数）")]
    assert bool(marked) == bool(_assumed(q))
    for r in _assumed(q):
        assert compiled.guide.parameters[r["parameter"]].assumed
    award = compiled.award_rule(direction).rule
    exprs = [award.expr, *(t.expr for t in award.terms), *(lim.expr for lim in award.limits)]
    read_assumed = {
        n for e in exprs if e for n in referenced_names(e) if n in compiled.guide.parameters and compiled.guide.parameters[n].assumed
    }
    assert {r["parameter"] for r in _assumed(q)} <= read_assumed


@pytest.mark.parametrize(
    ("direction", "facts"),
    [
        ("27.1", {"applicant_kind": "sme", "service_cost": 1}),
        ("32.1", {"tech_transfer_agency_in_nanning": True, "transaction_volume": 50}),
    ],
)
def test_a_formula_coming_to_0_yuan_is_no_award(quote, direction, facts):
    q = quote(direction, facts)
    assert (q["eligible"], q["amount"]) == (False, 0)
    assert q["reasons"][0]["code"] == "zero_amount"
    assert amount(q) == 0
    assert q["breakdown"]  # the steps stay, to show why


def test_a_claim_whose_formula_comes_to_0_yuan_is_not_checked(db):
    from yongke.applications import services as apps
    from yongke.applications.models import Application
    from yongke.awards import services
    from yongke.testing import make_application, make_call, make_guide, make_org, make_user

    make_guide()
    org = make_org()
    user, officer = make_user("applicant", organisation=org), make_user("officer", programme="*")
    app = make_application(
        call=make_call(directions=["32.1"]),
        org=org,
        user=user,
        direction="32.1",
        facts={"tech_transfer_agency_in_nanning": True, "transaction_volume": 50},
        title="技术转移服务后补助",
        requested_amount=0,
    )
    app, _ = apps.application_transition(actor=user, application=app, action="submit")
    app, _ = services.claim_check(actor=officer, application=app)
    assert app.state == "refused"
    assert Application.objects.get(pk=app.pk).decided_amount in (None, 0)

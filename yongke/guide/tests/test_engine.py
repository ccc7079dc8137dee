"""The rule engine: verdicts, boundaries, alternatives, missing facts, and the column engine."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yongke.core.errors import BadInput
from yongke.guide.columnar import VERDICT_CODES, ColumnarGuide
from yongke.guide.engine import referenced_names

MAJOR_OK = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}


def results(answer):
    return {r["id"]: r["result"] for r in answer["rules"]}


def test_three_patent_applications_pass(compiled):
    assert compiled.check("1.1", MAJOR_OK)["verdict"] == "eligible"


def test_two_patent_applications_fail_at_the_boundary(compiled):
    facts = {**MAJOR_OK, "kpi_invention_patent_applications": 2, "kpi_ip_grants": 5, "leading_enterprise": False}
    answer = compiled.check("1.1", facts)
    assert answer["verdict"] == "not_eligible"
    assert answer["failing"] == ["1:ip"]


def test_new_revenue_of_50_million_passes_and_one_yuan_less_fails(compiled):
    assert results(compiled.check("1.2", MAJOR_OK))["1:revenue"] == "pass"
    answer = compiled.check("1.2", {**MAJOR_OK, "kpi_new_revenue": 49_999_999})
    assert answer["verdict"] == "not_eligible"
    assert results(answer)["1:revenue"] == "fail"


def test_an_alternative_passes_even_when_the_others_are_not_given(compiled):
    answer = compiled.check("1.1", {"kpi_ip_grants": 6, "kpi_new_revenue": 50_000_000})
    assert answer["verdict"] == "eligible"


def test_leading_enterprise_platform_is_an_alternative(compiled):
    facts = {
        "kpi_invention_patent_applications": 0,
        "kpi_ip_grants": 0,
        "leading_enterprise": True,
        "kpi_region_platform": True,
        "kpi_new_revenue": 50_000_000,
    }
    assert compiled.check("2.1", facts)["verdict"] == "eligible"


def test_project_7_has_no_leading_enterprise_alternative(compiled):
    facts = {
        "kpi_invention_patent_applications": 0,
        "kpi_utility_model_ip_grants": 0,
        "leading_enterprise": True,
        "kpi_region_platform": True,
        "kpi_new_revenue": 50_000_000,
    }
    answer = compiled.check("7.1", facts)
    assert answer["verdict"] == "not_eligible"
    assert len(answer["failing"]) == 1


def test_a_fact_not_given_makes_the_verdict_incomplete_and_names_it(compiled):
    answer = compiled.check("1.1", {"kpi_invention_patent_applications": 3})
    assert answer["verdict"] == "incomplete"
    assert answer["missing_facts"] == ["kpi_new_revenue"]


def test_document_and_officer_rules_are_manual(compiled):
    for d in compiled.guide.directions:
        answer = compiled.check(d.id, {})
        for r in answer["rules"]:
            if r["kind"] in ("document", "officer"):
                assert r["result"] == "manual"


def test_priority_never_gates(compiled):
    d = compiled.guide.direction("14.1")
    assert any(r.kind == "priority" for r in d.rules)
    ok = next(c for c in d.cases if c.verdict == "eligible")
    answer = compiled.check("14.1", ok.facts)
    assert answer["verdict"] == "eligible"
    assert all(r["kind"] != "priority" for r in answer["rules"] if r["id"] in answer["failing"])


def test_self_raised_funds_must_be_twice_the_request_in_17_5(compiled):
    rule = next(r for r in compiled.guide.direction("17.5").rules if "self_raised_amount" in (r.expr or ""))
    base = next(c for c in compiled.guide.direction("17.5").cases if c.verdict == "eligible").facts
    ok = compiled.check("17.5", {**base, "requested_amount": 500_000, "self_raised_amount": 1_000_000})
    short = compiled.check("17.5", {**base, "requested_amount": 500_000, "self_raised_amount": 999_999})
    assert results(ok)[rule.id] == "pass"
    assert results(short)[rule.id] == "fail"


def test_agri_park_project_caps_the_request_at_two_million(compiled):
    rule = next(r for r in compiled.guide.direction("11.1").rules if r.kind == "limit" and "requested_amount" in (r.expr or ""))
    base = next(c for c in compiled.guide.direction("11.1").cases if c.verdict == "eligible").facts
    assert results(compiled.check("11.1", {**base, "requested_amount": 2_000_000}))[rule.id] == "pass"
    assert results(compiled.check("11.1", {**base, "requested_amount": 2_000_001}))[rule.id] == "fail"


def test_medical_devices_only_class_two_or_three(compiled):
    d = compiled.guide.direction("8.3")
    rule = next(
        r
        for r in d.rules
        if r.kind == "eligibility"
        and any(compiled.guide.facts[n].type == "enum" for n in referenced_names(r.expr or "true") if n in compiled.guide.facts)
    )
    (name,) = [n for n in referenced_names(rule.expr) if compiled.guide.facts[n].type == "enum"]
    values = compiled.guide.facts[name].values
    passing = {v for v in values if results(compiled.check("8.3", {name: v}))[rule.id] == "pass"}
    assert len(passing) == 2
    assert len(values) >= 3


def test_award_amount_is_reported_for_formula_directions(compiled):
    d = compiled.guide.direction("32.1")
    base = next(c for c in d.cases if c.verdict == "eligible").facts
    amounts = {}
    for volume in (50_000_000, 100_000_000, 100_000_100, 900_000_000):
        answer = compiled.check("32.1", {**base, "transaction_volume": volume})
        amounts[volume] = next(r for r in answer["rules"] if r["kind"] == "award")["amount"]
    assert amounts == {50_000_000: 500_000, 100_000_000: 1_000_000, 100_000_100: 1_000_000, 900_000_000: 1_000_000}


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"kpi_invention_patent_applications": "three"}, "facts.kpi_invention_patent_applications"),
        ({"kpi_new_revenue": -1}, "facts.kpi_new_revenue"),
        ({"kpi_new_revenue": 1.5}, "facts.kpi_new_revenue"),
        ({"leading_enterprise": "yes"}, "facts.leading_enterprise"),
        ({"no_such_fact": 1}, "facts.no_such_fact"),
    ],
)
def test_bad_facts_are_refused_naming_the_field(compiled, facts, field):
    with pytest.raises(BadInput) as e:
        compiled.check("1.1", facts)
    assert e.value.detail["field"] == field
    assert field in e.value.message


def test_unknown_direction_is_refused(compiled):
    with pytest.raises(BadInput) as e:
        compiled.check("99.1", {})
    assert e.value.code == "unknown_direction"


# ---------------------------------------------------------------- thresholds with hypothesis

_THRESHOLD = re.compile(r"^([a-z_][a-z0-9_]*) >= ([0-9]+)$")
_RANGE = re.compile(r"^([a-z_][a-z0-9_]*) >= ([0-9]+) && \1 <= ([0-9]+)$")


def _simple_rules(guide, pattern):
    out = []
    for d in guide.directions:
        for r in d.rules:
            m = pattern.match(r.expr or "")
            if r.gating and m and guide.facts[m.group(1)].type in ("int", "money"):
                out.append((d.id, r, m))
    return out


def test_the_guide_has_thresholds_and_ranges(guide):
    assert len(_simple_rules(guide, _THRESHOLD)) >= 30
    assert len(_simple_rules(guide, _RANGE)) >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_simple_threshold_passes_exactly_from_its_figure(compiled, data):
    rules = _simple_rules(compiled.guide, _THRESHOLD)
    direction_id, rule, m = data.draw(st.sampled_from(rules))
    limit = int(m.group(2))
    value = data.draw(st.one_of(st.sampled_from([max(limit - 1, 0), limit, limit + 1]), st.integers(0, 10 * limit + 10)))
    got = results(compiled.check(direction_id, {m.group(1): value}))[rule.id]
    assert got == ("pass" if value >= limit else "fail")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_range_holds_at_both_ends(compiled, data):
    rules = _simple_rules(compiled.guide, _RANGE)
    direction_id, rule, m = data.draw(st.sampled_from(rules))
    lo, hi = int(m.group(2)), int(m.group(3))
    value = data.draw(st.one_of(st.sampled_from([lo - 1, lo, hi, hi + 1]), st.integers(0, 2 * hi)))
    got = results(compiled.check(direction_id, {m.group(1): value}))[rule.id]
    assert got == ("pass" if lo <= value <= hi else "fail")


# ---------------------------------------------------------------- row engine == column engine

_NUMBER = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)(?![\w.])")
_DATE = re.compile(r'"([0-9]{4}-[0-9]{2}-[0-9]{2})"')


def _value_pool(guide, name):
    """Values for a fact that sit on and around every figure the rules compare it with."""
    fact = guide.facts[name]
    if fact.type == "bool":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    exprs = [r.expr for r in guide.rules if r.expr and name in referenced_names(r.expr)]
    if fact.type == "date":
        days = {m for e in exprs for m in _DATE.findall(e)} or {"2022-01-01"}
        import datetime as dt

        out = []
        for day in days:
            d = dt.date.fromisoformat(day)
            out += [(d + dt.timedelta(days=k)).isoformat() for k in (-1, 0, 1)]
        return out
    if fact.type == "string":
        return [
            "",
            "普通项目名称",
            "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）",
            "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",
        ]
    figures = {float(x) for e in exprs for x in _NUMBER.findall(e)}
    pool = {0}
    for f in figures:
        for k in (f - 1, f, f + 1, 2 * f, f / 2):
            if k >= 0:
                pool.add(k)
    if fact.type in ("int", "money"):
        return sorted({int(x) for x in pool})
    return sorted(pool)


def _random_rows(guide, direction, n, rng):
    names = sorted({x for r in direction.rules if r.expr for x in referenced_names(r.expr) if x in guide.facts})
    pools = {x: _value_pool(guide, x) for x in names}
    rows = []
    for _ in range(n):
        row = {}
        for x in names:
            if rng.random() < 0.85:
                row[x] = rng.choice(pools[x])
        rows.append(row)
    return rows


def test_column_engine_agrees_with_row_engine_on_every_direction(compiled):
    rng = random.Random(20221)
    columnar = ColumnarGuide(compiled)
    for d in compiled.guide.directions:
        rows = _random_rows(compiled.guide, d, 300, rng) + [c.facts for c in d.cases]
        expected = [compiled.check(d.id, row)["verdict"] for row in rows]
        frame = pl.DataFrame(rows, infer_schema_length=None) if any(rows) else pl.DataFrame({"_": [0] * len(rows)})
        got = [VERDICT_CODES[c] for c in columnar.screen(frame, [d.id])[d.id].to_list()]
        assert got == expected, d.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_column_engine_agrees_with_row_engine_hypothesis(compiled, data):
    guide = compiled.guide
    d = data.draw(st.sampled_from(guide.directions))
    names = sorted({x for r in d.rules if r.expr for x in referenced_names(r.expr) if x in guide.facts})
    row = {}
    for x in names:
        if data.draw(st.booleans()):
            row[x] = data.draw(st.sampled_from(_value_pool(guide, x)))
    expected = compiled.check(d.id, row)["verdict"]
    frame = pl.DataFrame([row]) if row else pl.DataFrame({"_": [0]})
    got = VERDICT_CODES[ColumnarGuide(compiled).screen(frame, [d.id])[d.id][0]]
    assert got == expected


def test_facts_beyond_any_sane_value_are_refused(compiled):
    for facts, field in (
        ({"kpi_new_revenue": 10**26}, "facts.kpi_new_revenue"),
        ({"kpi_invention_patent_applications": 10**9 + 1}, "facts.kpi_invention_patent_applications"),  # MAX_FACT
    ):
        with pytest.raises(BadInput) as e:
            compiled.check("1.1", facts)
        assert e.value.detail["field"] == field
        assert "超出合理范围" in e.value.message
    assert compiled.check("1.1", {"kpi_new_revenue": 10**12, "kpi_invention_patent_applications": 10**9})["verdict"] == "eligible"

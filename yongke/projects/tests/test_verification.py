"""Indicators verified by the guide's own rules, on plain values (no database).

For every commitment rule of every direction of the bundled guide (found in the guide, not
listed here) the tests build *witnesses*: the smallest sets of fact values that satisfy the
rule, taken from the literals its expression compares each fact with, the enumeration's
values and true/false. A witness given as both targets and actuals passes; an actual one
unit below a target fails; each alternative (或) passes alone; nothing given is missing.
Then named cases straight from the guide's text.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.core.errors import BadInput
from yongke.guide.engine import evaluate_rule
from yongke.guide.loader import bundled_guide
from yongke.projects.taskbook import is_target
from yongke.projects.verification import (
    below_threshold,
    check_indicator,
    commitment_rules,
    completion_rate,
    milestone_checks,
    rate_of,
    target_met,
    verdict_of,
    verify,
)

G = bundled_guide(None)
FACTS = G.guide.facts
STEP = {"int": 1, "money": 1, "number": 0.01}  # "one unit below" for each numeric type

COMPARISON = re.compile(r"\b([a-z][a-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?|\"[^\"]*\"|[a-z][a-z0-9_]*)")


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return text[1:-1]
    if text[0].isdigit() or text[0] == "-":
        return float(text) if "." in text else int(text)
    return G.parameters.get(text)


def comparisons(expr: str) -> list[tuple[str, str, Any]]:
    """(fact, operator, value) for every `fact OP literal-or-parameter` in an expression."""
    return [(f, op, _literal(v)) for f, op, v in COMPARISON.findall(expr) if f in FACTS and _literal(v) is not None]


def lower_bounds(expr: str) -> set[tuple[str, Any]]:
    """(fact, least value) for each `fact >= x` / `fact > x` comparison."""
    out = set()
    for f, op, v in comparisons(expr):
        if op == ">=":
            out.add((f, v))
        elif op == ">":
            out.add((f, v + STEP[FACTS[f].type]))
    return out


def _typed(fact: str, value: Any) -> Any:
    kind = FACTS[fact].type
    return float(value) if kind == "number" else int(value) if kind in ("int", "money") else value


def candidates(fact: str, expr: str) -> list[Any]:
    """The values worth trying for one fact of a rule."""
    f = FACTS[fact]
    if f.type == "bool":
        return [True, False]
    if f.type == "enum":
        return list(f.values)
    if f.type in STEP:
        step = STEP[f.type]
        out = []
        for name, op, v in comparisons(expr):
            if name == fact and not isinstance(v, str):
                out.append({">": v + step, "<": v - step, "!=": v + step}.get(op, v))
        return sorted({_typed(fact, v) for v in out if v >= 0}) or [_typed(fact, 1)]
    return sorted({v for name, op, v in comparisons(expr) if name == fact and isinstance(v, str)}) or ["x"]


def nothing(fact: str) -> Any:
    f = FACTS[fact]
    return False if f.type == "bool" else 0.0 if f.type == "number" else 0 if f.type in STEP else None


def rule_on(cr: Any, values: dict[str, Any]) -> str:
    return evaluate_rule(cr, {**G.parameters, **values})[0]


def names_of(cr: Any) -> list[str]:
    return [n for n in cr.names if n in FACTS]


@cache
def witnesses(rule_id: str) -> tuple[dict[str, Any], ...]:
    """Every smallest assignment that satisfies the rule: no fact of it can be left out."""
    cr = RULES[rule_id]
    names = names_of(cr)
    found: list[dict[str, Any]] = []
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            for values in itertools.product(*(candidates(n, cr.rule.expr) for n in subset)):
                w = dict(zip(subset, values, strict=True))
                if any(all(w.get(k) == v for k, v in smaller.items()) for smaller in found):
                    continue
                if rule_on(cr, w) == "pass":
                    found.append(w)
    return tuple(found)


def failing(cr: Any) -> dict[str, Any] | None:
    """Every fact of the rule given, at nothing (0, false) or an enumeration value, failing the rule."""
    names = names_of(cr)
    enums = [n for n in names if FACTS[n].type == "enum"]
    base = {n: nothing(n) for n in names if n not in enums}
    for values in itertools.product(*(FACTS[n].values for n in enums)):
        assignment = {**base, **dict(zip(enums, values, strict=True))}
        if rule_on(cr, assignment) == "fail":
            return assignment
    return None


def lowered(w: dict[str, Any], fact: str) -> dict[str, Any]:
    return {**w, fact: _typed(fact, w[fact] - STEP[FACTS[fact].type])}


DIRECTIONS = [d.id for d in G.guide.directions if commitment_rules(G, d.id)]
RULES = {cr.rule.id: cr for d in DIRECTIONS for cr in commitment_rules(G, d)}
PAIRS = [(d, cr.rule.id) for d in DIRECTIONS for cr in commitment_rules(G, d)]
IDS = [f"{d}-{r}" for d, r in PAIRS]


def check(rule_id: str, *, targets: dict[str, Any], actuals: dict[str, Any], context: dict[str, Any] | None = None):
    return check_indicator(G, RULES[rule_id], targets=targets, actuals=actuals, context=context)


# --------------------------------------------------------------------------- every direction, every rule


def test_the_guide_has_directions_with_and_without_commitments():
    assert len(DIRECTIONS) >= 40
    assert len(DIRECTIONS) < len(G.guide.directions)
    assert len(RULES) >= 100


@pytest.mark.parametrize(("direction", "rule_id"), PAIRS, ids=IDS)
def test_every_rule_has_a_witness_that_passes_at_its_targets(direction, rule_id):
    found = witnesses(rule_id)
    assert found, f"no satisfying values found for {rule_id}"
    for w in found:
        c = check(rule_id, targets=w, actuals=w)
        assert (c.result, c.rule_result) == ("pass", "pass"), (w, c)
        assert not below_threshold(G, RULES[rule_id], w, {})


@pytest.mark.parametrize(("direction", "rule_id"), PAIRS, ids=IDS)
def test_one_unit_below_a_target_fails(direction, rule_id):
    tried = 0
    for w in witnesses(rule_id):
        for fact in [n for n in w if FACTS[n].type in STEP and w[n] >= STEP[FACTS[n].type]]:
            c = check(rule_id, targets=w, actuals=lowered(w, fact))
            assert c.result == "fail", (w, fact, c)
            assert fact in c.unmet
            tried += 1
        for fact in [n for n in w if w[n] is True]:
            c = check(rule_id, targets=w, actuals={**w, fact: False})
            assert c.result == "fail", (w, fact, c)
            tried += 1
    assert tried or all(FACTS[n].type == "enum" for w in witnesses(rule_id) for n in w)


@pytest.mark.parametrize(("direction", "rule_id"), PAIRS, ids=IDS)
def test_every_threshold_of_a_rule_is_its_own_boundary(direction, rule_id):
    """For each `fact >= x` of the expression a witness holds the fact at x; one unit below,
    the rule alone no longer passes, and as a target it is below the guide's threshold."""
    cr = RULES[rule_id]
    context_free = all(is_target(FACTS[n]) for n in names_of(cr))
    for fact, least in lower_bounds(cr.rule.expr):
        at = [w for w in witnesses(rule_id) if w.get(fact) == least]
        assert at, f"{rule_id}: no witness holds {fact} at {least}"
        for w in at:
            down = lowered(w, fact)
            assert rule_on(cr, down) != "pass", (w, fact)
            assert check(rule_id, targets={}, actuals=down).result != "pass"
            if context_free:
                assert below_threshold(G, cr, down, {}), (w, fact)


@pytest.mark.parametrize(("direction", "rule_id"), PAIRS, ids=IDS)
def test_nothing_given_is_missing_and_nothing_achieved_fails(direction, rule_id):
    cr = RULES[rule_id]
    assert check(rule_id, targets={}, actuals={}).result == "missing"
    for w in witnesses(rule_id):
        c = check(rule_id, targets=w, actuals={})
        assert c.result == "missing" or all(not v or FACTS[n].type == "enum" for n, v in w.items()), (w, c)
    none = failing(cr)
    assert none is not None, f"{rule_id} cannot fail"
    c = check(rule_id, targets={}, actuals=none)
    assert (c.result, c.rule_result) == ("fail", "fail")


ALTERNATIVES = [(d, r) for d, r in PAIRS if "||" in RULES[r].rule.expr]


def test_the_guide_has_rules_with_alternatives():
    assert len(ALTERNATIVES) >= 20


@pytest.mark.parametrize(("direction", "rule_id"), ALTERNATIVES, ids=[f"{d}-{r}" for d, r in ALTERNATIVES])
def test_each_alternative_alone_passes(direction, rule_id):
    found = witnesses(rule_id)
    assert len(found) >= 2, f"{rule_id}: one way only"
    for w in found:
        # the other alternatives neither given nor promised: this one alone carries the rule
        assert check(rule_id, targets={}, actuals=w).result == "pass"
        others = {n: nothing(n) for n in names_of(RULES[rule_id]) if n not in w and nothing(n) is not None}
        assert check(rule_id, targets=w, actuals={**others, **w}).result == "pass"


def combined(direction: str) -> dict[str, Any] | None:
    """One witness per rule of the direction, agreeing on shared facts, passing every rule."""
    rules = commitment_rules(G, direction)

    def extend(i: int, acc: dict[str, Any]) -> dict[str, Any] | None:
        if i == len(rules):
            return acc if all(rule_on(cr, acc) == "pass" for cr in rules) else None
        for w in witnesses(rules[i].rule.id):
            if all(acc.get(k, v) == v for k, v in w.items()):
                got = extend(i + 1, {**acc, **w})
                if got is not None:
                    return got
        return None

    return extend(0, {})


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_direction_verified_at_its_targets_passes_and_below_fails(direction):
    w = combined(direction)
    assert w is not None
    body = verify(G, direction, w, w)
    assert (body["verdict"], body["completion_rate"]) == ("pass", 1.0)
    kinds = [RULES[i["rule"]].rule.kind if i["rule"] in RULES else "priority" for i in body["indicators"]]
    assert kinds.count("commitment") == len(commitment_rules(G, direction))  # and a priority the witness happens to promise
    empty = verify(G, direction, w, {})
    assert empty["verdict"] in ("incomplete", "pass")
    numeric = [n for n in w if FACTS[n].type in STEP and w[n] > 0]
    if numeric:
        assert verify(G, direction, w, {})["verdict"] == "incomplete"
        below = verify(G, direction, w, lowered(w, numeric[0]))
        assert below["verdict"] == "fail"
        assert below["completion_rate"] < 1.0


@pytest.mark.parametrize("direction", [d.id for d in G.guide.directions if not commitment_rules(G, d.id)])
def test_a_direction_without_commitments_passes_with_nothing_to_check(direction):
    body = verify(G, direction, {}, {})
    assert body == {
        "direction": direction,
        "version": G.guide.version,
        "verdict": "pass",
        "completion_rate": 1.0,
        "indicators": [],
        "ignored": [],
    }


# --------------------------------------------------------------------------- named cases from the guide's text


def by_rule(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["rule"]: i for i in body["indicators"]}


P14 = {"kpi_invention_patent_applications": 1, "kpi_new_revenue": 10_000_000}


def test_project_14_revenue_of_ten_million_passes_and_one_yuan_less_fails():
    assert verify(G, "14.1", P14, P14)["verdict"] == "pass"
    body = verify(G, "14.1", P14, {**P14, "kpi_new_revenue": 9_999_999})
    assert body["verdict"] == "fail"
    assert body["completion_rate"] == 0.5
    revenue = by_rule(body)["14:revenue"]
    assert (revenue["result"], revenue["unmet"]) == ("fail", ["kpi_new_revenue"])
    assert "1000万元以上" in revenue["source"]


def test_project_14_ip_by_patents_or_by_other_grants():
    grants = {"kpi_ip_grants": 2, "kpi_new_revenue": 10_000_000}
    assert verify(G, "14.1", grants, grants)["verdict"] == "pass"
    # promised two grants, got one: the patent application alternative was not promised nor achieved
    assert by_rule(verify(G, "14.1", grants, {**grants, "kpi_ip_grants": 1}))["14:ip"]["result"] == "fail"
    # with no target, one patent application is enough: the rule holds on either branch
    assert by_rule(verify(G, "14.1", {}, {"kpi_invention_patent_applications": 1}))["14:ip"]["result"] == "pass"
    nothing_yet = verify(G, "14.1", grants, {"kpi_new_revenue": 10_000_000})
    assert (nothing_yet["verdict"], by_rule(nothing_yet)["14:ip"]["missing"]) == (
        "incomplete",
        ["kpi_invention_patent_applications", "kpi_ip_grants"],
    )
    with pytest.raises(BadInput, match=r"targets\.kpi_ip_grants"):
        verify(G, "14.1", {"kpi_ip_grants": 1}, {})


def test_a_priority_promised_in_the_task_book_is_an_indicator_as_at_acceptance():
    """14.1 「优先支持能够形成应用示范点的项目」: a task book that states 2 demonstration sites holds
    them as a 考核指标 (as `taskbook.commitment_rows` makes it and acceptance checks it); one that
    states none has no such indicator, and the actual reported is ignored, not judged."""
    promised = {**P14, "kpi_demo_sites": 2}
    body = verify(G, "14.1", promised, promised)
    demo = by_rule(body)["14:demo_site"]
    assert (demo["result"], demo["kind"], demo["target"]) == ("pass", "priority", {"kpi_demo_sites": 2})
    assert "应用示范点" in demo["message"]
    short = verify(G, "14.1", promised, {**promised, "kpi_demo_sites": 1})
    assert (short["verdict"], by_rule(short)["14:demo_site"]["unmet"]) == ("fail", ["kpi_demo_sites"])
    assert short["completion_rate"] == 2 / 3
    plain = verify(G, "14.1", P14, {**P14, "kpi_demo_sites": 0})
    assert "14:demo_site" not in by_rule(plain)
    assert plain["verdict"] == "pass"
    assert "kpi_demo_sites" in plain["ignored"]
    # The same rows as the task book makes from an application that promised the same.
    from yongke.projects.taskbook import commitment_rows

    assert {r.rule_id for r in commitment_rows(G, "14.1", promised)} == set(by_rule(body))


def test_a_promise_on_one_branch_is_held_even_when_another_branch_carries_the_rule():
    # The task book promised 3 invention patent applications; 6 grants satisfy the guide but not the promise.
    targets = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}
    actuals = {"kpi_invention_patent_applications": 2, "kpi_ip_grants": 6, "kpi_new_revenue": 50_000_000}
    ip = by_rule(verify(G, "1.1", targets, actuals))["1:ip"]
    assert (ip["result"], ip["rule_result"], ip["unmet"]) == ("fail", "pass", ["kpi_invention_patent_applications"])


def test_project_31_masters_students_are_two_to_four():
    assert (
        by_rule(verify(G, "31.1", {"kpi_masters_students_trained": 3}, {"kpi_masters_students_trained": 4}))["31.1:masters"]["result"]
        == "pass"
    )
    over = by_rule(verify(G, "31.1", {"kpi_masters_students_trained": 3}, {"kpi_masters_students_trained": 5}))["31.1:masters"]
    assert (over["result"], over["rule_result"], over.get("unmet")) == ("fail", "fail", None)
    under = by_rule(verify(G, "31.1", {"kpi_masters_students_trained": 3}, {"kpi_masters_students_trained": 2}))["31.1:masters"]
    assert (under["result"], under["rule_result"], under["unmet"]) == ("fail", "pass", ["kpi_masters_students_trained"])
    for beyond in (1, 5):
        with pytest.raises(BadInput) as e:
            verify(G, "31.1", {"kpi_masters_students_trained": beyond}, {})
        assert e.value.code == "target_below_guide"
        assert e.value.detail["rule"] == "31.1:masters"


P5 = {"leading_enterprise": True, "kpi_region_platform": True, "kpi_new_revenue": 50_000_000}


def test_project_5_a_leading_enterprise_may_commit_to_a_platform_instead_of_patents():
    # the organisation's standing is context: given with the targets, it stands for the actuals
    body = verify(G, "5.1", P5, {"kpi_region_platform": True, "kpi_new_revenue": 50_000_000})
    ip = by_rule(body)["5:ip"]
    assert (body["verdict"], ip["context"]) == ("pass", {"leading_enterprise": True})
    assert ip["actual"] == {"kpi_region_platform": True}
    # the platform not built fails; no longer a leading enterprise fails
    assert by_rule(verify(G, "5.1", P5, {**P5, "kpi_region_platform": False}))["5:ip"]["result"] == "fail"
    assert by_rule(verify(G, "5.1", P5, {**P5, "leading_enterprise": False}))["5:ip"]["result"] == "fail"
    # standing never stated: the platform alone cannot decide the rule
    lone = by_rule(verify(G, "5.1", {}, {"kpi_region_platform": True}))["5:ip"]
    assert (lone["result"], lone["missing"]) == ("missing", ["kpi_invention_patent_applications", "kpi_ip_grants", "leading_enterprise"])
    # not a leading enterprise: a platform alone is no commitment at all
    with pytest.raises(BadInput, match="targets"):
        verify(G, "5.1", {**P5, "leading_enterprise": False}, {})


def test_a_yes_no_commitment_promised_true_must_come_true():
    promise = {"kpi_proprietary_ip": True}
    assert by_rule(verify(G, "17.4", promise, promise))["17.4:proprietary_ip"]["result"] == "pass"
    failed = by_rule(verify(G, "17.4", promise, {"kpi_proprietary_ip": False}))["17.4:proprietary_ip"]
    assert (failed["result"], failed["rates"]) == ("fail", {"kpi_proprietary_ip": 0.0})
    assert by_rule(verify(G, "17.4", promise, {}))["17.4:proprietary_ip"]["result"] == "missing"
    with pytest.raises(BadInput, match=r"targets\.kpi_proprietary_ip"):
        verify(G, "17.4", {"kpi_proprietary_ip": False}, {})


ROUTE = {"drug_outcome_route": "ind", "kpi_clinical_research_approval": False, "kpi_ind_implied_license": True}


def test_project_8_2_a_yes_no_promised_false_needs_no_actual_and_the_route_must_not_change():
    ind = by_rule(verify(G, "8.2", ROUTE, {"kpi_ind_implied_license": True}))["8.2:ind"]
    assert ind["result"] == "pass"
    # the route the task book fixed is context: every route rule reads it from the targets
    assert by_rule(verify(G, "8.2", ROUTE, {"kpi_ind_implied_license": True}))["8.2:clinical_phase"]["result"] == "pass"
    assert (
        by_rule(verify(G, "8.2", ROUTE, {"kpi_clinical_research_approval": True, "kpi_ind_implied_license": False}))["8.2:ind"]["result"]
        == "fail"
    )
    changed = by_rule(verify(G, "8.2", ROUTE, {"drug_outcome_route": "clinical_phase", "kpi_ind_implied_license": True}))["8.2:ind"]
    assert (changed["result"], changed["unmet"]) == ("fail", ["drug_outcome_route"])
    with pytest.raises(BadInput, match=r"8\.2:ind"):
        verify(G, "8.2", {**ROUTE, "kpi_ind_implied_license": False}, {})


def test_project_10_a_number_one_hundredth_below_fails_and_a_range_holds_at_both_ends():
    growth = {"kpi_annual_output_growth_pct": 10.0}
    assert by_rule(verify(G, "10.1", growth, growth))["10:output_growth"]["result"] == "pass"
    assert by_rule(verify(G, "10.1", growth, {"kpi_annual_output_growth_pct": 9.99}))["10:output_growth"]["result"] == "fail"
    planting = {"agri_base_type": "planting", "kpi_base_core_area_mu": 1000}
    for area, result in ((1000, "pass"), (3000, "pass"), (3001, "fail"), (999, "fail")):
        assert by_rule(verify(G, "10.1", planting, {"kpi_base_core_area_mu": area}))["10:planting_base"]["result"] == result, area
    # another route: the planting base rule does not bind
    assert (
        by_rule(verify(G, "10.1", {"agri_base_type": "processing"}, {"kpi_base_core_area_mu": 5}))["10:planting_base"]["result"] == "pass"
    )


def test_a_declared_fact_no_indicator_reads_is_accepted_and_listed():
    body = verify(G, "14.1", {**P14, "requested_amount": 1_000_000}, {**P14, "kpi_demo_sites": 2})
    assert body["verdict"] == "pass"
    assert body["ignored"] == ["kpi_demo_sites", "requested_amount"]


def test_a_target_given_as_null_is_not_given():
    body = verify(G, "14.1", {"kpi_new_revenue": None, "kpi_invention_patent_applications": 1}, {"kpi_invention_patent_applications": 1})
    assert by_rule(body)["14:revenue"]["target"] == {}
    assert by_rule(body)["14:revenue"]["result"] == "missing"


@pytest.mark.parametrize(
    ("direction", "targets", "actuals", "field"),
    [
        ("99.9", {}, {}, "direction"),
        (14.1, {}, {}, "direction"),
        ("14.1", {"no_such_fact": 1}, {}, "targets.no_such_fact"),
        ("14.1", {}, {"no_such_fact": 1}, "actuals.no_such_fact"),
        ("14.1", {"kpi_new_revenue": "lots"}, {}, "targets.kpi_new_revenue"),
        ("14.1", {}, {"kpi_new_revenue": -1}, "actuals.kpi_new_revenue"),
        ("14.1", {}, {"kpi_new_revenue": 1.5}, "actuals.kpi_new_revenue"),
        ("17.4", {"kpi_proprietary_ip": 1}, {}, "targets.kpi_proprietary_ip"),
        ("8.2", {"drug_outcome_route": "elsewhere"}, {}, "targets.drug_outcome_route"),
        ("14.1", [], {}, "targets"),
        ("14.1", {}, "x", "actuals"),
        ("14.1", {"kpi_new_revenue": 9_999_999}, {}, "targets.kpi_new_revenue"),
    ],
)
def test_bad_input_names_the_field(direction, targets, actuals, field):
    with pytest.raises(BadInput) as e:
        verify(G, direction, targets, actuals)
    assert e.value.detail["field"] == field
    assert "\n" not in e.value.message


@given(target=st.integers(min_value=10_000_000, max_value=10**10), actual=st.integers(min_value=0, max_value=10**10))
def test_revenue_passes_exactly_when_it_reaches_the_target(target, actual):
    c = check("14:revenue", targets={"kpi_new_revenue": target}, actuals={"kpi_new_revenue": actual})
    assert (c.result == "pass") == (actual >= target)


# --------------------------------------------------------------------------- the pieces


def test_target_met_compares_by_the_fact_type():
    assert target_met(FACTS["kpi_new_revenue"], 10, 10) is True
    assert target_met(FACTS["kpi_new_revenue"], 10, 9) is False
    assert target_met(FACTS["kpi_new_revenue"], 10, None) is None
    assert target_met(FACTS["kpi_new_revenue"], 0, None) is True
    assert target_met(FACTS["kpi_proprietary_ip"], True, False) is False
    assert target_met(FACTS["kpi_proprietary_ip"], False, False) is True
    assert target_met(FACTS["kpi_proprietary_ip"], False, None) is True
    assert target_met(FACTS["drug_outcome_route"], "ind", "ind") is True
    assert target_met(FACTS["drug_outcome_route"], "ind", "clinical_phase") is False
    assert target_met(None, "2024-06-30", "2024-06-30") is True
    assert target_met(None, 3, 2) is False


def test_verdict_and_completion_rate():
    assert verdict_of(["pass", "missing", "fail"]) == "fail"
    assert verdict_of(["pass", "missing"]) == "incomplete"
    assert verdict_of(["pass"]) == verdict_of([]) == "pass"
    assert completion_rate(["pass", "fail", "missing", "pass"]) == 0.5
    assert completion_rate([]) == 1.0


def test_rate_of_an_indicator():
    assert rate_of(10, 5) == 0.5
    assert rate_of(True, False) == 0.0
    assert rate_of(False, False) == 1.0
    assert rate_of(0, 5) is None
    assert rate_of("ind", "ind") is None


def test_context_fills_what_the_actuals_do_not_give():
    c = check(
        "8.2:ind",
        targets={"kpi_ind_implied_license": True},
        actuals={"kpi_ind_implied_license": True},
        context={"drug_outcome_route": "ind"},
    )
    assert (c.result, c.context, c.actual) == ("pass", {"drug_outcome_route": "ind"}, {"kpi_ind_implied_license": True})
    c = check("8.2:ind", targets={}, actuals={"kpi_ind_implied_license": False}, context={"drug_outcome_route": "ind"})
    assert c.result == "missing"
    assert c.missing == ("kpi_clinical_research_approval",)


def test_milestones_due_are_checked_fact_by_fact():
    stages = [
        ("2023-12-31", "第一年", {"kpi_new_revenue": 3_000_000, "kpi_proprietary_ip": True}),
        ("2024-12-31", "第二年", {"kpi_new_revenue": 8_000_000, "kpi_invention_patent_applications": 1}),
        ("2025-06-30", "结题", {"kpi_invention_patent_applications": 0}),
    ]
    out = milestone_checks(FACTS, stages, {"kpi_new_revenue": 5_000_000, "kpi_proprietary_ip": True})
    assert [(m["due_on"], m["title"], m["result"]) for m in out] == [
        ("2023-12-31", "第一年", "pass"),
        ("2024-12-31", "第二年", "fail"),
        ("2025-06-30", "结题", "pass"),
    ]
    assert [(f["fact"], f["result"]) for f in out[1]["facts"]] == [
        ("kpi_new_revenue", "fail"),
        ("kpi_invention_patent_applications", "missing"),
    ]
    assert milestone_checks(FACTS, [("2024-12-31", "空", {})], {})[0]["result"] == "pass"
    assert milestone_checks(FACTS, [("2024-12-31", "未报", {"kpi_demo_sites": 2})], {})[0]["result"] == "incomplete"

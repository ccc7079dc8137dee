"""Conflict rules, affinity and the scoring aggregates — on plain data."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.review.conflicts import ApplicationInfo, ConflictRules, ExpertInfo, affinity, exclusions
from yongke.review.scoring import DEFAULT_RUBRIC, aggregate, rank, trimmed_mean, weighted_total

ON = dt.date(2022, 6, 1)
APP = ApplicationInfo(
    id="A",
    organisation=1,
    co_organisations=frozenset({2}),
    team=frozenset({100, 101}),
    avoid=frozenset({"e_avoid"}),
    industry="C3976",
    text="新能源汽车 电池管理 热管理",
)


def reason(expert: ExpertInfo, years: int = 3) -> str | None:
    found = exclusions([APP], [expert], ConflictRules(years_since_employment=years, on=ON))
    return found[0].code if found else None


@pytest.mark.parametrize(
    ("expert", "code"),
    [
        (ExpertInfo(id="e1", organisation=1, person=1), "same_organisation"),
        (ExpertInfo(id="e2", organisation=2, person=2), "same_co_organisation"),
        (ExpertInfo(id="e3", organisation=9, person=3, past=((1, dt.date(2020, 1, 1)),)), "former_employer"),
        (ExpertInfo(id="e4", organisation=9, person=4, past=((2, None),)), "former_employer"),
        (ExpertInfo(id="e5", organisation=9, person=100), "on_team"),
        (ExpertInfo(id="e6", organisation=9, person=6, declared_applications=frozenset({"A"})), "declared"),
        (ExpertInfo(id="e7", organisation=9, person=7, declared_organisations=frozenset({1})), "declared"),
        (ExpertInfo(id="e8", organisation=9, person=8, relatives=frozenset({101})), "relative"),
        (ExpertInfo(id="e_avoid", organisation=9, person=9), "applicant_request"),
        (ExpertInfo(id="e10", organisation=9, person=10), None),
    ],
)
def test_each_conflict_rule_excludes_with_its_reason(expert, code):
    assert reason(expert) == code


def test_former_employment_counts_only_within_the_window():
    left_long_ago = ExpertInfo(id="e", organisation=9, person=5, past=((1, dt.date(2019, 5, 31)),))
    left_recently = ExpertInfo(id="e", organisation=9, person=5, past=((1, dt.date(2019, 6, 1)),))
    assert reason(left_long_ago) is None
    assert reason(left_recently) == "former_employer"
    assert reason(left_long_ago, years=5) == "former_employer"


def test_affinity_prefers_closer_industry_codes_and_keywords():
    base = {"organisation": 9, "person": 1}
    exact = affinity(ExpertInfo(id="a", fields=("C3976",), **base), APP)
    group = affinity(ExpertInfo(id="b", fields=("C397",), **base), APP)
    division = affinity(ExpertInfo(id="c", fields=("C39",), **base), APP)
    section = affinity(ExpertInfo(id="d", fields=("C",), **base), APP)
    other = affinity(ExpertInfo(id="e", fields=("A01",), **base), APP)
    assert exact > group > division > section > other == 0
    assert affinity(ExpertInfo(id="f", fields=("C3976",), keywords=("电池管理", "热管理"), **base), APP) == pytest.approx(0.8)


FULL_MARKS = {c.key: 100 for c in DEFAULT_RUBRIC}


@pytest.mark.parametrize("points", [100, 50])
def test_weighted_total_of_equal_points_is_those_points(points):
    assert weighted_total(DEFAULT_RUBRIC, {c.key: points for c in DEFAULT_RUBRIC}) == points


@pytest.mark.parametrize(
    ("points", "named"),
    [
        ({**FULL_MARKS, "innovation": 101}, "innovation"),
        ({k: v for k, v in FULL_MARKS.items() if k != "team"}, "team"),
        ({**FULL_MARKS, "luck": 3}, "luck"),
    ],
    ids=["over_the_maximum", "missing", "unknown"],
)
def test_weighted_total_refuses_a_bad_criterion_naming_it(points, named):
    with pytest.raises(ValueError, match=named):
        weighted_total(DEFAULT_RUBRIC, points)


def test_trimmed_mean_drops_the_extremes_only_from_five_scores():
    assert trimmed_mean([60, 70, 80, 90]) == 75
    assert trimmed_mean([10, 70, 80, 90, 100]) == 80
    assert trimmed_mean([0, 80, 80, 80, 80, 100]) == 80


def test_calibration_removes_a_strict_experts_offset():
    # Expert s scores every application 20 lower than expert l: calibrated, they agree.
    scores = {("A", "l"): 90, ("B", "l"): 80, ("C", "l"): 70, ("A", "s"): 70, ("B", "s"): 60, ("C", "s"): 50}
    aggs, stats = aggregate(scores)
    assert aggs["A"].calibrated > aggs["B"].calibrated > aggs["C"].calibrated
    assert aggs["A"].calibrated - aggs["B"].calibrated == pytest.approx(aggs["B"].calibrated - aggs["C"].calibrated)
    assert stats["s"]["mean"] == 60
    assert stats["l"]["mean"] == 80


def test_wide_spread_and_outlier_expert_are_flagged():
    scores = {}
    for app in "ABCD":
        for e in ("e1", "e2", "e3"):
            scores[(app, e)] = 80
        scores[(app, "odd")] = 40
    aggs, stats = aggregate(scores)
    assert all(aggs[a].flags for a in "ABCD")
    assert stats["odd"]["flag"]
    assert not stats["e1"]["flag"]


def test_ranking_draws_the_funding_line_under_the_budget():
    items = [("a", 90.0, 400), ("b", 85.0, 400), ("c", 80.0, 300), ("d", 70.0, 100)]
    ranked = rank(items, budget=1000)
    assert [(r.application, r.funded) for r in ranked] == [("a", True), ("b", True), ("c", False), ("d", False)]
    assert ranked[1].cumulative == 800
    assert all(r.funded for r in rank(items, budget=None))


PANEL_ITEMS = [("a", 90.0, 400), ("b", 85.0, 400), ("c", 80.0, 300)]


def test_a_panel_move_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        rank(PANEL_ITEMS, budget=800, adjustments={"c": (1, "")})


def test_a_panel_move_is_recorded_and_redraws_the_funding_line():
    ranked = rank(PANEL_ITEMS, budget=800, adjustments={"c": (1, "会评认为其技术路线更成熟")})
    assert [r.application for r in ranked] == ["c", "a", "b"]
    assert [r.moved_by_panel for r in ranked] == ["会评认为其技术路线更成熟", "", ""]  # the reason, kept with the move
    assert [r.funded for r in ranked] == [True, True, False]


def test_ties_rank_by_application_id_whatever_the_input_order():
    items = [("b", 80.0, 1), ("a", 80.0, 1), ("c", 80.0, 1)]
    assert [r.application for r in rank(items, None)] == [r.application for r in rank(list(reversed(items)), None)] == ["a", "b", "c"]

"""The column engine (`yongke.projects.columns`) judges every indicator as the per-row checks do.

The reference is `verification.check_indicator` called as `verify` calls it (the context facts
given with the targets standing for missing actuals), then `verdict_of` and `completion_rate`:
on random tables over every direction with commitment rules, values on and around each
threshold, and on hand-made rows (alternatives, missing actuals, targets that need no actual,
a route changed). The reader types a csv by the guide and refuses what it cannot type.
"""

from __future__ import annotations

import random
import re
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yongke.core.errors import BadInput
from yongke.guide.loader import bundled_guide
from yongke.guide.model import NUMERIC_TYPES
from yongke.projects import columns as col
from yongke.projects.taskbook import indicator_rules, is_target
from yongke.projects.verification import check_indicator, commitment_rules, completion_rate, indicators_of, verdict_of, verify

COMPILED = bundled_guide()
FACTS = COMPILED.guide.facts
WITH_RULES = [d.id for d in COMPILED.guide.directions if indicator_rules(COMPILED, d.id)]
WITHOUT_RULES = next(d.id for d in COMPILED.guide.directions if not indicator_rules(COMPILED, d.id))
_FIGURE = re.compile(r"\b([a-z_][a-z0-9_]*)\s*(?:>=|<=)\s*([0-9]+(?:\.[0-9]+)?)")


def figures(direction: str) -> dict[str, set[float]]:
    """Each fact's figures in the direction's indicator rules (thresholds and range bounds)."""
    out: dict[str, set[float]] = {}
    for cr in indicator_rules(COMPILED, direction):
        for name, figure in _FIGURE.findall(cr.rule.expr):
            out.setdefault(name, set()).add(float(figure))
    return out


def _numbers(fact_type: str, figs: set[float]) -> list[Any]:
    pool = {0.0} | {x for f in figs for x in (f - 1, f, f + 1) if x >= 0}
    return sorted(pool) if fact_type == "number" else sorted({int(x) for x in pool})


def random_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """Projects over every direction with indicator rules: each fact read on, around or off its figures, or not given."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        direction = WITH_RULES[i % len(WITH_RULES)]
        figs = figures(direction)
        row: dict[str, Any] = {col.PROJECT: f"P{i:05d}", col.DIRECTION: direction}
        for name in sorted({n for cr in indicator_rules(COMPILED, direction) for n in cr.names if n in FACTS}):
            fact = FACTS[name]
            if fact.type in NUMERIC_TYPES:
                pool: list[Any] = _numbers(fact.type, figs.get(name, set()))
            elif fact.type == "bool":
                pool = [True, False]
            else:
                pool = list(fact.values)
            row[name] = rng.choice([None, *pool])
            row[col.target_column(name)] = rng.choice([None, None, *pool])
        rows.append(row)
    return rows


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The rows as a table, every column typed by its fact (the shape `check_actuals` returns)."""
    names = sorted({k for r in rows for k in r} - {col.PROJECT, col.DIRECTION})
    schema: dict[str, Any] = {col.PROJECT: pl.String, col.DIRECTION: pl.String}
    schema |= {k: col.POLARS_TYPES[FACTS[k.removeprefix(col.TARGET)].type] for k in names}
    return col.check_actuals(pl.DataFrame(rows, schema=schema), COMPILED)


def per_row(rows: list[dict[str, Any]]) -> tuple[list[tuple], list[tuple]]:
    """The reference: each project's indicators by `check_indicator`, as `verify` calls it (on
    the rules `indicators_of` makes of its targets)."""
    indicators, projects = [], []
    for row in rows:
        actuals = {k: v for k, v in row.items() if k in FACTS and v is not None}
        targets = {k.removeprefix(col.TARGET): v for k, v in row.items() if k.startswith(col.TARGET) and v is not None}
        context = {k: v for k, v in targets.items() if not is_target(FACTS[k])}
        rules = indicators_of(COMPILED, row[col.DIRECTION], targets, context)
        results = [check_indicator(COMPILED, cr, targets=targets, actuals=actuals, context=context).result for cr in rules]
        indicators += [(row[col.PROJECT], cr.rule.id, r) for cr, r in zip(rules, results, strict=True)]
        projects.append(
            (
                row[col.PROJECT],
                row[col.DIRECTION],
                len(results),
                results.count("pass"),
                results.count("fail"),
                results.count("missing"),
                completion_rate(results),
                verdict_of(results),
            )
        )
    return indicators, projects


def by_columns(rows: list[dict[str, Any]]) -> tuple[list[tuple], list[tuple]]:
    out = col.verify_frame(COMPILED, frame_of(rows))
    indicators = out.indicators.select(col.PROJECT, pl.col("rule").cast(pl.String), pl.col("result").cast(pl.String)).rows()
    projects = out.projects.select(*col.PROJECT_COLUMNS[:-1], pl.col("verdict").cast(pl.String)).rows()
    return indicators, projects


def one(direction: str, actuals: dict[str, Any], targets: dict[str, Any]) -> tuple[dict[str, str], tuple]:
    """One project by the column engine: {rule: result} and its per-project row."""
    row = {col.PROJECT: "P1", col.DIRECTION: direction, **actuals, **{col.target_column(k): v for k, v in targets.items()}}
    indicators, projects = by_columns([row])
    return {r: result for _, r, result in indicators}, projects[0]


def rule_of(direction: str, suffix: str) -> str:
    return next(cr.rule.id for cr in commitment_rules(COMPILED, direction) if cr.rule.id.endswith(suffix))


# --------------------------------------------------------------------------- the same results as per row


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_tables_over_every_direction_give_the_per_row_results(seed):
    rows = random_rows(len(WITH_RULES) * 40, seed)
    indicators, projects = by_columns(rows)
    expected_indicators, expected_projects = per_row(rows)
    assert indicators == expected_indicators
    assert projects == expected_projects


def test_the_random_tables_reach_every_result_and_verdict():
    indicators, projects = by_columns(random_rows(len(WITH_RULES) * 40, 1))
    assert {r for _, _, r in indicators} == {"pass", "fail", "missing"}
    assert {p[-1] for p in projects} == {"pass", "fail", "incomplete"}


def test_the_random_tables_reach_priority_indicators_earned_and_not():
    """A 优先支持 rule reading a promise is an indicator of a row whose targets hold the promise
    and of no other row: both happen in the random tables, in one direction."""
    rows = random_rows(len(WITH_RULES) * 40, 1)
    indicators, _ = by_columns(rows)
    priorities = {cr.rule.id for d in WITH_RULES for cr in indicator_rules(COMPILED, d) if cr.rule.kind == "priority"}
    assert priorities
    held = {(p, r) for p, r, _ in indicators if r in priorities}
    direction = {r[col.PROJECT]: r[col.DIRECTION] for r in rows}
    for rule in priorities:
        rows_of = [p for p, d in direction.items() if rule in {cr.rule.id for cr in indicator_rules(COMPILED, d)}]
        assert any((p, rule) in held for p in rows_of), rule
        assert any((p, rule) not in held for p in rows_of), rule


def test_a_standard_promised_in_the_task_book_is_verified_and_one_not_promised_is_no_indicator():
    standard, local = "14:standard", "kpi_local_standard"
    assert _against_verify("14.1", {local: True}, {local: True})[standard] == "pass"
    assert _against_verify("14.1", {local: False}, {local: True})[standard] == "fail"
    assert _against_verify("14.1", {}, {local: True})[standard] == "missing"
    assert standard not in _against_verify("14.1", {local: True}, {})  # nothing promised: no indicator
    assert standard not in _against_verify("14.1", {local: True}, {local: False})


def _numeric_rule(direction: str) -> tuple[str, str, int]:
    """A commitment rule of the direction reading one whole-number fact against one figure."""
    for cr in commitment_rules(COMPILED, direction):
        m = re.fullmatch(r"([a-z_0-9]+) >= ([0-9]+)", cr.rule.expr)
        if m and FACTS[m[1]].type in ("int", "money"):
            return cr.rule.id, m[1], int(m[2])
    raise LookupError(direction)


SINGLE = [d for d in WITH_RULES if any(re.fullmatch(r"[a-z_0-9]+ >= [0-9]+", cr.rule.expr) for cr in commitment_rules(COMPILED, d))]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SINGLE), st.integers(-2, 2), st.one_of(st.none(), st.integers(0, 3)), st.booleans())
def test_at_the_threshold_and_around_it_both_engines_agree(direction, offset, raise_by, given_actual):
    rule, fact, figure = _numeric_rule(direction)
    target = None if raise_by is None else figure + raise_by
    actual = max(0, (target or figure) + offset) if given_actual else None
    row = {col.PROJECT: "P1", col.DIRECTION: direction, fact: actual, col.target_column(fact): target}
    got, _ = one(direction, {fact: actual}, {fact: target})
    expected, _ = per_row([row])
    assert got[rule] == next(r for _, rid, r in expected if rid == rule)


# --------------------------------------------------------------------------- hand-made, against `verify`


def _against_verify(direction: str, actuals: dict[str, Any], targets: dict[str, Any]) -> dict[str, str]:
    got, project = one(direction, actuals, targets)
    answer = verify(COMPILED, direction, targets, actuals)
    assert got == {i["rule"]: i["result"] for i in answer["indicators"]}
    assert project[-2:] == (answer["completion_rate"], answer["verdict"])
    return got


def test_an_actual_at_the_target_passes_and_one_unit_below_fails():
    direction = SINGLE[0]
    rule, fact, figure = _numeric_rule(direction)
    assert _against_verify(direction, {fact: figure + 5}, {fact: figure + 5})[rule] == "pass"
    assert _against_verify(direction, {fact: figure + 4}, {fact: figure + 5})[rule] == "fail"


def test_an_alternative_passes_on_one_branch_and_is_missing_while_undecided():
    direction = next(
        d
        for d in WITH_RULES
        if any(cr.rule.id.endswith(":ip") and "leading_enterprise" in cr.names for cr in commitment_rules(COMPILED, d))
    )
    rule = rule_of(direction, ":ip")
    patents, grants = "kpi_invention_patent_applications", "kpi_ip_grants"
    assert _against_verify(direction, {patents: 3}, {patents: 3})[rule] == "pass"
    assert _against_verify(direction, {patents: 0, grants: 6}, {grants: 6})[rule] == "pass"
    assert _against_verify(direction, {patents: 2}, {})[rule] == "missing"
    assert _against_verify(direction, {patents: 2, grants: 5, "leading_enterprise": False}, {})[rule] == "fail"


def test_a_target_no_value_can_miss_needs_no_actual():
    direction = next(
        d
        for d in WITH_RULES
        if any(cr.rule.id.endswith(":ip") and "leading_enterprise" in cr.names for cr in commitment_rules(COMPILED, d))
    )
    rule = rule_of(direction, ":ip")
    got = _against_verify(direction, {"kpi_invention_patent_applications": 4}, {"kpi_invention_patent_applications": 3, "kpi_ip_grants": 0})
    assert got[rule] == "pass"


def test_a_route_given_with_the_targets_stands_for_the_actuals_and_a_changed_one_fails():
    rule = next(cr for cr in commitment_rules(COMPILED, "8.2") if cr.rule.id.endswith(":ind"))
    route = next(n for n in rule.names if FACTS[n].type == "enum")
    done = {"kpi_clinical_research_approval": True}
    assert _against_verify("8.2", done, {route: "ind"})[rule.rule.id] == "pass"
    assert _against_verify("8.2", {}, {route: "ind"})[rule.rule.id] == "missing"
    assert _against_verify("8.2", {**done, route: "clinical_phase"}, {route: "ind"})[rule.rule.id] == "fail"


def test_a_direction_without_commitments_has_no_indicator_and_passes():
    indicators, projects = by_columns([{col.PROJECT: "P1", col.DIRECTION: WITHOUT_RULES}])
    assert indicators == []
    assert projects == [("P1", WITHOUT_RULES, 0, 0, 0, 0, 1.0, "pass")]


def test_the_frames_keep_the_table_order_of_projects_and_the_direction_order_of_rules():
    rows = random_rows(len(WITH_RULES) * 2, 5)[::-1]
    indicators, projects = by_columns(rows)
    assert [p[0] for p in projects] == [r[col.PROJECT] for r in rows]
    assert indicators == per_row(rows)[0]


def test_an_empty_table_gives_empty_frames():
    out = col.verify_frame(COMPILED, col.check_actuals(pl.DataFrame(schema={col.PROJECT: pl.String, col.DIRECTION: pl.String}), COMPILED))
    assert (out.indicators.height, out.projects.height) == (0, 0)
    assert tuple(out.projects.columns) == col.PROJECT_COLUMNS


# --------------------------------------------------------------------------- reading


def test_a_csv_is_typed_by_the_guide_and_verified_as_the_same_parquet(tmp_path):
    rows = random_rows(len(WITH_RULES) * 4, 7)
    table = frame_of(rows).with_columns(pl.col(col.DIRECTION).cast(pl.String))
    table.write_csv(tmp_path / "actuals.csv")
    table.write_parquet(tmp_path / "actuals.parquet")
    from_csv = col.verify_file(COMPILED, tmp_path / "actuals.csv")
    from_parquet = col.verify_file(COMPILED, tmp_path / "actuals.parquet")
    assert from_csv.projects.equals(from_parquet.projects)
    assert from_csv.indicators.equals(from_parquet.indicators)
    assert (
        from_csv.indicators.select(col.PROJECT, pl.col("rule").cast(pl.String), pl.col("result").cast(pl.String)).rows() == per_row(rows)[0]
    )


def _refused(tmp_path, text: str) -> BadInput:
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as e:
        col.read_actuals(tmp_path / "a.csv", COMPILED)
    return e.value


def test_an_unknown_column_is_refused_naming_it(tmp_path):
    err = _refused(tmp_path, "project,direction,kpi_new_revenue,target.kpi_new_revenu\nP1,1.1,1,1\n")
    assert (err.code, err.detail["field"]) == ("unknown_column", "target.kpi_new_revenu")


def test_a_value_of_the_wrong_type_is_refused_naming_the_field_and_line(tmp_path):
    err = _refused(tmp_path, "project,direction,kpi_new_revenue\nP1,1.1,100\nP2,1.1,lots\n")
    assert (err.detail["field"], err.detail["row"], err.detail["value"]) == ("kpi_new_revenue", 3, "lots")


def test_a_target_of_the_wrong_type_is_refused_naming_the_target_column(tmp_path):
    err = _refused(tmp_path, "project,direction,target.kpi_region_platform\nP1,1.1,maybe\n")
    assert err.detail["field"] == "target.kpi_region_platform"
    assert "布尔" in err.message


def test_an_enumeration_outside_its_values_is_refused(tmp_path):
    err = _refused(tmp_path, "project,direction,drug_outcome_route\nP1,8.2,somewhere\n")
    assert err.detail["field"] == "drug_outcome_route"


def test_an_unknown_direction_and_a_repeated_project_are_refused(tmp_path):
    assert _refused(tmp_path, "project,direction\nP1,99.9\n").detail["field"] == "direction"
    assert _refused(tmp_path, "project,direction\nP1,1.1\nP1,1.2\n").detail == {
        "field": "project",
        "rule": "项目编号重复 / duplicate project",
        "value": "P1",
        "row": 3,
    }


def test_a_table_without_a_project_column_is_refused(tmp_path):
    assert _refused(tmp_path, "direction,kpi_new_revenue\n1.1,1\n").detail["field"] == "project"


def test_a_parquet_column_of_the_wrong_kind_is_refused(tmp_path):
    pl.DataFrame({col.PROJECT: ["P1"], col.DIRECTION: ["1.1"], "kpi_new_revenue": [1.5]}).write_parquet(tmp_path / "a.parquet")
    with pytest.raises(BadInput) as e:
        col.read_actuals(tmp_path / "a.parquet", COMPILED)
    assert e.value.detail["field"] == "kpi_new_revenue"


def test_a_file_that_is_neither_csv_nor_parquet_is_refused(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"PK")
    with pytest.raises(BadInput) as e:
        col.read_actuals(tmp_path / "a.xlsx", COMPILED)
    assert e.value.code == "bad_format"

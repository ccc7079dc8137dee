"""Verifying the 考核指标 of many projects at once, column-wise.

The checks of `yongke.projects.verification` (`check_indicator`, `verdict_of`,
`completion_rate`, as `verify` calls them), for a table with one row per project, in compiled
code rather than one project at a time in Python. The table (`read_actuals`, `check_actuals`):

- `project`: the project's id (any type; given, and unique);
- `direction`: its direction id, as in the guide;
- `<fact>`: the value achieved, under the guide's fact name and in its type (null: not given);
- `target.<fact>`: the value the task book fixed for that fact (null: none). As in `verify`'s
  targets, a fact the rule reads as at 立项 rather than as a result (the route chosen, the
  organisation's standing: not `taskbook.is_target`) given here stands for the actual unless
  the actual column gives one, which must then be the same.

Any column may be left out (all null); a fact no rule of a row's direction reads is ignored.

An indicator is one commitment rule of the row's direction, or one of its 优先支持 rules reading
a promise where the row's targets hold that promise (`verification.indicators_of`: the rule
passes on the targets, a target fact not given counting as not promised; elsewhere the rule is
no indicator of the row and is not counted). Its expression is translated once
by `yongke.guide.columnar.translate`: a null fact makes it null (undecided) unless the other
branches decide it, as in CEL, so an alternative (或) holds on any one of its branches. Every
target given for a fact the rule reads is met as `target_met` says — at least the target for
numbers, true where true was promised, the same value otherwise; a null actual leaves it
undecided unless the target needs none (0, false). The indicator is the Kleene `and` of the
rule and its targets: false (`fail`) when any is false, else null (`missing`) when any is
undecided, else true (`pass`).

Directions that hold the same indicator rules (those of one 项目 of the guide) are one polars
query over their rows, translated once, and all the queries run in one `collect_all`; an
indicator stays a small integer in a list per row until the two frames are made.
bench/indicators.py times it from a parquet file against the per-row loop. Pure: polars and
the guide, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from yongke.awards.screen import fact_column, table_problem
from yongke.core.errors import BadInput
from yongke.guide.columnar import POLARS_TYPES as POLARS_TYPES  # the column type of each fact type, for callers of this module
from yongke.guide.columnar import TierTables, tier_tables, translate
from yongke.guide.engine import CompiledGuide
from yongke.guide.model import NUMERIC_TYPES, Fact
from yongke.projects.taskbook import indicator_rules, is_target
from yongke.projects.verification import RESULTS, VERDICTS

PROJECT, DIRECTION = "project", "direction"
TARGET = "target."  # prefix of a target column: `target.kpi_new_revenue`
RESULT_TYPE = pl.Enum(RESULTS)
VERDICT_TYPE = pl.Enum(VERDICTS)
_ROW = "_row"
_CODES = {1: "pass", 0: "fail", 2: "missing"}  # an indicator as a number: true, false, null (undecided)
_NONE = 3  # a priority rule whose promise the row's targets do not hold: no indicator of that row
_EARN = "_earn."  # prefix of a column holding a fact as the task book states it (`verification._on_targets`)
COUNTS = ("indicators", "passed", "failed", "missing")
PROJECT_COLUMNS = (PROJECT, DIRECTION, *COUNTS, "completion_rate", "verdict")


def target_column(fact: str) -> str:
    """The column holding a fact's target: `target.<fact>`."""
    return TARGET + fact


def _bad(field: str, rule: str, value: Any = None, *, code: str = "bad_actuals", row: int | None = None) -> BadInput:
    """A problem in the table, said as the organisations table says one (`yongke.awards.screen`)."""
    return table_problem(field, rule, value, code=code, row=row)


# --------------------------------------------------------------------------- reading and checking


def check_actuals(frame: pl.DataFrame, compiled: CompiledGuide) -> pl.DataFrame:
    """The table with every column in the type the rules read and `direction` categorical.

    Refuses a missing `project` or `direction` column, a column that is neither a fact nor
    `target.<fact>`, a value of the wrong type, an unknown direction and a null or repeated
    project; each problem names its column (and the line, the header being line 1)."""
    facts = compiled.guide.facts
    schema = frame.schema  # made anew at each access: once, not once a column
    for col in (PROJECT, DIRECTION):
        if col not in schema:
            raise _bad(col, "缺少列 / missing column", code="missing_column")
    typed: list[pl.Expr] = []
    checks: list[tuple[str, str, pl.Expr]] = []
    for col in schema:
        if col in (PROJECT, DIRECTION):
            continue
        fact = facts.get(col.removeprefix(TARGET))
        if fact is None:
            # Refused rather than ignored: a misspelt column would silently leave its indicators missing.
            raise _bad(col, "未声明的事实列（应为事实名或 target.事实名）/ unknown column (not a fact of the guide)", code="unknown_column")
        c = fact_column(col, schema[col], fact)
        typed.append(c.typed.alias(col))
        checks += [(col, rule, bad) for bad, rule in c.problems]
    ids = [d.id for d in compiled.guide.directions]
    direction = pl.col(DIRECTION).cast(pl.String)
    checks += [
        (DIRECTION, "缺少方向编号 / missing value", direction.is_null()),
        (DIRECTION, "指南中没有该方向 / unknown direction", direction.is_not_null() & ~direction.is_in(ids)),
        (PROJECT, "缺少项目编号 / missing value", pl.col(PROJECT).is_null()),
        (PROJECT, "项目编号重复 / duplicate project", ~pl.col(PROJECT).is_first_distinct()),
    ]
    flags = frame.select([bad.any().alias(str(i)) for i, (_, _, bad) in enumerate(checks)]).row(0)
    for flagged, (col, rule, bad) in zip(flags, checks, strict=True):
        if flagged:
            at = frame.select(bad.arg_true().first()).item()
            raise _bad(col, rule, frame[col][at], row=at + 2)
    return frame.select(pl.col(PROJECT), direction.cast(pl.Enum(ids)).alias(DIRECTION), *typed)


def read_actuals(path: Path | str, compiled: CompiledGuide) -> pl.DataFrame:
    """Read and check a table of actuals and targets (csv or parquet), as `check_actuals` returns it.

    A csv is read as text and typed by the guide's declarations (never by guessing), as
    `yongke.awards.screen.read_orgs` reads an organisations table."""
    p = Path(path)
    if not p.is_file():
        raise _bad(str(p), "文件不存在 / file not found", code="file_not_found")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise _bad(str(p), "应为 .csv 或 .parquet 文件 / must be csv or parquet", code="bad_format")
    try:
        frame = pl.read_csv(p, infer_schema=False) if suffix == ".csv" else pl.read_parquet(p)
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _bad(str(p), f"无法读取 / cannot read: {str(e).splitlines()[0]}", code="bad_format") from None
    return check_actuals(frame, compiled)


# --------------------------------------------------------------------------- verifying


def _held(fact: Fact, actual: pl.Expr, target: pl.Expr) -> pl.Expr:
    """One target met, in three-valued logic (`target_met`): true when no target is given or the
    target needs no actual (0 or less, false), null when it needs one and none is given, else
    ≥ for numbers, true where true was promised, equal otherwise."""
    if fact.type == "bool":
        return actual | ~target.fill_null(False)
    if fact.type in NUMERIC_TYPES:
        return (actual >= target) | (target <= 0).fill_null(True)
    return (actual == target) | target.is_null()


def _indicator(expr: str, reads: list[Fact], ints: frozenset[str], tiers: TierTables) -> pl.Expr:
    """One indicator as `check_indicator` decides it, coded as `_CODES`: the rule on the actuals
    and every target met, as one Kleene `and` (false when any is false: fail; else null when any
    is undecided: missing; else pass)."""
    rule = translate(expr, ints, tiers)
    held = [_held(f, pl.col(f.name), pl.col(target_column(f.name))) for f in reads]
    return pl.all_horizontal([rule, *held]).cast(pl.UInt8).fill_null(2)


def _earned(expr: str, reads: list[Fact], ints: frozenset[str], tiers: TierTables) -> pl.Expr:
    """`verification.earned` column-wise: a target given for one of the rule's target facts, and
    the rule passing on the `_EARN` columns (the facts as the task book states them)."""
    rule = translate(expr, ints, tiers, columns=tuple((f.name, _EARN + f.name) for f in reads))
    promised = pl.any_horizontal([pl.col(target_column(f.name)).is_not_null() for f in reads if is_target(f)] or [pl.lit(False)])
    return (promised & rule).fill_null(False)


def _stated(fact: Fact) -> pl.Expr:
    """A fact as the task book states it (`verification._on_targets`): a target fact's target,
    not promised (0, false) when none is given; a context fact from the targets, else as given."""
    target = pl.col(target_column(fact.name))
    if is_target(fact):
        return target.fill_null(False if fact.type == "bool" else 0).alias(_EARN + fact.name)
    return pl.coalesce(target, pl.col(fact.name)).alias(_EARN + fact.name)


@dataclass(frozen=True)
class Verified:
    """Every indicator of every project checked.

    `indicators`: project, rule (an Enum of the rule ids), result (an Enum of RESULTS), in the
    table's order of projects and each direction's order of rules. `projects`: PROJECT_COLUMNS,
    in the table's order; a row with no indicator (its direction has no indicator rule, or its
    targets earn none of its priorities) has completion rate 1.0 and verdict pass
    (`completion_rate`, `verdict_of`)."""

    indicators: pl.DataFrame
    projects: pl.DataFrame


class ColumnVerifier:
    """The indicator rules (`taskbook.indicator_rules`) of every direction of a compiled guide, translated once."""

    def __init__(self, compiled: CompiledGuide) -> None:
        facts = compiled.guide.facts
        params = compiled.parameters
        ints = frozenset(
            [n for n, f in facts.items() if f.type in ("int", "money")]
            + [n for n, v in params.items() if isinstance(v, int) and not isinstance(v, bool)]
        )
        tiers = tier_tables(compiled.tiers)
        self.direction_type = pl.Enum([d.id for d in compiled.guide.directions])
        # Directions holding the same indicator rules (a project's directions share its rules) are
        # one query: its rules' results, one list per row, and the directions whose rows it reads.
        self.groups: dict[tuple[str, ...], tuple[list[str], pl.Expr]] = {}
        rules: dict[str, list[str]] = {}
        used: dict[str, None] = {}
        stated: dict[str, None] = {}
        for d in compiled.guide.directions:
            crs = indicator_rules(compiled, d.id)
            rules[d.id] = [cr.rule.id for cr in crs]
            group = self.groups.get(tuple(rules[d.id]))
            if group is not None:
                group[0].append(d.id)
                continue
            results = []
            for cr in crs:
                reads = [facts[n] for n in cr.names if n in facts]
                code = _indicator(cr.rule.expr, reads, ints, tiers)
                if cr.rule.kind != "commitment":  # a priority rule: an indicator where the targets hold its promise
                    code = pl.when(_earned(cr.rule.expr, reads, ints, tiers)).then(code).otherwise(pl.lit(_NONE, dtype=pl.UInt8))
                    stated.update(dict.fromkeys(f.name for f in reads))
                results.append(code)
            codes = pl.concat_list(results) if results else pl.lit([], dtype=pl.List(pl.UInt8))
            self.groups[tuple(rules[d.id])] = ([d.id], codes)
            used.update(dict.fromkeys(n for cr in crs for n in cr.names))
        self._stated = [_stated(facts[n]) for n in stated]
        self.rule_type = pl.Enum(list(dict.fromkeys(r for ids in rules.values() for r in ids)))
        self._rules = pl.DataFrame(
            {DIRECTION: list(rules), "rule": list(rules.values())},
            schema={DIRECTION: self.direction_type, "rule": pl.List(self.rule_type)},
        )
        # The facts a rule reads as at 立项 (the route, the organisation's standing): a value given
        # with the targets stands for the actual unless the actuals give one, as in `verify`.
        self._context = [n for n in used if n in facts and not is_target(facts[n])]
        # What the expressions read beyond the table: a typed null for a column it lacks, the parameters.
        self._nulls = {
            col: pl.lit(None, dtype=POLARS_TYPES[facts[n].type]).alias(col) for n in used if n in facts for col in (n, target_column(n))
        }
        self._parameters = [pl.lit(params[n]).alias(n) for n in used if n in params]

    def verify(self, frame: pl.DataFrame) -> Verified:
        """Every indicator of every project of a table as `check_actuals` returns it."""
        have = set(frame.columns)
        lf = (
            frame.lazy()
            .with_row_index(_ROW)
            .with_columns(
                [pl.col(DIRECTION).cast(self.direction_type)] + [e for col, e in self._nulls.items() if col not in have] + self._parameters
            )
            .with_columns(self._stated)
            .with_columns([pl.coalesce(n, target_column(n)).alias(n) for n in self._context])
        )
        present = set(frame[DIRECTION].cast(pl.String).unique().to_list())
        # One query per set of rules (on the rows of its directions), all run at once; then one pass over the rows.
        queries = []
        for directions, codes in self.groups.values():
            taken = [d for d in directions if d in present]
            if taken:
                rows_of = pl.col(DIRECTION) == taken[0] if len(taken) == 1 else pl.col(DIRECTION).is_in(taken)
                queries.append(lf.filter(rows_of).select(_ROW, PROJECT, DIRECTION, codes.alias("codes")))
        parts = pl.collect_all(queries)
        schema = pl.Schema({_ROW: pl.UInt32(), PROJECT: frame.schema[PROJECT], DIRECTION: self.direction_type, "codes": pl.List(pl.UInt8)})
        rows = (pl.concat(parts) if parts else pl.DataFrame(schema=schema)).sort(_ROW)
        counts = [
            pl.col("codes").list.count_matches(code).cast(pl.UInt32).alias(name) for code, name in zip((1, 0, 2), COUNTS[1:], strict=True)
        ]
        projects = rows.select(
            PROJECT,
            pl.col(DIRECTION).cast(pl.String),
            (pl.col("codes").list.len() - pl.col("codes").list.count_matches(_NONE)).cast(pl.UInt32).alias("indicators"),
            *counts,
        ).with_columns(
            pl.when(pl.col("indicators") == 0).then(1.0).otherwise(pl.col("passed") / pl.col("indicators")).alias("completion_rate"),
            pl.when(pl.col("failed") > 0)
            .then(pl.lit("fail", dtype=VERDICT_TYPE))
            .when(pl.col("missing") > 0)
            .then(pl.lit("incomplete", dtype=VERDICT_TYPE))
            .otherwise(pl.lit("pass", dtype=VERDICT_TYPE))
            .alias("verdict"),
        )
        indicators = (
            rows.join(self._rules, on=DIRECTION, how="left", maintain_order="left")
            .select(PROJECT, "rule", "codes")
            .explode("rule", "codes")
            .drop_nulls("codes")  # a direction with no rule: an empty list explodes to one null
            .filter(pl.col("codes") != _NONE)
            .select(
                PROJECT,
                "rule",
                pl.col("codes").replace_strict(list(_CODES), list(_CODES.values()), return_dtype=RESULT_TYPE).alias("result"),
            )
        )
        return Verified(indicators, projects)


@lru_cache(maxsize=8)
def verifier(compiled: CompiledGuide) -> ColumnVerifier:
    """The guide's verifier, built once per compiled guide (translating costs more than a small table)."""
    return ColumnVerifier(compiled)


def verify_frame(compiled: CompiledGuide, frame: pl.DataFrame) -> Verified:
    """Every indicator of every project of a table as `check_actuals` returns it."""
    return verifier(compiled).verify(frame)


def verify_file(compiled: CompiledGuide, path: Path | str) -> Verified:
    """Read, check and verify a table of actuals and targets (csv or parquet)."""
    return verify_frame(compiled, read_actuals(path, compiled))

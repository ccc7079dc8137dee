"""免申即享 screening: every organisation of a table against every award direction, column-wise.

The table (csv or parquet) has a column per guide fact plus `name` (单位名称) and `uscc`
(统一社会信用代码). Each direction's gates and formula are the guide's own CEL expressions
translated once into polars expressions (`yongke.guide.columnar.translate`), so a million
organisations are judged in compiled code, never one row at a time in Python.

An organisation qualifies for a direction exactly when a quote with the same facts and no
history would be eligible (see `quote`): every fact the award `requires` is present, no gating
rule fails, and the amount is above 0. As in a quote, a row that gives any fact of a fact
group declared `others: zero` has 0 for the group's facts it leaves empty, and a yes/no or
enum fact the award reads outside `requires` that a row leaves empty is taken at the value
giving the lowest amount (the award rule is then listed in `to_verify` when another value
would give more). A gating rule left undecided by a fact the table does
not hold is not a refusal; the award is found and the rule listed in `to_verify` for the
officer. The found awards are data (`ScreenResult.listed()`) that a later service turns into
claims awaiting the organisation's confirmation (意愿确认); `write_xlsx` and `write_json`
write the 公示 list.

Why it is shaped this way (a million rows should cost about three reads of the file): the
checks of the table are one aggregate query; all directions are one query; a found award is
held as (row, direction, amount, bitmask of undecided gates), and names, codes and rule ids
are attached only when the list is written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import polars as pl

from yongke.awards.quote import lowest_facts, required_facts
from yongke.core import textio
from yongke.core.errors import BadInput
from yongke.guide.columnar import POLARS_TYPES, tier_tables, translate
from yongke.guide.engine import CompiledGuide, referenced_names
from yongke.guide.model import Direction, Fact, Rule, lowest_values

NAME, USCC = "name", "uscc"
XLSX_COLUMNS = ("序号", "单位名称", "统一社会信用代码", "项目", "金额（万元）")
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet holds 1,048,576 rows, one of them the header
# 18 characters: registration authority and kind, 6-digit area code, 9-character organisation code, check character.
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_TRUE = {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}
CHUNK_ROWS = 500_000  # rows screened per query: the progress bar's step, and a bound on working memory


def table_problem(field: str, rule: str, value: Any = None, *, code: str = "bad_orgs", row: int | None = None) -> BadInput:
    """A problem in the table: the column, and the line of the file (header is line 1) when one row is at fault."""
    where = f"{field}（第 {row} 行）" if row is not None else field
    shown = f"（收到 {value}）" if value is not None else ""
    detail: dict[str, Any] = {"field": field, "rule": rule, "value": value}
    if row is not None:
        detail["row"] = row
    return BadInput(f"{where}: {rule}{shown}", code=code, detail=detail)


# --------------------------------------------------------------------------- reading and checking


@dataclass
class _Column:
    """How one column becomes the type the rules read, and what makes a value of it wrong."""

    name: str
    typed: pl.Expr
    problems: list[tuple[pl.Expr, str]] = field(default_factory=list)  # (true where wrong, rule)


def _blank(e: pl.Expr) -> pl.Expr:
    return e.is_null() | (e == "")


def fact_column(name: str, dtype: pl.DataType, fact: Fact) -> _Column:
    raw = pl.col(name)
    if fact.type == "bool":
        if dtype == pl.Boolean:
            return _Column(name, raw)
        text = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
        typed = text.replace_strict(_TRUE, default=None, return_dtype=pl.Boolean)
        return _Column(name, typed, [(typed.is_null() & ~_blank(text), "应为布尔值 true/false / must be a boolean")])
    if fact.type == "date":
        if dtype == pl.Date:
            return _Column(name, raw.cast(pl.String))  # check_orgs maps the few distinct days instead
        if isinstance(dtype, pl.Datetime):
            return _Column(name, raw.dt.date().cast(pl.String))
        text = raw.cast(pl.String).str.strip_chars()
        typed = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.String)
        return _Column(name, typed, [(typed.is_null() & ~_blank(text), "应为日期 YYYY-MM-DD / must be an ISO date")])
    if fact.type in ("enum", "string"):
        typed = raw.cast(pl.String)
        if fact.type == "string":
            return _Column(name, typed)
        return _Column(
            name, typed, [(typed.is_not_null() & ~typed.is_in(list(fact.values)), f"应为 {', '.join(fact.values)} 之一 / unknown value")]
        )
    # int, money, number
    target = pl.Float64 if fact.type == "number" else pl.Int64
    what = "整数（元）" if fact.type == "money" else ("整数" if fact.type == "int" else "数值")
    problems = []
    if dtype.is_integer() or (dtype.is_float() and target == pl.Float64):
        typed = raw.cast(target)
    elif dtype.is_float():
        typed = raw.cast(target, strict=False)
        problems.append((raw.is_not_null() & (raw != raw.floor()), f"应为{what} / wrong type"))
    else:
        text = raw.cast(pl.String).str.strip_chars()
        typed = text.cast(target, strict=False)
        problems.append((typed.is_null() & ~_blank(text), f"应为{what} / wrong type"))
    problems.append(((typed < 0).fill_null(False), "不能为负数 / must not be negative"))
    return _Column(name, typed, problems)


def _columns(frame: pl.DataFrame, compiled: CompiledGuide) -> list[_Column]:
    facts = compiled.guide.facts
    for col in (NAME, USCC):
        if col not in frame.columns:
            raise table_problem(col, "缺少列 / missing column", code="missing_column")
    unknown = [c for c in frame.columns if c not in facts and c not in (NAME, USCC)]
    if unknown:
        # Refused rather than ignored: a misspelt column would silently hide every award it decides.
        raise table_problem(unknown[0], "未声明的事实列 / unknown column (not a fact of the guide)", code="unknown_column")
    name, uscc = pl.col(NAME).cast(pl.String), pl.col(USCC).cast(pl.String)
    cols = [
        # Null or empty; stripping a million names to find blank ones would cost a tenth of the screening.
        _Column(NAME, name, [(_blank(name), "缺少单位名称 / missing value")]),
        _Column(
            USCC,
            uscc,
            [
                (_blank(uscc), "缺少统一社会信用代码 / missing value"),
                (~uscc.str.contains(USCC_PATTERN).fill_null(True), "统一社会信用代码格式不正确 / not a unified social credit code"),
            ],
        ),
    ]
    return cols + [fact_column(c, frame.schema[c], facts[c]) for c in frame.columns if c in facts]


def check_orgs(frame: pl.DataFrame, compiled: CompiledGuide) -> pl.DataFrame:
    """The table with every fact column in the type the rules read; the first wrong value names its column and line."""
    cols = _columns(frame, compiled)
    checks = [(c.name, rule, bad) for c in cols for bad, rule in c.problems]
    flags = frame.select(
        [bad.any().alias(str(i)) for i, (_, _, bad) in enumerate(checks)] + [pl.col(USCC).hash().n_unique().alias("_codes")]
    )
    for i, (column, rule, bad) in enumerate(checks):
        if flags[str(i)][0]:
            at = frame.select(bad.arg_true().first()).item()
            raise table_problem(column, rule, frame[column][at], row=at + 2)
    if flags["_codes"][0] != frame.height:  # a repeated hash: look at the codes themselves
        repeated = frame.select((~pl.col(USCC).is_first_distinct()).arg_true().first()).item()
        if repeated is not None:
            raise table_problem(USCC, "统一社会信用代码重复 / duplicate code", frame[USCC][repeated], row=repeated + 2)
    typed = [c.typed.alias(c.name) for c in cols]
    for i, c in enumerate(cols):
        if c.name in compiled.guide.facts and frame.schema[c.name] == pl.Date:
            # Formatting a million dates costs more than looking up the few hundred distinct ones.
            days = frame[c.name].unique().drop_nulls()
            typed[i] = pl.col(c.name).replace_strict(days, days.cast(pl.String), default=None, return_dtype=pl.String)
    return frame.select(typed)


def read_orgs(path: Path | str, compiled: CompiledGuide) -> pl.DataFrame:
    """Read and check an organisations table (csv or parquet); every problem names its column."""
    p = Path(path)
    if not p.is_file():
        raise table_problem(str(p), "文件不存在 / file not found", code="file_not_found")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":  # any encoding textio reads (GBK from Excel, UTF-16, …), handed to polars as UTF-8
            text = textio.read_text(p, max_bytes=textio.MAX_TABLE_BYTES)
            frame = pl.read_csv(io.BytesIO(text.encode()), infer_schema=False)  # text; typed by the guide's declarations
        elif suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(p)
        else:
            raise table_problem(str(p), "应为 .csv 或 .parquet 文件 / must be csv or parquet", code="bad_format")
    except (pl.exceptions.PolarsError, OSError) as e:
        raise table_problem(str(p), f"无法读取 / cannot read: {str(e).splitlines()[0]}", code="bad_format") from None
    return check_orgs(frame, compiled)


# --------------------------------------------------------------------------- screening


@dataclass
class _Plan:
    direction: Direction
    award: Rule
    requires: tuple[str, ...]
    gates_pass: pl.Expr  # required facts present and no gating rule fails
    amount: pl.Expr
    open_gates: tuple[str, ...]  # rule ids whose undecided state sets bit i of the mask (the award's last, if `lowest`)
    mask: pl.Expr
    # Every combination of values of the award's facts taken at their lowest (`quote.lowest_facts`).
    lowest: tuple[tuple[tuple[str, Any], ...], ...] = ()

    def found(self, lf: pl.LazyFrame, direction_type: pl.Enum) -> pl.LazyFrame:
        """The rows that qualify, with amount and mask; the formula runs only on rows past the gates, once."""
        direction = pl.lit(self.direction.id, dtype=direction_type).alias("direction")
        passed = lf.filter(self.gates_pass)
        if not self.lowest:
            return (
                passed.with_columns(self.amount.alias("amount"))
                .filter(pl.col("amount") > 0)
                .select(pl.col("row"), direction, "amount", self.mask.alias("verify"))
            )
        # As a quote: each empty one of these facts at the value giving the lowest amount (a given
        # one keeps its value), and the award's bit set when another value would give more.
        amounts = [
            passed.with_columns([pl.col(n).fill_null(pl.lit(v)) for n, v in fills]).select(self.amount.alias(f"_amount{i}"))
            for i, fills in enumerate(self.lowest)
        ]
        each = [pl.col(f"_amount{i}") for i in range(len(amounts))]
        low, high = pl.min_horizontal(each), pl.max_horizontal(each)
        bit = pl.when(high > low).then(pl.lit(1 << (len(self.open_gates) - 1), dtype=pl.UInt32)).otherwise(pl.lit(0, dtype=pl.UInt32))
        return (
            pl.concat([passed.select("row", self.mask.alias("verify")), *amounts], how="horizontal")
            .with_columns(low.alias("amount"), (pl.col("verify") | bit).alias("verify"))
            .filter(pl.col("amount") > 0)
            .select(pl.col("row"), direction, "amount", "verify")
        )


def _integer_names(compiled: CompiledGuide) -> frozenset[str]:
    """Names CEL treats as integers, so `/` divides to a whole yuan exactly as the row engine does."""
    return frozenset(
        [n for n, f in compiled.guide.facts.items() if f.type in ("int", "money")]
        + [n for n, v in compiled.parameters.items() if isinstance(v, int) and not isinstance(v, bool)]
    )


@lru_cache(maxsize=8)
def _plans(compiled: CompiledGuide) -> list[_Plan]:
    """Every award direction's polars expressions, built once per compiled guide (building costs more than a small table)."""
    ints = _integer_names(compiled)
    tiers = tier_tables(compiled.tiers)
    plans = []
    for d in compiled.guide.directions:
        award = next((r for r in d.rules if r.kind == "award"), None)
        if award is None or not award.expr:
            continue
        requires = required_facts(compiled.guide, award)
        gates = [(r.id, r.expr) for r in d.rules if r.gating and r.expr]
        present = pl.all_horizontal([pl.col(n).is_not_null() for n in requires]) if requires else pl.lit(True)
        fails = pl.any_horizontal([(~translate(expr, ints, tiers)).fill_null(False) for _, expr in gates]) if gates else pl.lit(False)
        amount = translate(award.expr, ints, tiers)
        if award.cap is not None:
            amount = pl.min_horizontal(amount, pl.col(award.cap) if isinstance(award.cap, str) else pl.lit(award.cap))
        amount = amount.cast(pl.Int64)
        # Only a rule reading a fact outside `requires` can be undecided once the required facts are there.
        open_gates = [(rule_id, expr) for rule_id, expr in gates if set(referenced_names(expr)) - set(requires)]
        bits = [
            pl.when(translate(expr, ints, tiers).is_null()).then(pl.lit(1 << i, dtype=pl.UInt32)).otherwise(pl.lit(0, dtype=pl.UInt32))
            for i, (_, expr) in enumerate(open_gates)
        ]
        mask = pl.sum_horizontal(bits).cast(pl.UInt32) if bits else pl.lit(0, dtype=pl.UInt32)
        lowest = lowest_facts(compiled.guide, award)
        combos = (
            tuple(tuple(zip(lowest, c, strict=True)) for c in product(*(lowest_values(compiled.guide.facts[n]) for n in lowest)))
            if lowest
            else ()
        )
        ids = tuple(rule_id for rule_id, _ in open_gates) + ((award.id,) if lowest else ())
        plans.append(_Plan(d, award, requires, present & ~fails, amount, ids, mask, combos))
    return plans


def _filler(compiled: CompiledGuide, plans: list[_Plan], columns: list[str]) -> list[pl.Expr]:
    """What the expressions read beyond the table: facts it lacks (null, typed as `ColumnarGuide` types them) and parameters.

    Only the names the plans read: a column for each of the guide's 200 facts would cost more to plan than to compute.
    """
    used: set[str] = set()
    for p in plans:
        d = p.direction
        used |= {n for r in d.rules if r.expr and (r.gating or r.kind == "award") for n in referenced_names(r.expr)}
        if p.award.cap is not None and isinstance(p.award.cap, str):
            used.add(p.award.cap)
    facts, params = compiled.guide.facts, compiled.parameters
    out = [pl.lit(None, dtype=POLARS_TYPES[facts[n].type]).alias(n) for n in sorted(used) if n in facts and n not in columns]
    return out + [pl.lit(params[n]).alias(n) for n in sorted(used) if n in params]


def award_directions(compiled: CompiledGuide) -> list[str]:
    """The directions that pay by formula, in the guide's order."""
    return [p.direction.id for p in _plans(compiled)]


def _zero_groups(compiled: CompiledGuide, columns: list[str]) -> list[tuple[str, ...]]:
    """The facts of each `others: zero` fact group the table has a column of (its other facts are then 0)."""
    groups = compiled.guide.fact_groups.values()
    return [g.facts for g in groups if g.others == "zero" and any(n in columns for n in g.facts)]


def _groups_default_zero(compiled: CompiledGuide, orgs: pl.DataFrame) -> pl.DataFrame:
    """The quote's rule for a fact group with `others: zero`: a row that gives any of its facts has 0 for those it does not give."""
    out = orgs
    for names in _zero_groups(compiled, orgs.columns):
        present = [n for n in names if n in out.columns]
        any_given = pl.any_horizontal([pl.col(n).is_not_null() for n in present])
        zero = [pl.lit(0, dtype=POLARS_TYPES[compiled.guide.facts[n].type]) for n in names]
        out = out.with_columns(
            [
                pl.when(any_given).then(pl.col(n).fill_null(z)).otherwise(pl.col(n)).alias(n)
                for n, z in zip(names, zero, strict=True)
                if n in present
            ]
            + [pl.when(any_given).then(z).alias(n) for n, z in zip(names, zero, strict=True) if n not in present]
        )
    return out


@dataclass
class ScreenResult:
    """The organisations screened and the awards found: `awards` holds row, direction, amount (yuan) and `verify` (a bitmask)."""

    orgs: pl.DataFrame
    awards: pl.DataFrame
    directions: dict[str, tuple[str, tuple[str, ...]]]  # id → (name, the rule ids of the bitmask's bits)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def listed(self) -> pl.DataFrame:
        """The found awards as the 公示 list shows them: name, uscc, direction, project, amount, to_verify (rule ids)."""
        a = self.awards
        keys = a.select("direction", "verify").unique()
        decode = pl.DataFrame(
            {
                "direction": keys["direction"],
                "verify": keys["verify"],
                "project": [self.directions[d][0] for d in keys["direction"]],
                "to_verify": [[rid for i, rid in enumerate(self.directions[d][1]) if m >> i & 1] for d, m in keys.iter_rows()],
            },
            schema={"direction": a.schema["direction"], "verify": pl.UInt32, "project": pl.String, "to_verify": pl.List(pl.String)},
        )
        rows = a["row"]
        return (
            a.with_columns(self.orgs[NAME].gather(rows).alias(NAME), self.orgs[USCC].gather(rows).alias(USCC))
            .join(decode, on=["direction", "verify"], how="left", maintain_order="left")
            .select(NAME, USCC, pl.col("direction").cast(pl.String), "project", "amount", "to_verify")
        )

    def summary(self) -> dict[str, Any]:
        by = self.awards.group_by("direction", maintain_order=True).agg(pl.len().alias("count"), pl.col("amount").sum())
        return {
            "orgs": self.orgs.height,
            "found": self.awards.height,
            "total": int(self.awards["amount"].sum() or 0),
            "by_direction": [{"direction": d, "name": self.directions[d][0], "count": n, "amount": s} for d, n, s in by.iter_rows()],
            "skipped": self.skipped,
        }


def awards_screen(
    compiled: CompiledGuide,
    orgs: pl.DataFrame,
    *,
    directions: list[str] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ScreenResult:
    """Every award each organisation qualifies for, with its amount; `orgs` as `check_orgs` returns it.

    `on_rows(n)` is called after each block of n rows, for a progress bar.
    """
    plans = [p for p in _plans(compiled) if directions is None or p.direction.id in directions]
    zeroed = {n for names in _zero_groups(compiled, orgs.columns) for n in names}  # 0 when not given, as in a quote
    skipped, active = [], []
    for plan in plans:
        absent = [n for n in plan.requires if n not in orgs.columns and n not in zeroed]
        if absent:
            skipped.append({"direction": plan.direction.id, "name": plan.direction.name, "missing_columns": absent})
        else:
            active.append(plan)
    direction_type = pl.Enum([p.direction.id for p in plans])
    schema = {"row": pl.UInt32(), "direction": direction_type, "amount": pl.Int64(), "verify": pl.UInt32()}
    facts = _groups_default_zero(compiled, orgs)
    filler = _filler(compiled, active, facts.columns)
    found: list[list[pl.DataFrame]] = [[] for _ in active]  # per direction, per block: concatenated in order, no sort needed
    for start in range(0, max(orgs.height, 1), CHUNK_ROWS):
        lf = facts.slice(start, CHUNK_ROWS).with_row_index("row", offset=start).lazy().with_columns(filler)
        for i, part in enumerate(pl.collect_all([p.found(lf, direction_type) for p in active])):
            found[i].append(part)
        if on_rows:
            on_rows(min(CHUNK_ROWS, orgs.height - start))
    blocks = [b for per_direction in found for b in per_direction]
    awards = pl.concat(blocks, rechunk=True) if blocks else pl.DataFrame(schema=schema)
    return ScreenResult(
        orgs=orgs, awards=awards, directions={p.direction.id: (p.direction.name, p.open_gates) for p in plans}, skipped=skipped
    )


# --------------------------------------------------------------------------- the 公示 list


def _wan(amount: int) -> Decimal:
    """Yuan as 万元, exactly (at most four decimals)."""
    return Decimal(amount) / Decimal(10000)


def write_xlsx(result: ScreenResult, path: Path | str, *, on_rows: Callable[[int], None] | None = None) -> None:
    """The 公示 list as Excel: 序号, 单位名称, 统一社会信用代码, 项目, 金额（万元）."""
    from yongke.core.xlsx import Column, write_table

    if result.awards.height > XLSX_MAX_ROWS:
        raise table_problem(
            "--out-xlsx",
            f"公示名单 {result.awards.height} 行，超过 Excel 单表上限 {XLSX_MAX_ROWS} 行，请改用 --out-json / too many rows for Excel",
            code="too_many_rows",
        )
    columns = [Column(h) for h in XLSX_COLUMNS[:-1]] + [Column(XLSX_COLUMNS[-1], number_format="0.00##")]
    rows = (
        (i, name, uscc, project, _wan(amount))
        for i, (name, uscc, project, amount) in enumerate(result.listed().select(NAME, USCC, "project", "amount").iter_rows(), start=1)
    )
    write_table(path, sheet="公示名单", columns=columns, rows=rows, on_rows=on_rows)


def awards_records(result: ScreenResult) -> pl.DataFrame:
    """The found awards as the JSON list shows them (序号 first, 金额 in yuan and in 万元)."""
    a = result.listed()
    wan = pl.format("{}.{}", pl.col("amount") // 10000, (pl.col("amount") % 10000).cast(pl.String).str.zfill(4))
    return a.select(
        pl.int_range(1, a.height + 1, dtype=pl.Int64).alias("no"),
        NAME,
        USCC,
        "direction",
        "project",
        "amount",
        wan.str.strip_chars_end("0").str.strip_chars_end(".").alias("amount_wan"),
        "to_verify",
    )


def document(result: ScreenResult, *, version: str, year: int) -> dict[str, Any]:
    """The JSON document's header; `awards` follows."""
    return {"version": version, "year": year, **result.summary()}


def write_json(result: ScreenResult, path: Path | str, *, version: str, year: int) -> None:
    """The 公示 list as JSON: the summary, then `awards` (one object per found award)."""
    head = json.dumps(document(result, version=version, year=year), ensure_ascii=False)
    body = awards_records(result).write_json()
    Path(path).write_text(head[:-1] + ', "awards": ' + body + "}\n", encoding="utf-8")

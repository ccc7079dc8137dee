"""The expression helpers (min, max, year, years_between, days_between, tiered) in both engines.

Every helper is computed row-wise by CEL (`CompiledGuide`) and column-wise by polars
(`yongke.guide.columnar`); both must give the same result on every row, a missing argument
making the result missing. Tiered rates are a parameter's `tiers:` table, validated like the
rest of the guide.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import random
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.guide.columnar import ColumnarGuide, tier_tables, translate
from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import parse_guide
from yongke.guide.model import Tier, tiers_text
from yongke.guide.problems import GuideError

AGE = "对成立满3年的技术转移服务机构给予奖励性后补助。"
TIERS = "按照每年促成技术交易额分段给予，1000万元（含）以内部分按1%给予，超过1000万元部分按0.5%给予"
CAP = "单个机构每年最高补助金额不超过100万元"
DIRECTION = f"方向1：技术交易奖励。{AGE}{TIERS}，{CAP}。"
TEXT = f"项目1：技术转移奖补\n{DIRECTION}\n"

FACTS = {
    "transaction_volume": {"type": "money", "unit": "元", "label": "技术交易额（元）", "about": "application"},
    "founded_on": {"type": "date", "label": "成立日期", "about": "organisation"},
    "a": {"type": "int", "unit": "件", "label": "甲", "about": "application"},
    "b": {"type": "int", "unit": "件", "label": "乙", "about": "application"},
    "x": {"type": "number", "unit": "%", "label": "比例", "about": "application"},
    "flag": {"type": "bool", "label": "是否", "about": "application"},
    "d1": {"type": "date", "label": "起始日期", "about": "application"},
    "d2": {"type": "date", "label": "截止日期", "about": "application"},
}
PARAMETERS = {
    "tech_transaction_tiers": {
        "label": "技术交易额补助比例（分段）",
        "unit": "%",
        "tiers": [{"upto": 10_000_000, "rate_pct": 1}, {"rate_pct": 0.5}],
        "assumed": True,
        "source": TIERS,
    },
    "agency_cap": {"value": 1_000_000, "unit": "元", "label": "单个机构每年补助上限", "source": CAP},
}
AWARD = {
    "id": "1.1:award",
    "kind": "award",
    "expr": "min(tiered(transaction_volume, tech_transaction_tiers), agency_cap)",
    "message": "按技术交易额分段给予，每年最高100万元",
    "source": TIERS,
    "requires": ["transaction_volume"],
    "terms": [
        {
            "step": "技术交易额 {transaction_volume} 元，按 {tech_transaction_tiers} 分段计",
            "expr": "tiered(transaction_volume, tech_transaction_tiers)",
            "source": TIERS,
        }
    ],
    "limits": [{"step": CAP, "expr": "agency_cap", "source": CAP, "per_year": True}],
}
RULES = [
    {
        "id": "1.1:age",
        "kind": "eligibility",
        "expr": 'years_between(founded_on, "2022-12-31") >= 3',
        "message": "成立满3年",
        "source": AGE,
    },
    {"id": "1.1:volume", "kind": "eligibility", "expr": "transaction_volume > 0", "message": "已促成技术交易", "source": TIERS},
    AWARD,
]
CASES = [
    {"name": "满3年 交易额1000万元", "facts": {"founded_on": "2019-12-31", "transaction_volume": 10_000_000}, "verdict": "eligible"},
    {
        "name": "差1天满3年",
        "facts": {"founded_on": "2020-01-01", "transaction_volume": 10_000_000},
        "verdict": "not_eligible",
        "rules": {"1.1:age": "fail"},
    },
]


def _raw(rules: list[dict[str, Any]] | None = None, cases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    direction = {
        "id": "1.1",
        "name": "技术交易奖励",
        "text": DIRECTION,
        "rules": rules or RULES,
        "cases": CASES if cases is None else cases,
    }
    project = {"id": "1", "name": "技术转移奖补", "funding": "post", "directions": [direction]}
    return copy.deepcopy(
        {
            "version": "2099",
            "title": "测试指南",
            "facts": FACTS,
            "parameters": PARAMETERS,
            "programmes": [{"id": "1", "name": "测试专项", "name_inferred": True, "projects": [project]}],
        }
    )


@pytest.fixture(scope="module")
def mini() -> CompiledGuide:
    return CompiledGuide(parse_guide(_raw(), text=TEXT, partial=True))


def _rules_guide(exprs: dict[str, tuple[str, str]]) -> CompiledGuide:
    """A guide whose one direction holds a rule per expression: {id suffix: (kind, expr)}."""
    rules = [{"id": f"1.1:{k}", "kind": kind, "expr": e, "message": k, "source": AGE} for k, (kind, e) in exprs.items()]
    return CompiledGuide(parse_guide(_raw(rules=rules, cases=[]), text=TEXT, partial=True))


def _row(compiled: CompiledGuide, facts: dict[str, Any]) -> dict[str, Any]:
    """Each rule's answer on one row: True/False (pass/fail), an amount, or None (missing)."""
    _, outcomes = compiled.evaluate("1.1", facts)
    out: dict[str, Any] = {}
    for cr, result, value, _missing in outcomes:
        key = cr.rule.id.split(":")[1]
        out[key] = None if result == "missing" else value if cr.rule.kind == "award" else result == "pass"
    return out


def _columns(compiled: CompiledGuide, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rules column-wise over a table of the rows (an absent fact is null)."""
    col = ColumnarGuide(compiled)
    ints = frozenset(n for n, f in compiled.guide.facts.items() if f.type in ("int", "money")) | {"agency_cap"}
    names = sorted({n for r in rows for n in r})
    frame = pl.DataFrame({n: [r.get(n) for r in rows] for n in names}) if names else pl.DataFrame({"row": range(len(rows))})
    exprs = [translate(r.expr, ints, tier_tables(compiled.tiers)).alias(r.id.split(":")[1]) for r in compiled.guide.direction("1.1").rules]
    return col.prepare(frame).select(exprs).collect().to_dicts()


def _both(exprs: dict[str, tuple[str, str]], rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    compiled = _rules_guide(exprs)
    return [_row(compiled, r) for r in rows], _columns(compiled, rows)


# --------------------------------------------------------------------------- tiered


@pytest.mark.parametrize(
    ("volume", "amount"),
    [
        (0, 0),
        (1, 0),  # 0.01 yuan: floored
        (99, 0),
        (100, 1),
        (10_000_000, 100_000),  # exactly the tier's bound: all of it at 1%
        (10_000_001, 100_000),  # the one yuan above at 0.5% is half a fen: floored once, at the end
        (10_000_199, 100_000),
        (10_000_200, 100_001),
        (30_000_000, 200_000),
        (250_000_000, 1_300_000),
    ],
)
def test_tiered_pays_each_slice_at_its_rate_floored_once_in_both_engines(volume, amount):
    rows = [{"transaction_volume": volume}]
    by_row, by_column = _both({"t": ("award", "tiered(transaction_volume, tech_transaction_tiers)")}, rows)
    assert by_row == [{"t": amount}]
    assert by_column == [{"t": amount}]


def test_the_floor_is_taken_once_not_per_slice():
    tiers = {"label": "三档", "unit": "%", "tiers": [{"upto": 150, "rate_pct": 1}, {"upto": 300, "rate_pct": 1}, {"rate_pct": 1}]}
    raw = _raw(
        rules=[{"id": "1.1:t", "kind": "award", "expr": "tiered(transaction_volume, three)", "message": "t", "source": AGE}], cases=[]
    )
    raw["parameters"]["three"] = tiers
    compiled = CompiledGuide(parse_guide(raw, text=TEXT, partial=True))
    # 150 yuan in each of two tiers at 1%: 1.5 + 1.5 = 3 yuan; flooring each slice would give 2.
    assert _row(compiled, {"transaction_volume": 300}) == {"t": 3}
    assert _columns(compiled, [{"transaction_volume": 300}]) == [{"t": 3}]


def test_a_tiered_amount_not_given_is_missing_in_both_engines():
    by_row, by_column = _both({"t": ("award", "tiered(transaction_volume, tech_transaction_tiers)")}, [{}])
    assert by_row == [{"t": None}]
    assert by_column == [{"t": None}]


def test_a_tiers_table_can_be_overridden_like_any_parameter():
    guide = parse_guide(_raw(), text=TEXT, partial=True)
    compiled = CompiledGuide(guide, parameters={"tech_transaction_tiers": [{"upto": 5_000_000, "rate_pct": 2}, {"rate_pct": 1}]})
    answer = compiled.check("1.1", {"founded_on": "2019-01-01", "transaction_volume": 10_000_000})
    assert {r["id"]: r.get("amount") for r in answer["rules"]}["1.1:award"] == 150_000
    assert compiled.tiers["tech_transaction_tiers"] == (Tier(rate_pct=2, upto=5_000_000), Tier(rate_pct=1))


@pytest.mark.parametrize(
    "table",
    [
        [{"rate_pct": 1}, {"upto": 5_000_000, "rate_pct": 2}],
        [{"upto": 5_000_000, "rate_pct": 1}, {"upto": 1_000_000, "rate_pct": 1}, {"rate_pct": 1}],
        [{"upto": 5_000_000, "rate_pct": 1e-9}, {"rate_pct": 1}],
        [],
        5,
    ],
)
def test_an_override_that_is_not_a_tiers_table_is_refused(table):
    guide = parse_guide(_raw(), text=TEXT, partial=True)
    with pytest.raises(ValueError, match="分段表"):
        CompiledGuide(guide, parameters={"tech_transaction_tiers": table})


# --------------------------------------------------------------------------- min and max


@pytest.mark.parametrize(
    ("expr", "facts", "want"),
    [
        ("min(a, b) == 2", {"a": 2, "b": 3}, True),
        ("max(a, b) == 3", {"a": 2, "b": 3}, True),
        ("min(a, b, 1) == 1", {"a": 2, "b": 3}, True),
        ("max(a, b, 10) == 10", {"a": 2, "b": 3}, True),
        ("min(a, x) == 2.5", {"a": 3, "x": 2.5}, True),
        ("max(a, x) == 3.0", {"a": 3, "x": 2.5}, True),
        ("min(a, b) == 0", {"a": 0, "b": 0}, True),
        ("min(a, b) > 2", {"a": 2, "b": 3}, False),
        ("min(a, b) >= 2", {"b": 3}, None),  # a missing argument: the result is missing (pl.min_horizontal would skip it)
        ("max(a, b) >= 2", {"a": 3}, None),
        ("min(a, b) >= 2 || flag", {"b": 3, "flag": True}, True),  # an alternative that passes still passes
        ("min(a, b) >= 2 && flag", {"b": 3, "flag": False}, False),
    ],
)
def test_min_and_max_agree_and_a_missing_argument_is_missing(expr, facts, want):
    by_row, by_column = _both({"r": ("priority", expr)}, [facts])
    assert by_row == [{"r": want}]
    assert by_column == [{"r": want}]


def test_min_caps_a_tiered_amount_in_both_engines():
    rows = [{"transaction_volume": v} for v in (0, 10_000_000, 190_000_000, 190_000_200, 10**10)]
    by_row, by_column = _both({"t": ("award", "min(tiered(transaction_volume, tech_transaction_tiers), agency_cap)")}, rows)
    assert [r["t"] for r in by_row] == [0, 100_000, 1_000_000, 1_000_000, 1_000_000]
    assert by_column == by_row


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("d1", "d2", "years", "days"),
    [
        ("2020-03-01", "2023-02-28", 2, 1094),  # a day short of three years
        ("2020-03-01", "2023-03-01", 3, 1095),
        ("2020-02-29", "2021-02-28", 0, 365),  # begun on 29 February: the year completes on 1 March
        ("2020-02-29", "2021-03-01", 1, 366),
        ("2020-02-29", "2024-02-29", 4, 1461),
        ("2023-06-01", "2020-01-01", -3, -1247),  # backwards: negative, whole years only
        ("2022-12-31", "2022-12-31", 0, 0),
    ],
)
def test_years_and_days_between_agree_in_both_engines(d1, d2, years, days):
    exprs = {"y": ("award", "years_between(d1, d2)"), "d": ("award", "days_between(d1, d2)"), "yr": ("award", "year(d2)")}
    by_row, by_column = _both(exprs, [{"d1": d1, "d2": d2}])
    want = {"y": years, "d": days, "yr": int(d2[:4])}
    assert by_row == [want]
    assert by_column == [want]


def test_a_date_helper_with_a_date_not_given_is_missing():
    exprs = {"y": ("award", "years_between(d1, d2)"), "d": ("award", "days_between(d1, d2)"), "yr": ("award", "year(d1)")}
    by_row, by_column = _both(exprs, [{"d2": "2022-01-01"}])
    assert by_row == [{"y": None, "d": None, "yr": None}]
    assert by_column == by_row


def _anniversaries(start: dt.date, end: dt.date) -> int:
    """The documented rule told another way: count the anniversaries up to `end` (29 February's on 1 March)."""

    def anniversary(k: int) -> dt.date:
        try:
            return start.replace(year=start.year + k)
        except ValueError:
            return dt.date(start.year + k, 3, 1)

    return sum(1 for k in range(1, end.year - start.year + 1) if anniversary(k) <= end)


@given(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
def test_years_between_counts_the_anniversaries_passed(a, b):
    compiled = _years_guide()
    want = _anniversaries(a, b) if b >= a else -_anniversaries(b, a)
    assert _row(compiled, {"d1": a.isoformat(), "d2": b.isoformat()}) == {"y": want}


@functools.cache
def _years_guide() -> CompiledGuide:
    return _rules_guide({"y": ("award", "years_between(d1, d2)")})


# --------------------------------------------------------------------------- both engines agree

AGREEMENT = {
    "min2": ("priority", "min(a, b) >= 3"),
    "max3": ("priority", "max(a, b, 4) < 10 || flag"),
    "minx": ("priority", "min(a, x) <= 2.5"),
    "age": ("priority", "years_between(d1, d2) >= 2"),
    "days": ("priority", "days_between(d1, d2) > 30 && flag"),
    "year": ("priority", "year(d1) == 2020 || !flag"),
    "gate": ("priority", "tiered(transaction_volume, tech_transaction_tiers) >= 100000"),
    "tiered": ("award", "tiered(transaction_volume, tech_transaction_tiers)"),
    "capped": ("award", "min(tiered(transaction_volume, tech_transaction_tiers), agency_cap)"),
    "biggest": ("award", "max(a, b, a + b / 2)"),
    "years": ("award", 'years_between(d1, "2022-12-31")'),
    "span": ("award", "days_between(d1, d2)"),
}


def _random_row(rnd: random.Random) -> dict[str, Any]:
    start = dt.date(2016, 1, 1) + dt.timedelta(days=rnd.randrange(3300))
    if rnd.random() < 0.3:  # near an anniversary, where whole years change
        end = dt.date(min(start.year + rnd.randrange(5), 2030), start.month, min(start.day, 28)) + dt.timedelta(days=rnd.randrange(-2, 3))
    else:
        end = start + dt.timedelta(days=rnd.randrange(-800, 2500))
    volume = rnd.choice([0, 1, 9_999_999, 10_000_000, 10_000_001, 10_000_199, 10_000_200, 190_000_000, rnd.randrange(10**9)])
    row = {
        "a": rnd.randrange(12),
        "b": rnd.randrange(12),
        "x": rnd.choice([0.0, 1.5, 2.5, 3.0, 7.25]),
        "flag": rnd.random() < 0.5,
        "d1": start.isoformat(),
        "d2": end.isoformat(),
        "transaction_volume": volume,
    }
    return {k: v for k, v in row.items() if rnd.random() > 0.1}  # each fact missing one time in ten


def test_both_engines_agree_on_every_row_of_a_seeded_table():
    rnd = random.Random(2022)
    rows = [_random_row(rnd) for _ in range(3000)]
    by_row, by_column = _both(AGREEMENT, rows)
    differ = [(rows[i], r, c) for i, (r, c) in enumerate(zip(by_row, by_column, strict=True)) if r != c]
    assert differ == []
    # The table reaches every outcome: each boolean rule passes, fails and is missing somewhere.
    for key, (kind, _) in AGREEMENT.items():
        seen = {r[key] if kind == "priority" else r[key] is None for r in by_row}
        assert seen >= ({True, False, None} if kind == "priority" else {True, False}), key


# --------------------------------------------------------------------------- a guide that uses them


def _amount(answer: dict[str, Any]) -> int | None:
    return next(r.get("amount") for r in answer["rules"] if r["kind"] == "award")


def test_a_guide_with_tiered_and_min_checks_row_wise(mini):
    facts = {"founded_on": "2019-12-31", "transaction_volume": 10_000_001}
    answer = mini.check("1.1", facts)
    assert answer["verdict"] == "eligible"
    assert _amount(answer) == 100_000
    assert _amount(mini.check("1.1", {**facts, "transaction_volume": 500_000_000})) == 1_000_000
    assert mini.check("1.1", {**facts, "founded_on": "2020-01-01"})["failing"] == ["1.1:age"]
    incomplete = mini.check("1.1", {"transaction_volume": 10_000_000})
    assert incomplete["verdict"] == "incomplete"
    assert incomplete["missing_facts"] == ["founded_on"]  # the tiers table is no fact to give


def test_the_column_screen_gives_the_same_verdicts(mini):
    rows = [
        {"founded_on": "2019-12-31", "transaction_volume": 10_000_000},
        {"founded_on": "2020-01-01", "transaction_volume": 10_000_000},
        {"founded_on": "2016-02-29", "transaction_volume": 0},
        {"transaction_volume": 1},
        {"founded_on": "2019-12-31"},
    ]
    codes = ColumnarGuide(mini).screen(pl.DataFrame(rows, schema={"founded_on": pl.String, "transaction_volume": pl.Int64}))
    want = [mini.check("1.1", r)["verdict"] for r in rows]
    assert want == ["eligible", "not_eligible", "not_eligible", "incomplete", "incomplete"]
    assert [("eligible", "not_eligible", "incomplete")[c] for c in codes["1.1"]] == want


def test_a_breakdown_shows_the_rate_table_and_marks_the_assumed_tiers(mini):
    parts = mini.award_breakdown("1.1", {"founded_on": "2019-12-31", "transaction_volume": 30_000_000})
    assert parts is not None
    assert parts.amount == 200_000
    assert parts.steps == [
        {"step": "技术交易额 30000000 元，按 1%（≤1000万元）/ 0.5%（以上部分） 分段计（待定参数）", "amount": 200_000, "source": TIERS}
    ]
    assert parts.assumed == ["tech_transaction_tiers"]


def test_a_cut_by_the_cap_is_a_negative_step(mini):
    parts = mini.award_breakdown("1.1", {"founded_on": "2019-12-31", "transaction_volume": 500_000_000})
    assert parts is not None
    assert [s["amount"] for s in parts.steps] == [2_550_000, -1_550_000]
    assert parts.amount == 1_000_000


def test_a_tiers_parameter_reads_as_its_table(mini):
    p = mini.guide.parameters["tech_transaction_tiers"]
    assert p.shown == "1%（≤1000万元）/ 0.5%（以上部分）"
    assert p.value == [{"upto": 10_000_000, "rate_pct": 1}, {"rate_pct": 0.5}]
    assert mini.guide.parameters["agency_cap"].shown == "1000000元"
    assert "tech_transaction_tiers" not in mini.parameters  # no expression's context holds a table
    three = (Tier(rate_pct=1, upto=10_000_000), Tier(rate_pct=0.5, upto=100_000_000), Tier(rate_pct=0.25))
    assert tiers_text(three) == "1%（≤1000万元）/ 0.5%（超过1000万元至1亿元部分）/ 0.25%（以上部分）"


# --------------------------------------------------------------------------- refused


def _refused(raw: dict[str, Any]) -> GuideError:
    with pytest.raises(GuideError) as e:
        parse_guide(raw, text=TEXT, partial=True)
    return e.value


def _with_award_expr(expr: str) -> dict[str, Any]:
    raw = _raw()
    award = raw["programmes"][0]["projects"][0]["directions"][0]["rules"][2]
    award["expr"] = expr
    return raw


@pytest.mark.parametrize(
    ("tiers", "problem"),
    [
        ([{"upto": 10_000_000, "rate_pct": 1}, {"upto": 10_000_000, "rate_pct": 0.5}, {"rate_pct": 0.2}], "upto 须严格递增"),
        ([{"upto": 20_000_000, "rate_pct": 1}, {"upto": 10_000_000, "rate_pct": 0.5}, {"rate_pct": 0.2}], "upto 须严格递增"),
        ([{"rate_pct": 1}, {"upto": 10_000_000, "rate_pct": 0.5}], "只有最后一档不写 upto"),
        ([{"upto": 10_000_000, "rate_pct": 1}], "最后一档（以上部分），不写 upto"),
        ([{"upto": 10_000_000, "rate_pct": -1}, {"rate_pct": 0.5}], "rate_pct 不能为负数"),
        ([{"upto": 10_000_000, "rate_pct": 0.123456}, {"rate_pct": 0.5}], "最多 4 位小数"),
        ([{"upto": 0, "rate_pct": 1}, {"rate_pct": 0.5}], "upto 应为正整数"),
        ([], "至少要有一项"),
    ],
)
def test_a_bad_tiers_table_is_refused_naming_the_rule(tiers, problem):
    raw = _raw()
    raw["parameters"]["tech_transaction_tiers"]["tiers"] = tiers
    error = _refused(raw)
    assert problem in error.message
    assert "parameters.tech_transaction_tiers.tiers" in error.message


def test_a_parameter_with_both_a_value_and_tiers_is_refused():
    raw = _raw()
    raw["parameters"]["tech_transaction_tiers"]["value"] = 1
    assert "value 或 tiers 之一" in _refused(raw).message
    del raw["parameters"]["tech_transaction_tiers"]["value"]
    del raw["parameters"]["tech_transaction_tiers"]["tiers"]
    assert "参数须有 value 或 tiers" in _refused(raw).message


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("min(tech_transaction_tiers, agency_cap)", "分段参数只能作为 tiered"),
        ("tech_transaction_tiers", "分段参数只能作为 tiered"),
        ("tiered(transaction_volume, agency_cap)", "tiered 的第二个参数须为分段参数"),
        ("tiered(transaction_volume, transaction_volume / 2)", "tiered 的第二个参数须为分段参数"),
        ("floor(transaction_volume)", "未知的函数 floor"),
        ("min(transaction_volume)", "min 需要至少 2 个参数（收到 1 个）"),
        ("tiered(transaction_volume)", "tiered 需要2 个参数（收到 1 个）"),
        ("year(founded_on, founded_on) + 0", "year 需要1 个参数（收到 2 个）"),
        ("transaction_volume.tiered(tech_transaction_tiers)", "不能写成方法调用"),
        ("year(transaction_volume)", "year 的第 1 个参数应为日期"),
        ('days_between(founded_on, "2022-13-01")', "days_between 的第 2 个参数应为日期"),
        ("tiered(x, tech_transaction_tiers)", "tiered 的第 1 个参数应为整数（元）"),
        ("max(transaction_volume, flag)", "max 的第 2 个参数应为数值"),
    ],
)
def test_a_helper_misused_is_refused_naming_the_rule(expr, problem):
    error = _refused(_with_award_expr(expr))
    assert "规则 1.1:award" in error.message
    assert problem in error.message


def test_a_cap_naming_a_tiers_parameter_is_refused():
    raw = _raw()
    raw["programmes"][0]["projects"][0]["directions"][0]["rules"][2]["cap"] = "tech_transaction_tiers"
    error = _refused(raw)
    assert "规则 1.1:award" in error.message
    assert "cap 不能是分段参数" in error.message


def test_a_step_misusing_a_helper_is_refused_at_the_step():
    raw = _raw()
    raw["programmes"][0]["projects"][0]["directions"][0]["rules"][2]["terms"][0]["expr"] = "max(transaction_volume)"
    error = _refused(raw)
    assert "terms[0].expr" in error.message
    assert "max 需要至少 2 个参数" in error.message


def test_validation_without_the_cases_still_refuses_a_misused_helper():
    with pytest.raises(GuideError) as e:
        parse_guide(_with_award_expr("min(transaction_volume)"), text=TEXT, partial=True, check_cases=False)
    assert "min 需要至少 2 个参数" in e.value.message

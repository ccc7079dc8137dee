"""The management rules of projects, as data (`data/rules.yaml`): the time to sign, the default
payment plan, and each kind of change's limits, each with the clause it comes from.

Pure: reads the file, checks its shape, and answers questions on plain values (no Django), so
the rules can be tested at their limits on their own.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from yongke.core.workdays import add_months as add_months  # the months the change rules count, for their callers

RULES_FILE = Path(__file__).with_name("data") / "rules.yaml"
CONDITIONS = ("signing", "midterm", "acceptance")


@dataclass(frozen=True)
class TrancheRule:
    label: str
    share_pct: int
    condition: str


@dataclass(frozen=True)
class Rules:
    sign_days: int
    sign_source: str
    sign_reminder_days: int
    tranches: tuple[TrancheRule, ...]
    tranches_source: str
    extension_max_times: int
    extension_max_months: int
    extension_min_months_before_end: int
    extension_source: str
    budget_total_unchanged: bool
    budget_no_increase: tuple[str, ...]
    budget_source: str
    targets_source: str
    sources: dict[str, str]  # by change kind: the clause a refusal cites


def _int(raw: dict[str, Any], key: str, where: str, low: int = 0, high: int = 3650) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{RULES_FILE.name}: {where}.{key} must be an integer from {low} to {high}")
    return value


def parse_rules(raw: dict[str, Any]) -> Rules:
    """The rules from the file's mapping; a malformed file is an error naming the key."""
    signing, payments, changes = raw["signing"], raw["payments"], raw["changes"]
    tranches = tuple(
        TrancheRule(str(t["label"]), _int(t, "share_pct", "payments.tranches", 1, 100), str(t["condition"])) for t in payments["tranches"]
    )
    if sum(t.share_pct for t in tranches) != 100:
        raise ValueError(f"{RULES_FILE.name}: payments.tranches shares must add up to 100")
    if any(t.condition not in CONDITIONS for t in tranches):
        raise ValueError(f"{RULES_FILE.name}: payments.tranches condition must be one of {', '.join(CONDITIONS)}")
    ext, budget = changes["extension"], changes["budget"]
    return Rules(
        sign_days=_int(signing, "days", "signing", 1, 365),
        sign_source=str(signing["source"]),
        sign_reminder_days=_int(signing, "reminder_days", "signing", 1, 60),
        tranches=tranches,
        tranches_source=str(payments["source"]),
        extension_max_times=_int(ext, "max_times", "changes.extension", 0, 10),
        extension_max_months=_int(ext, "max_months", "changes.extension", 1, 120),
        extension_min_months_before_end=_int(ext, "min_months_before_end", "changes.extension", 0, 24),
        extension_source=str(ext["source"]),
        budget_total_unchanged=bool(budget.get("total_unchanged", True)),
        budget_no_increase=tuple(str(c) for c in budget.get("no_increase", ())),
        budget_source=str(budget["source"]),
        targets_source=str(changes["targets"]["source"]),
        sources={kind: str(spec["source"]) for kind, spec in changes.items()},
    )


@functools.cache
def rules() -> Rules:
    return parse_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


def split_shares(total: int, shares: list[int]) -> list[int]:
    """`total` yuan split by percentage shares (adding up to 100): each part floored, the last
    taking what is left, so the parts always add up to the total."""
    parts = [total * s // 100 for s in shares[:-1]]
    return [*parts, total - sum(parts)]


def extension_problem(rules: Rules, *, ends_on: dt.date, new_ends_on: dt.date, requested_on: dt.date, used: int) -> str | None:
    """Why an extension may not be asked for (None when it may): at most `max_times`, to a
    later date at most `max_months` after the current end, asked at least
    `min_months_before_end` before it."""
    if used >= rules.extension_max_times:
        return f"项目延期已申请过 {used} 次，最多 {rules.extension_max_times} 次"
    if new_ends_on <= ends_on:
        return f"延期后的结束日期须晚于现结束日期 {ends_on.isoformat()}"
    latest = add_months(ends_on, rules.extension_max_months)
    if new_ends_on > latest:
        return f"延期不能超过 {rules.extension_max_months} 个月，最迟至 {latest.isoformat()}"
    cutoff = add_months(ends_on, -rules.extension_min_months_before_end)
    if requested_on > cutoff:
        return (
            f"延期须在项目结束日期 {ends_on.isoformat()} 前 {rules.extension_min_months_before_end} 个月"
            f"（{cutoff.isoformat()} 前，含当日）提出"
        )
    return None


def budget_problem(
    rules: Rules, *, before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], labels: dict[str, str]
) -> str | None:
    """Why a budget adjustment is refused (None when allowed): lines are (fiscal, self_raised)
    by category; the fiscal and self-raised totals stay the same, and no line the rules forbid
    increasing grows — neither its 财政资助 nor its 自筹经费 (a line's total kept by trading the
    unit's own money for the city's still moves the city's money into it)."""
    parts = ((0, "财政资助"), (1, "自筹经费"))
    if rules.budget_total_unchanged:
        for i, part in parts:
            was, now = sum(v[i] for v in before.values()), sum(v[i] for v in after.values())
            if now != was:
                return f"经费预算调剂不能改变{part}总额（调剂前 {was:,} 元，调剂后 {now:,} 元）"
    for category in rules.budget_no_increase:
        line_was, line_now = before.get(category, (0, 0)), after.get(category, (0, 0))
        for i, part in parts:
            if line_now[i] > line_was[i]:
                return f"「{labels.get(category, category)}」预算不得调增（{part}调剂前 {line_was[i]:,} 元，调剂后 {line_now[i]:,} 元）"
    return None

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


# --------------------------------------------------------------------------- after signing

RECOVER_PARTS = ("unused", "misused", "paid")
SUBJECTS = ("leader", "organisation")


@dataclass(frozen=True)
class Consequence:
    """A credit consequence of an outcome: who (the leader or the organisation), for how long
    (whole years, or until the matter is done), and the clause it comes from."""

    code: str
    subject: str
    years: int | None
    until_done: bool
    source: str


@dataclass(frozen=True)
class PostAwardRules:
    midterm_min_amount: int
    midterm_min_months: int
    midterm_at_share_pct: int
    midterm_rectify_months: int
    midterm_rectify_times: int
    midterm_source: str
    remind_before_days: int
    remind_after_days: int
    reports_source: str
    final_report_months: int
    acceptance_within_months: int
    documents_below: int
    experts: int
    rectify_months: int
    rectify_times: int
    acceptance_source: str
    recover: dict[str, tuple[str, ...]]  # by outcome (termination, revocation, failed): the parts recovered
    recover_sources: dict[str, str]
    recovery_due_days: int
    consequences: dict[str, Consequence]


def parse_consequence(code: str, raw: Any, where: str) -> Consequence:
    """One consequence from its mapping (the rules file's or a call's override), checked."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}.{code} must be a mapping")
    subject = raw.get("subject")
    if subject not in SUBJECTS:
        raise ValueError(f"{where}.{code}.subject must be one of {', '.join(SUBJECTS)}")
    until_done = bool(raw.get("until_done", False))
    years = None if until_done else _int(raw, "years", f"{where}.{code}", 1, 20)
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}.{code}.source must be the clause it comes from")
    return Consequence(code=code, subject=subject, years=years, until_done=until_done, source=source)


def parse_postaward(raw: dict[str, Any]) -> PostAwardRules:
    midterm, reports, acceptance, closure = raw["midterm"], raw["reports"], raw["acceptance"], raw["closure"]
    recover: dict[str, tuple[str, ...]] = {}
    for outcome in ("termination", "revocation", "failed"):
        parts = tuple(str(x) for x in closure[outcome]["recover"])
        if any(x not in RECOVER_PARTS for x in parts):
            raise ValueError(f"{RULES_FILE.name}: closure.{outcome}.recover must list {', '.join(RECOVER_PARTS)}")
        recover[outcome] = parts
    return PostAwardRules(
        midterm_min_amount=_int(midterm, "min_amount", "midterm", 0, 10**12),
        midterm_min_months=_int(midterm, "min_months", "midterm", 1, 120),
        midterm_at_share_pct=_int(midterm, "at_share_pct", "midterm", 1, 99),
        midterm_rectify_months=_int(midterm, "rectify_months", "midterm", 1, 12),
        midterm_rectify_times=_int(midterm, "rectify_times", "midterm", 0, 3),
        midterm_source=str(midterm["source"]),
        remind_before_days=_int(reports, "before_days", "reports", 1, 90),
        remind_after_days=_int(reports, "after_days", "reports", 1, 90),
        reports_source=str(reports["source"]),
        final_report_months=_int(acceptance, "final_report_months", "acceptance", 1, 24),
        acceptance_within_months=_int(acceptance, "within_months", "acceptance", 1, 24),
        documents_below=_int(acceptance, "documents_below", "acceptance", 0, 10**12),
        experts=_int(acceptance, "experts", "acceptance", 1, 15),
        rectify_months=_int(acceptance, "rectify_months", "acceptance", 1, 12),
        rectify_times=_int(acceptance, "rectify_times", "acceptance", 0, 3),
        acceptance_source=str(acceptance["source"]),
        recover=recover,
        recover_sources={o: str(closure[o]["source"]) for o in recover},
        recovery_due_days=_int(closure, "due_days", "closure", 1, 365),
        consequences={code: parse_consequence(code, spec, "consequences") for code, spec in raw["consequences"].items()},
    )


@functools.cache
def postaward() -> PostAwardRules:
    """The rules after signing: mid-term checks, reports, acceptance, recovery, credit consequences."""
    return parse_postaward(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


def recovery_amount(parts: tuple[str, ...], *, paid: int, spent: int, misused: int) -> tuple[int, int, int]:
    """(unused, misused, due) for an outcome's parts: `paid` is the 财政资金 paid, `spent` what
    the unit spent of it (reported; never more than paid), `misused` what the officer found
    spent against the rules (never more than spent). Recovering `paid` recovers everything."""
    spent = min(spent, paid)
    misused = min(misused, spent)
    unused = paid - spent
    if "paid" in parts:
        return unused, misused, paid
    due = (unused if "unused" in parts else 0) + (misused if "misused" in parts else 0)
    return unused, misused, due


def months_between(starts_on: dt.date, ends_on: dt.date) -> int:
    """Whole calendar months from `starts_on` to `ends_on` (a period ending the day before the
    same day N months later counts N)."""
    after = ends_on + dt.timedelta(days=1)
    months = (after.year - starts_on.year) * 12 + after.month - starts_on.month
    while months > 0 and add_months(starts_on, months) > after:
        months -= 1
    return max(months, 0)


def midterm_required(*, amount: int, starts_on: dt.date, ends_on: dt.date, min_amount: int, min_months: int) -> bool:
    """Whether a project has a mid-term check: 财政资助 at least `min_amount`, or a period longer than `min_months`."""
    return amount >= min_amount or months_between(starts_on, ends_on) > min_months


def midterm_due(starts_on: dt.date, ends_on: dt.date, share_pct: int) -> dt.date:
    """The mid-term report's due date: `share_pct` of the period in."""
    return starts_on + dt.timedelta(days=(ends_on - starts_on).days * share_pct // 100)


def final_report_due(ends_on: dt.date, months: int) -> dt.date:
    """The final report (asking for acceptance) is due `months` after the end."""
    return add_months(ends_on, months)


def acceptance_due(ends_on: dt.date, months: int) -> dt.date:
    """Acceptance is to be done within `months` after the end."""
    return add_months(ends_on, months)

"""The rule engine: every expression compiled once, each application evaluated to verdicts.

Row-wise evaluation uses CEL (the `common-expression-language` package, a compiled CEL
implementation). An `||` passes as soon as one alternative passes, even when the facts of
another are missing, which is exactly the guide's "或". A rule whose facts are missing and
that cannot be decided without them is `missing`.

The expression helpers of docs/guide-format.md (`min`, `max`, `year`, `years_between`,
`days_between`, `tiered`) are Python functions given to CEL, and only to the rules that call
them. A missing argument is an undefined variable to CEL, so a helper never sees it and the
rule is `missing`, as for any other expression. `yongke.guide.columnar` computes the same
helpers column-wise; the two must agree on every row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import cel

from yongke.core.errors import BadInput
from yongke.guide.facts import coerce_facts
from yongke.guide.model import STEP_NAME, AwardStep, Direction, Fact, Guide, Parameter, Rule, Tier, tiers_text


@lru_cache(maxsize=4096)
def _compile(expr: str) -> Any:
    return cel.compile(expr)


def referenced_names(expr: str) -> list[str]:
    """The variables an expression reads; raises ValueError when it does not compile."""
    return list(_compile(expr).variables())


def called_functions(expr: str) -> list[str]:
    """The named functions an expression calls (`size`, `min`, …; not its operators)."""
    return [f for f in _compile(expr).functions() if f[:1].isalpha()]


# --------------------------------------------------------------------------- helpers

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _numbers(fn: str, args: tuple[Any, ...]) -> None:
    if len(args) < 2:
        raise TypeError(f"{fn} 需要至少 2 个参数 / {fn} takes two or more arguments")
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            raise TypeError(f"{fn}: 参数应为数值 / {fn} takes numbers (got {a!r})")


def _least(*args: Any) -> int | float:
    """`min(a, b, …)`: a decimal when any argument is one (as the column engine's supertype)."""
    _numbers("min", args)
    m: int | float = min(args)
    return float(m) if any(isinstance(a, float) for a in args) else m


def _greatest(*args: Any) -> int | float:
    _numbers("max", args)
    m: int | float = max(args)
    return float(m) if any(isinstance(a, float) for a in args) else m


def as_date(value: Any) -> dt.date:
    """A date fact's value (ISO text, as `coerce_facts` gives it) or a date literal `"2022-12-31"`."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise TypeError(f"应为日期 YYYY-MM-DD / a date is YYYY-MM-DD (got {value!r})")
    return dt.date.fromisoformat(value)


def _year(d: Any) -> int:
    return as_date(d).year


def _completed_years(start: dt.date, end: dt.date) -> int:
    """Whole years from `start` to a later `end`, as an age counts them: a year is complete on
    the month and day it began (one begun on 29 February, on 1 March of a common year)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _years_between(a: Any, b: Any) -> int:
    start, end = as_date(a), as_date(b)
    return _completed_years(start, end) if end >= start else -_completed_years(end, start)


def _days_between(a: Any, b: Any) -> int:
    return (as_date(b) - as_date(a)).days


def _rate_ok(rate: Any) -> bool:
    """As the schema's: a number, not negative, with at most 4 decimals."""
    return isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate >= 0 and round(rate, 4) == rate


def tiers_of(value: Any) -> tuple[Tier, ...]:
    """A tiers table from its JSON form, a list of `{upto, rate_pct}` (a parameter override, or
    the table as CEL hands it to `tiered`); ValueError unless it is a table the schema accepts."""
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(t, (Tier, dict)) for t in value):
        raise ValueError(f"分段表应为 {{upto, rate_pct}} 的非空列表 / a tiers table is a list of {{upto, rate_pct}}: {value!r}")
    tiers = tuple(t if isinstance(t, Tier) else Tier(rate_pct=t.get("rate_pct"), upto=t.get("upto")) for t in value)
    bounds = [t.upto for t in tiers[:-1]]
    whole = [b for b in bounds if isinstance(b, int) and not isinstance(b, bool) and b > 0]
    ok = len(whole) == len(bounds) and tiers[-1].upto is None and all(a < b for a, b in itertools.pairwise(whole))
    if not ok or not all(_rate_ok(t.rate_pct) for t in tiers):
        raise ValueError(f"分段表不合规：upto 严格递增、仅最后一档不写 upto、比例不为负且至多 4 位小数 / not a tiers table: {value!r}")
    return tiers


def tiered_amount(amount: int, tiers: Sequence[Tier]) -> int:
    """Each slice of `amount` times its tier's rate, summed exactly and floored to whole yuan
    once, at the end (never per slice)."""
    total = Fraction(0)
    lower = 0
    for t in tiers:
        top = amount if t.upto is None else min(amount, t.upto)
        if top > lower:
            total += (top - lower) * t.rate
        if t.upto is None:
            break
        lower = t.upto
    return math.floor(total)


def _tiered(amount: Any, table: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"tiered 的金额应为整数（元）/ tiered takes whole yuan (got {amount!r})")
    return tiered_amount(amount, tiers_of(table))


@dataclass(frozen=True)
class Helper:
    """An expression helper: the function CEL calls, and how many arguments it takes."""

    fn: Callable[..., Any]
    least: int
    most: int | None  # None: any number from `least`
    usage: str


HELPERS: dict[str, Helper] = {
    "min": Helper(_least, 2, None, "min(a, b, …)"),
    "max": Helper(_greatest, 2, None, "max(a, b, …)"),
    "year": Helper(_year, 1, 1, "year(date)"),
    "years_between": Helper(_years_between, 2, 2, "years_between(from, to)"),
    "days_between": Helper(_days_between, 2, 2, "days_between(from, to)"),
    "tiered": Helper(_tiered, 2, 2, "tiered(amount, tiers_parameter)"),
}


def arity_problem(name: str, count: int) -> str | None:
    """Why a helper cannot be called with `count` arguments, or None when it can."""
    h = HELPERS[name]
    if h.least <= count and (h.most is None or count <= h.most):
        return None
    want = f"至少 {h.least} 个参数" if h.most is None else f"{h.least} 个参数"
    english = f"{'at least ' if h.most is None else ''}{h.least} argument{'s' if h.least > 1 else ''}"
    return f"{name} 需要{want}（收到 {count} 个），写作 {h.usage} / {name} takes {english}"


def _extras(rule: Rule, tiers: Mapping[str, tuple[Tier, ...]]) -> dict[str, Any]:
    """What a rule's expressions read besides facts and parameters: the helpers they call and
    the tiers tables they name (as CEL values). Empty for a rule that uses none, which then
    pays nothing for them."""
    steps = (*rule.terms, *rule.limits)
    exprs = [e for e in (rule.expr, *(s.expr for s in steps)) if e]
    calls = {f for e in exprs for f in called_functions(e)}
    names = {n for e in exprs for n in referenced_names(e)} | {n for s in steps for n in STEP_NAME.findall(s.step)}
    out: dict[str, Any] = {f: HELPERS[f].fn for f in sorted(calls & HELPERS.keys())}
    out.update({n: [t.as_dict() for t in tiers[n]] for n in sorted(names & tiers.keys())})
    return out


class _CompiledRule:
    __slots__ = ("extra", "gating", "limits", "names", "program", "rule", "terms")

    def __init__(self, rule: Rule, tiers: Mapping[str, tuple[Tier, ...]] | None = None) -> None:
        self.rule = rule
        self.program = _compile(rule.expr) if rule.expr else None
        self.names = tuple(referenced_names(rule.expr)) if rule.expr else ()
        self.gating = rule.gating
        self.terms = tuple((s, _compile(s.expr)) for s in rule.terms)
        self.limits = tuple((s, _compile(s.expr)) for s in rule.limits)
        self.extra = _extras(rule, tiers or {})


type Outcome = tuple[_CompiledRule, str, Any, list[str]]
"""One rule evaluated: (the compiled rule, its result, its value, the facts it missed)."""


def evaluate_rule(cr: _CompiledRule, context: dict[str, Any]) -> tuple[str, Any, list[str]]:
    """(result, value, missing facts) for one compiled rule."""
    if cr.program is None:
        return "manual", None, []
    if cr.extra:
        context = {**context, **cr.extra}
    absent = [n for n in cr.names if n not in context]
    try:
        value = cr.program.execute(context)
    except Exception:  # the CEL runtime reports an undecidable rule this way
        if absent:
            return "missing", None, absent
        raise
    if cr.rule.kind == "award":
        cap = cr.rule.cap
        if cap is not None:
            limit = context[cap] if isinstance(cap, str) else cap
            value = min(value, limit)
        return "pass", int(value), []
    if not isinstance(value, bool):
        raise BadInput(f"规则 {cr.rule.id} 的表达式未得出真假值", code="rule_not_boolean", detail={"rule": cr.rule.id})
    return ("pass" if value else "fail"), None, []


@dataclass
class AwardBreakdown:
    """An award explained: steps whose amounts add up to `amount`, each citing its clause.

    `per_year` lists the limits that hold over an organisation's whole year (value in yuan),
    for the caller that knows the organisation's earlier claims.
    """

    amount: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    per_year: list[tuple[AwardStep, int]] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)  # assumed parameters the shown steps rest on, in order


def _show(value: Any, fact: Fact | None) -> str:
    if isinstance(value, list):  # only a tiers table is a list here
        return tiers_text(tiers_of(value))
    if fact is not None and fact.type == "enum":
        return fact.labels.get(value, str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_step(template: str, context: dict[str, Any], facts: dict[str, Fact]) -> str:
    """A step's text with `{name}` replaced by the value people recognise (enum labels, 是/否)."""
    return STEP_NAME.sub(lambda m: _show(context[m.group(1)], facts.get(m.group(1))) if m.group(1) in context else "—", template)


ASSUMED_MARK = "（待定参数）"


class _Assumed:
    """Which assumed parameters (figures the guide leaves open) a step's expression reads."""

    def __init__(self, parameters: dict[str, Parameter]) -> None:
        self.names = {n for n, p in parameters.items() if p.assumed}
        self.used: list[str] = []

    def mark(self, text: str, expr: str | None) -> str:
        read = [n for n in referenced_names(expr) if n in self.names] if expr and self.names else []
        self.used += [n for n in read if n not in self.used]
        return f"{text}{ASSUMED_MARK}" if read else text


def award_breakdown(
    cr: _CompiledRule, context: dict[str, Any], facts: dict[str, Fact], parameters: dict[str, Parameter] | None = None
) -> AwardBreakdown | None:
    """The breakdown of one award rule, or None when a fact it needs is not given.

    Terms that come to 0 are left out (a direction's alternatives: only the one that applies
    is shown), unless every term is 0. A limit appears only when it cuts the amount, as a
    negative step. Without terms the whole formula is one step. A shown step that reads an
    assumed parameter says so ("（待定参数）") and the parameter is listed in `assumed`.
    """
    rule = cr.rule
    if cr.program is None:
        return None
    if cr.extra:
        context = {**context, **cr.extra}
    assumed = _Assumed(parameters or {})
    try:
        limits: list[tuple[AwardStep | None, int]] = []
        if not cr.terms:
            raw = int(cr.program.execute(context))
            steps = [{"step": assumed.mark(rule.message, rule.expr), "amount": raw, "source": rule.source}]
        else:
            values = [(s, int(prog.execute(context))) for s, prog in cr.terms]
            shown = [(s, v) for s, v in values if v] or values
            steps = [{"step": assumed.mark(render_step(s.step, context, facts), s.expr), "amount": v, "source": s.source} for s, v in shown]
            raw = sum(v for _, v in values)
            limits = [(s, int(prog.execute(context))) for s, prog in cr.limits]
        if rule.cap is not None:  # the rule's own cap last: a limit the terms' author forgot still holds
            limits.append((None, int(context[rule.cap] if isinstance(rule.cap, str) else rule.cap)))
    except Exception:  # noqa: BLE001 - the CEL runtime reports a fact not given this way
        return None
    total = raw
    per_year = []
    for s, limit in limits:
        if s is not None and s.per_year:
            per_year.append((s, limit))
        if total > limit:
            if s is not None:
                text = assumed.mark(render_step(s.step, context, facts), s.expr)
            else:
                text = assumed.mark(f"不超过 {limit} 元", rule.cap if isinstance(rule.cap, str) else None)
            steps.append({"step": text, "amount": limit - total, "source": s.source if s is not None else rule.source})
            total = limit
    return AwardBreakdown(amount=total, steps=steps, per_year=per_year, assumed=assumed.used)


def direction_verdict(results: list[tuple[_CompiledRule, str]]) -> str:
    gating = [res for cr, res in results if cr.gating]
    if "fail" in gating:
        return "not_eligible"
    if "missing" in gating:
        return "incomplete"
    return "eligible"


class CompiledGuide:
    """A guide with every expression compiled; evaluates applications of any direction."""

    def __init__(self, guide: Guide, *, parameters: dict[str, Any] | None = None) -> None:
        """`parameters` overrides the guide's figures (a tiers parameter by its table, in the
        file's form). `self.parameters` holds the figures every expression may read,
        `self.tiers` the tiers tables, given only to the rules that call `tiered`."""
        self.guide = guide
        self.parameters = {name: p.value for name, p in guide.parameters.items() if not p.tiers}
        self.tiers = {name: p.tiers for name, p in guide.parameters.items() if p.tiers}
        for name, value in (parameters or {}).items():
            if name in self.tiers:
                self.tiers[name] = tiers_of(value)
            else:
                self.parameters[name] = value
        self._rules: dict[str, list[_CompiledRule]] = {}
        compiled: dict[str, _CompiledRule] = {}
        for d in guide.directions:
            self._rules[d.id] = [compiled.setdefault(r.id, _CompiledRule(r, self.tiers)) for r in d.rules]

    def direction(self, direction_id: str) -> Direction:
        return self.guide.direction(direction_id)

    def evaluate(self, direction_id: str, facts: dict[str, Any]) -> tuple[str, list[Outcome]]:
        """Evaluate already-coerced facts; returns (verdict, per-rule outcomes)."""
        if direction_id not in self._rules:
            self.guide.direction(direction_id)  # raises the unknown-direction error
        context = dict(self.parameters)
        context.update(facts)
        outcomes: list[Outcome] = []
        for cr in self._rules[direction_id]:
            result, value, missing = evaluate_rule(cr, context)
            outcomes.append((cr, result, value, missing))
        return direction_verdict([(cr, res) for cr, res, _, _ in outcomes]), outcomes

    def rules_of(self, direction_id: str) -> list[_CompiledRule]:
        """The direction's compiled rules (its project's, then its own), in order."""
        if direction_id not in self._rules:
            self.guide.direction(direction_id)  # raises the unknown-direction error
        return list(self._rules[direction_id])

    def award_rule(self, direction_id: str) -> _CompiledRule | None:
        """The direction's award rule (kind `award`), if it pays by formula."""
        if direction_id not in self._rules:
            self.guide.direction(direction_id)
        return next((cr for cr in self._rules[direction_id] if cr.rule.kind == "award"), None)

    def award_breakdown(self, direction_id: str, facts: dict[str, Any]) -> AwardBreakdown | None:
        """The award of a direction explained step by step, from already-coerced facts."""
        cr = self.award_rule(direction_id)
        if cr is None:
            return None
        context = dict(self.parameters)
        context.update(facts)
        return award_breakdown(cr, context, self.guide.facts, self.guide.parameters)

    def check(self, direction_id: str, facts: Any) -> dict[str, Any]:
        """The `yongke check` answer: the direction's verdict and every rule's result."""
        if not isinstance(direction_id, str):
            raise BadInput(
                "direction 应为方向编号文本，如 1.1 / direction must be a string", code="bad_input", detail={"field": "direction"}
            )
        self.direction(direction_id)
        coerced = coerce_facts(self.guide.facts, facts)
        verdict, outcomes = self.evaluate(direction_id, coerced)
        rules = []
        failing = []
        missing_facts: list[str] = []
        for cr, result, value, missing in outcomes:
            r = cr.rule
            item: dict[str, Any] = {"id": r.id, "kind": r.kind, "result": result, "message": r.message, "source": r.source}
            if missing:
                item["missing"] = missing
                if cr.gating:
                    missing_facts += [n for n in missing if n not in missing_facts]
            if r.kind == "award" and value is not None:
                item["amount"] = int(value)
            if r.evidence:
                item["evidence"] = r.evidence
            if r.reason:
                item["reason"] = r.reason
            rules.append(item)
            if cr.gating and result == "fail":
                failing.append(r.id)
        return {
            "direction": direction_id,
            "version": self.guide.version,
            "verdict": verdict,
            "failing": failing,
            "missing_facts": missing_facts,
            "rules": rules,
        }

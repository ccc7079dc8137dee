"""The rule engine: every expression compiled once, each application evaluated to verdicts.

Row-wise evaluation uses CEL (the `common-expression-language` package, a compiled CEL
implementation). An `||` passes as soon as one alternative passes, even when the facts of
another are missing, which is exactly the guide's "或". A rule whose facts are missing and
that cannot be decided without them is `missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cel

from yongke.core.errors import BadInput
from yongke.guide.facts import coerce_facts
from yongke.guide.model import STEP_NAME, AwardStep, Direction, Fact, Guide, Parameter, Rule


@lru_cache(maxsize=4096)
def _compile(expr: str) -> Any:
    return cel.compile(expr)


def referenced_names(expr: str) -> list[str]:
    """The variables an expression reads; raises ValueError when it does not compile."""
    return list(_compile(expr).variables())


class _CompiledRule:
    __slots__ = ("gating", "limits", "names", "program", "rule", "terms")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.program = _compile(rule.expr) if rule.expr else None
        self.names = tuple(referenced_names(rule.expr)) if rule.expr else ()
        self.gating = rule.gating
        self.terms = tuple((s, _compile(s.expr)) for s in rule.terms)
        self.limits = tuple((s, _compile(s.expr)) for s in rule.limits)


type Outcome = tuple[_CompiledRule, str, Any, list[str]]
"""One rule evaluated: (the compiled rule, its result, its value, the facts it missed)."""


def evaluate_rule(cr: _CompiledRule, context: dict[str, Any]) -> tuple[str, Any, list[str]]:
    """(result, value, missing facts) for one compiled rule."""
    if cr.program is None:
        return "manual", None, []
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
        self.guide = guide
        self.parameters = {name: p.value for name, p in guide.parameters.items()}
        if parameters:
            self.parameters.update(parameters)
        self._rules: dict[str, list[_CompiledRule]] = {}
        compiled: dict[str, _CompiledRule] = {}
        for d in guide.directions:
            self._rules[d.id] = [compiled.setdefault(r.id, _CompiledRule(r)) for r in d.rules]

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

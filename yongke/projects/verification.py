"""Verifying the 考核指标 against what a project achieved, by the guide's own rules.

Each indicator is one commitment rule of the direction (the rule that admitted the
application). At acceptance it is checked twice on the **actual** values:

- the rule's expression must hold on the actuals (the same CEL the application was judged
  by; an alternative (或) holds on any one of its branches), and
- every target the task book fixed for a fact the rule reads must be met: at least the
  target for counts, money, areas and other numbers; true where true was promised; the same
  value for an enumeration, a text or a date.

The indicator is `fail` when either does not hold, `missing` when an actual it needs is not
given (and nothing failed), `pass` otherwise. A project's verdict is `fail` when any
indicator fails, `incomplete` when none fails and one is missing, `pass` when all pass; its
completion rate is the indicators passed over the indicators contracted.

A mid-term check compares the actuals with the stages (milestones) due by then, fact by fact,
by the same comparison.

Pure: reads a compiled guide and plain values (no Django). `yongke project verify` and the
acceptance service both call `verify`, so the offline contract and the system judge alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from yongke.core.errors import BadInput
from yongke.guide.engine import CompiledGuide, evaluate_rule
from yongke.guide.facts import coerce_facts
from yongke.guide.model import NUMERIC_TYPES, Fact

RESULTS = ("pass", "fail", "missing")
VERDICTS = ("pass", "fail", "incomplete")


def commitment_rules(compiled: CompiledGuide, direction: str) -> list[Any]:
    """The direction's commitment rules with an expression (its project's, then its own): one indicator each."""
    return [cr for cr in compiled.rules_of(direction) if cr.rule.kind == "commitment" and cr.program is not None]


def target_met(fact: Fact | None, target: Any, actual: Any) -> bool | None:
    """Whether `actual` meets `target` for one fact (None when the actual is not given):
    ≥ for numbers, true where true was promised, equal otherwise."""
    if actual is None:
        return None
    if target is None:
        return True
    kind = fact.type if fact is not None else ("bool" if isinstance(target, bool) else "")
    if kind == "bool":
        return bool(actual) or not target
    if kind in NUMERIC_TYPES or (isinstance(target, int | float) and not isinstance(target, bool)):
        try:
            return actual >= target
        except TypeError:
            return False
    return actual == target


@dataclass(frozen=True)
class IndicatorCheck:
    """One indicator verified: the rule, the targets it was held to, the actuals it read."""

    rule: str
    kind: str
    target: dict[str, Any]
    actual: dict[str, Any]
    result: str
    message: str
    source: str
    rule_result: str  # the guide's rule alone on the actuals: pass / fail / missing
    unmet: tuple[str, ...] = ()  # target facts whose actual is below the target
    missing: tuple[str, ...] = ()  # facts the check needs and was not given

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "kind": self.kind,
            "target": self.target,
            "actual": self.actual,
            "result": self.result,
            "message": self.message,
            "source": self.source,
            "rule_result": self.rule_result,
        }
        if self.unmet:
            out["unmet"] = list(self.unmet)
        if self.missing:
            out["missing"] = list(self.missing)
        return out


def check_indicator(
    compiled: CompiledGuide, cr: Any, *, targets: Mapping[str, Any], actuals: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> IndicatorCheck:
    """One commitment rule verified on `actuals` (already coerced) against the `targets` given
    for the facts it reads; `context` (the route chosen, the organisation's standing as at
    立项) fills facts the actuals do not give."""
    facts = compiled.guide.facts
    names = [n for n in cr.names if n in facts]
    values = {**(context or {}), **{k: v for k, v in actuals.items() if v is not None}}
    env = dict(compiled.parameters)
    env.update(values)
    rule_result, _value, absent = evaluate_rule(cr, env)
    held = {n: targets[n] for n in names if targets.get(n) is not None}
    unmet: list[str] = []
    missing: list[str] = list(absent) if rule_result == "missing" else []
    for name, target in held.items():
        met = target_met(facts.get(name), target, values.get(name))
        if met is None:
            if name not in missing:
                missing.append(name)
        elif not met:
            unmet.append(name)
    if rule_result == "fail" or unmet:
        result = "fail"
    elif missing:
        result = "missing"
    else:
        result = "pass"
    return IndicatorCheck(
        rule=cr.rule.id,
        kind=cr.rule.kind,
        target=held,
        actual={n: values[n] for n in names if n in values},
        result=result,
        message=cr.rule.message,
        source=cr.rule.source,
        rule_result=rule_result,
        unmet=tuple(unmet),
        missing=tuple(missing) if result == "missing" else (),
    )


def verdict_of(results: Iterable[str]) -> str:
    results = list(results)
    if "fail" in results:
        return "fail"
    if "missing" in results:
        return "incomplete"
    return "pass"


def completion_rate(results: Iterable[str]) -> float:
    """Indicators passed over indicators contracted (1.0 when nothing was contracted)."""
    results = list(results)
    return sum(r == "pass" for r in results) / len(results) if results else 1.0


def below_threshold(compiled: CompiledGuide, cr: Any, targets: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether the targets given for a rule's facts cannot meet the guide's own threshold: the
    rule, on the targets (with the context facts), fails. Facts with no target stay unknown, so
    an alternative not promised never makes a target too low."""
    names = [n for n in cr.names if n in compiled.guide.facts]
    given = {n: targets[n] for n in names if targets.get(n) is not None}
    if not given:
        return False
    env = dict(compiled.parameters)
    env.update({n: v for n, v in context.items() if n in names and v is not None})
    env.update(given)
    result, _v, _m = evaluate_rule(cr, env)
    return result == "fail"


def verify(compiled: CompiledGuide, direction: Any, targets: Any, actuals: Any) -> dict[str, Any]:
    """The `yongke project verify` answer for one direction: targets (the task book's promised
    values, in the guide's fact names) and actuals (the achieved values) checked against the
    declared facts, then every commitment rule verified. A target that fails the guide's own
    threshold is bad input (a task book never holds one)."""
    if not isinstance(direction, str):
        raise BadInput("direction 应为方向编号文本 / direction must be a string", code="bad_input", detail={"field": "direction"})
    compiled.direction(direction)
    given_targets = coerce_facts(compiled.guide.facts, {} if targets is None else targets, where="targets")
    given_actuals = coerce_facts(compiled.guide.facts, {} if actuals is None else actuals, where="actuals")
    checks = []
    for cr in commitment_rules(compiled, direction):
        if below_threshold(compiled, cr, given_targets, given_actuals):
            raise BadInput(
                f"targets: 任务书规定值低于指南要求（{cr.rule.message}；指南原文：{cr.rule.source}）/ a target is below the guide's threshold",
                code="target_below_guide",
                detail={"field": "targets", "rule": cr.rule.id, "source": cr.rule.source},
            )
        checks.append(check_indicator(compiled, cr, targets=given_targets, actuals=given_actuals))
    results = [c.result for c in checks]
    return {
        "direction": direction,
        "version": compiled.guide.version,
        "verdict": verdict_of(results),
        "completion_rate": completion_rate(results),
        "indicators": [c.as_dict() for c in checks],
    }


def milestone_checks(
    facts: Mapping[str, Fact], milestones: Iterable[tuple[str, str, Mapping[str, Any]]], actuals: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The stages due by a mid-term check against the actuals reported: for each milestone
    (due date, title, {fact: stage target}) and each fact, pass / fail / missing."""
    out = []
    for due_on, title, stage in milestones:
        items = []
        for name, target in stage.items():
            met = target_met(facts.get(name), target, actuals.get(name))
            items.append(
                {"fact": name, "target": target, "actual": actuals.get(name), "result": "missing" if met is None else ("pass" if met else "fail")}
            )
        out.append({"due_on": due_on, "title": title, "result": verdict_of(i["result"] for i in items), "facts": items})
    return out


def rate_of(target: Any, actual: Any) -> float | None:
    """An indicator's own completion: actual ÷ target for numbers (None when it cannot be said)."""
    if isinstance(target, bool) or isinstance(actual, bool):
        if isinstance(target, bool) and isinstance(actual, bool):
            return 1.0 if (actual or not target) else 0.0
        return None
    if isinstance(target, int | float) and isinstance(actual, int | float) and target > 0:
        return actual / target
    return None

"""Verifying the 考核指标 against what a project achieved, by the guide's own rules.

Each indicator is one commitment rule of the direction (the rule that admitted the
application), or one 优先支持 rule reading a promise that the task book's targets hold (a
standard, a demonstration site: `indicators_of`, as the task book makes them). At acceptance
it is checked twice on the **actual** values:

- the rule's expression must hold on the actuals (the same CEL the application was judged
  by; an alternative (或) holds on any one of its branches), and
- every target the task book fixed for a fact the rule reads must be met: at least the
  target for counts, money, areas and other numbers; true where true was promised; the same
  value for an enumeration, a text or a date.

The indicator is `fail` when either does not hold, `missing` when an actual it needs is not
given (and nothing failed), `pass` otherwise. A target no value can miss (0, or false) needs
no actual. A project's verdict is `fail` when any indicator fails, `incomplete` when none
fails and one is missing, `pass` when all pass; its completion rate is the indicators passed
over the indicators contracted (1.0 when the direction contracts none: nothing is left undone).

The facts a rule reads are of two sorts (`yongke.projects.taskbook.is_target`): *targets*,
what the project promised to achieve (a count, an amount, a number, a yes/no about the
application), and *context*, what the rule reads as it stood at 立项 (the route chosen, an
enumeration; the organisation's standing). A context value given with the targets stands
for the actuals unless they give one, which must then be the same (a route changed is a
failed indicator).

A mid-term check compares the actuals with the stages (milestones) due by then, fact by fact,
by the same comparison.

Pure: reads a compiled guide and plain values (no Django). `yongke project verify` and the
acceptance service both call this module, so the offline contract and the system judge alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yongke.core.errors import BadInput
from yongke.guide.engine import CompiledGuide, evaluate_rule
from yongke.guide.facts import coerce_facts
from yongke.guide.model import NUMERIC_TYPES, Fact
from yongke.projects.taskbook import indicator_rules, is_target

RESULTS = ("pass", "fail", "missing")
VERDICTS = ("pass", "fail", "incomplete")


def commitment_rules(compiled: CompiledGuide, direction: str) -> list[Any]:
    """The direction's commitment rules with an expression (its project's, then its own): one indicator each."""
    return [cr for cr in compiled.rules_of(direction) if cr.rule.kind == "commitment" and cr.program is not None]


def _kind(fact: Fact | None, value: Any) -> str:
    """How a target compares: "bool", "number" (≥) or "" (equal), from its fact's type when known."""
    if fact is not None:
        if fact.type == "bool":
            return "bool"
        return "number" if fact.type in NUMERIC_TYPES else ""
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else ""


def _nothing_promised(kind: str, target: Any) -> bool:
    """A target no value can miss: false for a yes/no, zero or less for a number."""
    if kind == "bool":
        return not target
    return kind == "number" and isinstance(target, int | float) and target <= 0


def target_met(fact: Fact | None, target: Any, actual: Any) -> bool | None:
    """Whether `actual` meets `target` for one fact: ≥ for numbers, true where true was
    promised, equal otherwise. None when the actual is not given and the target needs one
    (a target of 0 or false is met by anything, even by nothing)."""
    if target is None:
        return True
    kind = _kind(fact, target)
    if actual is None:
        return True if _nothing_promised(kind, target) else None
    if kind == "bool":
        return bool(actual) or not target
    if kind == "number":
        try:
            return bool(actual >= target)
        except TypeError:
            return False
    return bool(actual == target)


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
    unmet: tuple[str, ...] = ()  # target facts whose actual does not meet the target
    missing: tuple[str, ...] = ()  # facts the check needs and was not given
    context: dict[str, Any] = field(default_factory=dict)  # values read as at 立项, not given as actuals
    rates: dict[str, float] = field(default_factory=dict)  # actual ÷ target per fact, where it can be said

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
        if self.context:
            out["context"] = self.context
        if self.rates:
            out["rates"] = self.rates
        if self.unmet:
            out["unmet"] = list(self.unmet)
        if self.missing:
            out["missing"] = list(self.missing)
        return out


def _read_by(compiled: CompiledGuide, cr: Any) -> list[str]:
    """The guide facts a rule reads (not its parameters), in the expression's order."""
    return [n for n in cr.names if n in compiled.guide.facts]


def check_indicator(
    compiled: CompiledGuide, cr: Any, *, targets: Mapping[str, Any], actuals: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> IndicatorCheck:
    """One commitment rule verified on `actuals` (already coerced) against the `targets` given
    for the facts it reads; `context` (the route chosen, the organisation's standing as at
    立项) fills facts the actuals do not give."""
    facts = compiled.guide.facts
    names = _read_by(compiled, cr)
    given = {k: v for k, v in actuals.items() if v is not None}
    standing = {k: v for k, v in (context or {}).items() if v is not None}
    values = {**standing, **given}
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
    rates = {n: r for n, t in held.items() if n in given and (r := rate_of(t, given[n])) is not None}
    return IndicatorCheck(
        rule=cr.rule.id,
        kind=cr.rule.kind,
        target=held,
        actual={n: given[n] for n in names if n in given},
        result=result,
        message=cr.rule.message,
        source=cr.rule.source,
        rule_result=rule_result,
        unmet=tuple(unmet),
        missing=tuple(missing) if result == "missing" else (),
        context={n: standing[n] for n in names if n in standing and n not in given},
        rates=rates,
    )


def verdict_of(results: Iterable[str]) -> str:
    """fail when any result fails, incomplete when none fails and one is missing, else pass."""
    results = list(results)
    if "fail" in results:
        return "fail"
    if "missing" in results:
        return "incomplete"
    return "pass"


def completion_rate(results: Iterable[str]) -> float:
    """Indicators passed over indicators contracted (1.0 when nothing was contracted: a
    direction without commitments leaves nothing undone, and its verdict is pass)."""
    results = list(results)
    return sum(r == "pass" for r in results) / len(results) if results else 1.0


def _nothing(fact: Fact) -> Any:
    """What a target fact not promised counts as when the targets are held to the guide."""
    if fact.type == "bool":
        return False
    return 0.0 if fact.type == "number" else 0


def _on_targets(compiled: CompiledGuide, cr: Any, targets: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any] | None:
    """The values a rule is judged on as the task book states it, or None when the targets give
    none of its target facts. Its target facts given no target count as not promised (0,
    false): a task book promises what it states. Its context facts (the route, the
    organisation's standing) come from the targets, else from `context`; one given nowhere
    stays unknown."""
    facts = compiled.guide.facts
    names = _read_by(compiled, cr)
    promised = {n: targets[n] for n in names if is_target(facts[n]) and targets.get(n) is not None}
    if not promised:
        return None
    env = dict(compiled.parameters)
    for n in names:
        fact = facts[n]
        if is_target(fact):
            env[n] = promised.get(n, _nothing(fact))
        elif targets.get(n) is not None:
            env[n] = targets[n]
        elif context.get(n) is not None:
            env[n] = context[n]
    return env


def below_threshold(compiled: CompiledGuide, cr: Any, targets: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether the targets given for a rule's facts fall short of the guide's own threshold.

    Only a rule with a target given for one of its target facts is judged, on the values
    `_on_targets` gives it: so 2 patent applications alone do not meet "≥3 applications or ≥6
    grants", and a rule that cannot be decided without a context fact given nowhere is not
    held too low. The rule failing on these values is what "below" means, for an alternative
    (every branch fails) and a range (a target outside it) alike.
    """
    env = _on_targets(compiled, cr, targets, context)
    if env is None:
        return False
    result, _v, _m = evaluate_rule(cr, env)
    return result == "fail"


def earned(compiled: CompiledGuide, cr: Any, targets: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether the targets hold a 优先支持 promise: the priority rule passes on the values
    `_on_targets` gives it (a standard, a demonstration site stated in the task book)."""
    env = _on_targets(compiled, cr, targets, context)
    if env is None:
        return False
    result, _v, _m = evaluate_rule(cr, env)
    return result == "pass"


def indicators_of(compiled: CompiledGuide, direction: str, targets: Mapping[str, Any], context: Mapping[str, Any]) -> list[Any]:
    """The task book's 考核指标 rules for these targets, as `taskbook.indicator_rules` makes
    them: every commitment rule, and every priority rule reading a promise that the targets
    hold (`earned`) — the promise that earned 优先支持 is verified like any commitment; one the
    targets do not state is no indicator."""
    return [cr for cr in indicator_rules(compiled, direction) if cr.rule.kind == "commitment" or earned(compiled, cr, targets, context)]


def _split(compiled: CompiledGuide, values: Mapping[str, Any]) -> dict[str, Any]:
    """The context facts (not targets) among coerced values."""
    facts = compiled.guide.facts
    return {n: v for n, v in values.items() if not is_target(facts[n])}


def verify(compiled: CompiledGuide, direction: Any, targets: Any, actuals: Any) -> dict[str, Any]:
    """The `yongke project verify` answer for one direction: targets (the task book's promised
    values, in the guide's fact names, as an application gives them) and actuals (the achieved
    values) checked against the declared facts, then every indicator rule the targets make
    verified (`indicators_of`: the commitments, and the priorities whose promise they state).
    A target below the guide's own threshold for a commitment (`below_threshold`) is bad input:
    a task book never holds one. A declared fact that no indicator reads is accepted and listed in `ignored`."""
    if not isinstance(direction, str):
        raise BadInput("direction 应为方向编号文本，如 1.1 / direction must be a string", code="bad_input", detail={"field": "direction"})
    try:
        compiled.direction(direction)
    except BadInput as e:
        raise BadInput(f"direction: {e.message}", code=e.code, detail=e.detail) from None
    given_targets = coerce_facts(compiled.guide.facts, {} if targets is None else targets, where="targets")
    given_actuals = coerce_facts(compiled.guide.facts, {} if actuals is None else actuals, where="actuals")
    standing = _split(compiled, given_targets)
    reported = {**_split(compiled, given_actuals), **standing}
    rules = indicators_of(compiled, direction, given_targets, reported)
    for cr in rules:
        if cr.rule.kind == "commitment" and below_threshold(compiled, cr, given_targets, reported):
            short = [n for n in _read_by(compiled, cr) if n in given_targets]
            fields = ", ".join(f"targets.{n}" for n in short)
            shown = json.dumps({n: given_targets[n] for n in short}, ensure_ascii=False)
            raise BadInput(
                f"{fields}: 任务书规定值 {shown} 未达到指南要求「{cr.rule.message}」（规则 {cr.rule.id}）/ a target is below the guide's threshold",
                code="target_below_guide",
                detail={"field": f"targets.{short[0]}", "rule": cr.rule.id, "source": cr.rule.source},
            )
    checks = [check_indicator(compiled, cr, targets=given_targets, actuals=given_actuals, context=standing) for cr in rules]
    results = [c.result for c in checks]
    read = {n for cr in rules for n in _read_by(compiled, cr)}
    return {
        "direction": direction,
        "version": compiled.guide.version,
        "verdict": verdict_of(results),
        "completion_rate": completion_rate(results),
        "indicators": [c.as_dict() for c in checks],
        "ignored": sorted((set(given_targets) | set(given_actuals)) - read),
    }


def milestone_checks(
    facts: Mapping[str, Fact], milestones: Iterable[tuple[str, str, Mapping[str, Any]]], actuals: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The stages due by a mid-term check against the actuals reported: for each milestone
    (due date, title, {fact: stage target}) and each fact, pass / fail / missing, and the
    milestone's own result (pass / fail / incomplete, as a verdict)."""
    out = []
    for due_on, title, stage in milestones:
        items = []
        for name, target in stage.items():
            met = target_met(facts.get(name), target, actuals.get(name))
            items.append(
                {
                    "fact": name,
                    "target": target,
                    "actual": actuals.get(name),
                    "result": "missing" if met is None else ("pass" if met else "fail"),
                }
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

"""The 任务书's 考核指标 from the guide's commitment rules, and the limits its targets keep.

Every commitment rule of a direction (its project's and its own) becomes one indicator, and so
does every 优先支持 rule that reads a promise and that the application's values meet. The
facts the rule reads split in two: **targets** — what the application promised to achieve
(a count, an amount, a number, a yes/no, about the application) — and **context** — what the
rule reads as it is (the route the application chose, the organisation's standing). The
indicator's targets start at the application's values; a target may be raised, never set
below the promise, and the rule must still hold on the targets (the guide's threshold). At
acceptance the same expression is evaluated on the actual values.

Pure: reads a compiled guide and plain values, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yongke.core.errors import BadInput, Refused
from yongke.guide.engine import CompiledGuide, evaluate_rule
from yongke.guide.facts import coerce_fact
from yongke.guide.model import NUMERIC_TYPES, Fact

TARGET_TYPES = (*NUMERIC_TYPES, "bool")
# Facts of the application that the task book's budget fixes (the matching-fund rules read them).
AMOUNT_FACTS = ("requested_amount", "self_raised_amount")


def is_target(fact: Fact) -> bool:
    """A fact the applicant promises to achieve: about the application, a number or a yes/no."""
    return fact.about == "application" and fact.type in TARGET_TYPES and fact.name not in AMOUNT_FACTS


@dataclass
class IndicatorRow:
    rule_id: str
    label: str
    clause: str
    expr: str
    targets: dict[str, Any]
    context: dict[str, Any]
    unit: str = ""
    facts: list[str] = field(default_factory=list)  # the target facts, in the expression's order


def indicator_rules(compiled: CompiledGuide, direction: str) -> list[Any]:
    """The rules an indicator may come from: every commitment rule, and every 优先支持 (priority)
    rule that reads a KPI promise (a `kpi_*` target fact) — "优先支持能形成地方标准……为考核指标的
    课题": the promise that earned the priority is held as a 考核指标 like any other."""
    return [
        cr
        for cr in compiled.rules_of(direction)
        if cr.program is not None and (cr.rule.kind == "commitment" or (cr.rule.kind == "priority" and _reads_a_promise(compiled, cr)))
    ]


def _reads_a_promise(compiled: CompiledGuide, cr: Any) -> bool:
    facts = compiled.guide.facts
    return any(n.startswith("kpi_") and n in facts and is_target(facts[n]) for n in cr.names)


def _promised(cr: Any, compiled: CompiledGuide, facts: dict[str, Any]) -> bool:
    """A commitment always becomes an indicator; a priority rule only when the application's
    values meet it (what was not promised is no 考核指标)."""
    return cr.rule.kind == "commitment" or _result(compiled, cr, facts) == "pass"


def _result(compiled: CompiledGuide, cr: Any, values: dict[str, Any]) -> str:
    """pass / fail / missing: the rule on `values` (the values given, with the guide's parameters)."""
    context = dict(compiled.parameters)
    context.update({k: v for k, v in values.items() if v is not None})
    result, _value, _missing = evaluate_rule(cr, context)
    return str(result)


def commitment_rows(compiled: CompiledGuide, direction: str, facts: dict[str, Any]) -> list[IndicatorRow]:
    """One indicator per commitment rule of the direction, its targets the application's values
    (a target fact the application did not state starts empty: the officer fills it)."""
    guide_facts = compiled.guide.facts
    rows = []
    for cr in indicator_rules(compiled, direction):
        if not _promised(cr, compiled, facts):
            continue
        names = [n for n in cr.names if n in guide_facts]
        targets = [n for n in names if is_target(guide_facts[n])]
        context = [n for n in names if n not in targets]
        units = {u for n in targets if (u := guide_facts[n].unit)}
        rows.append(
            IndicatorRow(
                rule_id=cr.rule.id,
                label=cr.rule.message,
                clause=cr.rule.source,
                expr=cr.rule.expr or "",
                targets={n: facts.get(n) for n in targets},
                context={n: facts[n] for n in context if n in facts},
                unit=units.pop() if len(units) == 1 else "",
                facts=targets,
            )
        )
    return rows


def _rule(compiled: CompiledGuide, direction: str, rule_id: str) -> Any:
    for cr in indicator_rules(compiled, direction):
        if cr.rule.id == rule_id:
            return cr
    raise BadInput(f"indicators: 方向 {direction} 没有考核指标规则 {rule_id} / unknown indicator rule", detail={"field": "indicators"})


def evaluate(compiled: CompiledGuide, direction: str, rule_id: str, values: dict[str, Any]) -> str:
    """pass / fail / missing: the indicator's rule on `values` (targets or actuals, with context)."""
    return _result(compiled, _rule(compiled, direction, rule_id), values)


def _shown(fact: Fact, value: Any) -> str:
    """A target as people read it: `50,000,000元`, `3件`, 是/否."""
    if fact.type == "bool":
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{value:,}{fact.unit or ''}"
    return f"{value}{fact.unit or ''}"


def _below(fact: Fact, new: Any, floor: Any) -> bool:
    if floor is None:
        return False
    if fact.type == "bool":
        return bool(floor) and not new
    return new is None or new < floor


def clean_targets(
    compiled: CompiledGuide,
    direction: str,
    *,
    rule_id: str,
    given: Any,
    promised: dict[str, Any],
    context: dict[str, Any],
    label: str,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """New targets for one indicator, checked: known target facts of its rule only, each of its
    fact's type, none below the application's promise, and the rule holding on them (the guide's
    threshold). The facts not given keep their `current` targets (the promise when there are
    none yet). Refused naming the indicator, the fact and the clause."""
    cr = _rule(compiled, direction, rule_id)
    guide_facts = compiled.guide.facts
    allowed = [n for n in cr.names if n in guide_facts and is_target(guide_facts[n])]
    where = f"indicators.{rule_id}"
    if not isinstance(given, dict):
        raise BadInput(f"{where}: 考核指标的规定值应为对象（事实: 值）/ must be an object", detail={"field": where})
    out = {**promised, **(current or {})}
    for name, raw in given.items():
        if name not in allowed:
            raise BadInput(
                f"{where}.{name}: 不是考核指标「{label}」的考核事实 / not a target of this indicator",
                detail={"field": f"{where}.{name}", "allowed": allowed},
            )
        fact = guide_facts[name]
        value = coerce_fact(fact, raw, where=where)
        if _below(fact, value, promised.get(name)):
            raise Refused(
                f"「{fact.label}」的任务书规定值不能低于申报书的承诺（{_shown(fact, promised.get(name))}）"
                f"（考核指标：{label}；指南原文：{cr.rule.source}）/ a target may not be lowered below the application's promise",
                code="target_below_promise",
                detail={
                    "field": f"{where}.{name}",
                    "promised": promised.get(name),
                    "given": value,
                    "rule": rule_id,
                    "source": cr.rule.source,
                },
            )
        out[name] = value
    result = evaluate(compiled, direction, rule_id, {**context, **out})
    if result != "pass":
        raise Refused(
            f"考核指标「{label}」的规定值未达到指南要求（指南原文：{cr.rule.source}）/ the targets do not meet the guide's requirement",
            code="target_below_guide",
            detail={"field": where, "rule": rule_id, "result": result, "source": cr.rule.source},
        )
    return out


def amount_rules(compiled: CompiledGuide, direction: str) -> list[Any]:
    """The direction's gating rules other than commitments that read the application's
    财政资助 or 自筹经费 (the matching-fund rules), re-checked at the approved amount."""
    return [
        cr
        for cr in compiled.rules_of(direction)
        if cr.gating and cr.rule.kind != "commitment" and cr.program is not None and set(cr.names) & set(AMOUNT_FACTS)
    ]


def amount_problems(
    compiled: CompiledGuide, direction: str, facts: dict[str, Any], *, approved: int, self_raised: int
) -> list[dict[str, str]]:
    """The matching-fund rules failing at the approved amount and the task book's 自筹经费:
    [{rule, message, source}] (empty when all hold)."""
    context = dict(compiled.parameters)
    context.update(facts)
    context.update({"requested_amount": approved, "self_raised_amount": self_raised})
    out = []
    for cr in amount_rules(compiled, direction):
        result, _v, _m = evaluate_rule(cr, context)
        if result == "fail":
            out.append({"rule": cr.rule.id, "message": cr.rule.message, "source": cr.rule.source})
    return out


def scale_fiscal(lines: list[tuple[str, int, int, str]], approved: int) -> list[tuple[str, int, int, str]]:
    """The budget lines (category, fiscal, self_raised, basis) with their 财政资助 parts scaled to
    the approved amount, adding up to exactly `approved`: each line floored in proportion, the
    yuan left over going one each to the lines with the largest remainders (the earlier line on
    a tie). So no line is given more than its exact share rounded up, and none more than it asked."""
    requested = sum(f for _c, f, _s, _b in lines)
    if requested == approved or requested == 0:
        return list(lines)
    exact = [f * approved for _c, f, _s, _b in lines]  # each over `requested`
    scaled = [e // requested for e in exact]
    left = approved - sum(scaled)  # fewer than the lines with a remainder: each takes at most one
    for i in sorted(range(len(lines)), key=lambda i: (-(exact[i] % requested), i))[:left]:
        scaled[i] += 1
    return [(c, scaled[i], s, b) for i, (c, _f, s, b) in enumerate(lines)]

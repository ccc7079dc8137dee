"""Fact values as given (a form, a JSON file, a case) checked against their declarations.

`coerce_facts` refuses an undeclared fact or a value of the wrong kind, naming the field,
and returns the values the engines read: whole numbers for `int` and `money`, floats for
`number`, ISO text for dates; a fact given as null is left out (not given).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from yongke.core.errors import BadInput
from yongke.core.money import MAX_AMOUNT, MAX_FACT
from yongke.guide.model import Fact

SIGNIFICANT_DIGITS = 15  # what a float holds exactly: a number written with more is refused, not rounded


class _Bad(Exception):
    """A value its fact's type refuses: the rule broken, and the value as last read."""

    def __init__(self, rule: str, value: Any) -> None:
        super().__init__(rule)
        self.rule = rule
        self.value = value


def _bool(fact: Fact, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("应为布尔值 true/false / must be a boolean", value)
    return value


def _written(value: float) -> Decimal:
    """A float as it was written: its digits when read from JSON (`ExactFloat`), else its value."""
    text = getattr(value, "text", None)
    try:
        return Decimal(text) if isinstance(text, str) else Decimal(repr(value))
    except InvalidOperation:
        return Decimal(repr(value))


def _whole(fact: Fact, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if not (isinstance(value, float) and math.isfinite(value) and _written(value) == _written(value).to_integral_value()):
            raise _Bad(f"应为整数{'（元）' if fact.type == 'money' else ''} / must be a whole number", getattr(value, "text", value))
        value = int(value)
    if value < 0:
        raise _Bad("不能为负数 / must not be negative", value)
    bound = MAX_AMOUNT if fact.type == "money" else MAX_FACT
    if value > bound:
        raise _Bad(f"超出合理范围（不超过 {bound:,}）/ beyond any sane value", value)
    whole: int = value
    return whole


def _number(fact: Fact, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad("应为数值 / must be a number", value)
    if isinstance(getattr(value, "text", None), str) and len(_written(value).normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
        # Written 99.99999999999999999, read as the float 100.0: judged as that, it would pass 「100亩以上」.
        raise _Bad(
            f"有效数字超过 {SIGNIFICANT_DIGITS} 位，无法按原值比较 / more digits than can be compared exactly",
            getattr(value, "text", value),
        )
    if value < 0:
        raise _Bad("不能为负数 / must not be negative", value)
    if value > MAX_FACT:
        raise _Bad(f"超出合理范围（不超过 {MAX_FACT:,}）/ beyond any sane value", value)
    return float(value)


def _enum(fact: Fact, value: Any) -> str:
    if not isinstance(value, str) or value not in fact.values:
        raise _Bad(f"应为 {', '.join(fact.values)} 之一 / must be one of the listed values", value)
    return value


def _string(fact: Fact, value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("应为文本 / must be text", value)
    return value


def _date(fact: Fact, value: Any) -> str:
    rule = "应为日期 YYYY-MM-DD / must be an ISO date"
    if not isinstance(value, (str, dt.date)):
        raise _Bad(rule, value)
    try:
        return (value if isinstance(value, dt.date) else dt.date.fromisoformat(value)).isoformat()
    except ValueError:
        raise _Bad(rule, value) from None


_COERCE: dict[str, Callable[[Fact, Any], Any]] = {
    "bool": _bool,
    "int": _whole,
    "money": _whole,
    "number": _number,
    "enum": _enum,
    "string": _string,
    "date": _date,
}


def coerce_fact(fact: Fact, value: Any, *, where: str = "facts") -> Any:
    """Check one fact value against its declaration; return the value the engine reads."""
    if value is None:
        return None
    try:
        coerce = _COERCE.get(fact.type)
        if coerce is None:
            raise _Bad("未知类型", value)
        return coerce(fact, value)
    except _Bad as bad:
        field_name = f"{where}.{fact.name}"
        raise BadInput(
            f"{field_name}: {bad.rule}（收到 {json.dumps(bad.value, ensure_ascii=False)}）",
            code="bad_fact",
            detail={"field": field_name, "rule": bad.rule, "value": bad.value},
        ) from None


def coerce_facts(facts: dict[str, Fact], given: Any, *, where: str = "facts") -> dict[str, Any]:
    """Every given fact checked against `facts`; the values the engine reads, nulls left out."""
    if not isinstance(given, dict):
        raise BadInput(f"{where} 应为对象 / must be an object", code="bad_input", detail={"field": where})
    out: dict[str, Any] = {}
    for name, value in given.items():
        fact = facts.get(name)
        if fact is None:
            raise BadInput(
                f"{where}.{name}: 未声明的事实 / unknown fact",
                code="unknown_fact",
                detail={"field": f"{where}.{name}", "rule": "facts must be declared in the guide"},
            )
        v = coerce_fact(fact, value, where=where)
        if v is not None:
            out[name] = v
    return out

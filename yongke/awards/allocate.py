"""Share a budget among claims: exact, integer yuan, and the same whatever the claims' order.

When the claims fit the budget every claim is paid in full. When they exceed it, each claim's
exact share is `amount × budget / total` (a fraction); every claim first gets the whole yuan
of its share, and the yuan left over (fewer than the number of claims) go one each to the
claims with the largest fractional remainders — the largest-remainder (Hamilton) method.
So the amounts sum to exactly the budget, none exceeds its claim, and each is within 1 yuan
of its exact share. Equal remainders are broken by claim id, never by position, so
reordering the claims changes nothing. Only integers: the shares never touch a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from yongke.core.errors import BadInput

ClaimId = str | int


@dataclass(frozen=True)
class Allocation:
    """The amounts paid, in the claims' order, and the exact paid/claimed ratio."""

    amounts: list[tuple[ClaimId, int]]
    ratio: Fraction

    def as_dict(self) -> dict[str, Any]:
        # The ratio is shown rounded for people; the amounts were computed without it.
        return {"allocations": [{"id": i, "amount": a} for i, a in self.amounts], "ratio": float(round(self.ratio, 6))}


def _id_key(claim_id: ClaimId) -> tuple[int, int | str]:
    """Ties by id: whole-number ids in numeric order, then text ids in text order."""
    return (0, claim_id) if isinstance(claim_id, int) else (1, claim_id)


def allocate(budget: int, claims: Sequence[tuple[ClaimId, int]]) -> Allocation:
    """Allocate `budget` yuan to `(id, amount)` claims; ids unique, amounts non-negative integers."""
    total = sum(a for _, a in claims)
    if total <= budget:
        return Allocation(amounts=list(claims), ratio=Fraction(1))
    parts = [divmod(amount * budget, total) for _, amount in claims]
    floors = [whole for whole, _ in parts]
    remainders = [r for _, r in parts]
    left = budget - sum(floors)  # fewer than the claims with a remainder: the remainders add up to it
    if left:
        # The left-th largest remainder is the last that earns a yuan; only claims tied on it need their ids.
        threshold = sorted(remainders, reverse=True)[left - 1]
        above = [i for i, r in enumerate(remainders) if r > threshold]
        tied = sorted((i for i, r in enumerate(remainders) if r == threshold), key=lambda i: _id_key(claims[i][0]))
        for i in above + tied[: left - len(above)]:
            floors[i] += 1
    return Allocation(amounts=[(claim_id, floors[i]) for i, (claim_id, _) in enumerate(claims)], ratio=Fraction(budget, total))


def _bad(field: str, rule: str, value: Any = None) -> BadInput:
    return BadInput(f"{field}: {rule}", code="bad_input", detail={"field": field, "rule": rule, "value": value})


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, "应为整数（元）/ must be a whole number of yuan", value)
    if value < 0:
        raise _bad(field, "不能为负数 / must not be negative", value)
    return value


def award_allocate(data: Any) -> Allocation:
    """The `yongke award allocate FILE` request `{"budget", "claims": [{"id", "amount"}]}`, checked."""
    if not isinstance(data, dict):
        raise _bad("file", '应为 JSON 对象 {"budget", "claims"} / must be an object')
    unknown = sorted(set(data) - {"budget", "claims"})
    if unknown:
        raise _bad(unknown[0], "未知字段 / unknown field", data[unknown[0]])
    for key in ("budget", "claims"):
        if key not in data:
            raise _bad(key, "缺少字段 / missing field")
    budget = _whole(data["budget"], "budget")
    if not isinstance(data["claims"], list):
        raise _bad("claims", "应为列表 / must be a list", data["claims"])
    claims: list[tuple[ClaimId, int]] = []
    seen: set[tuple[int, int | str]] = set()
    for i, c in enumerate(data["claims"]):
        where = f"claims[{i}]"
        claim_id = _claim_id(c, where)
        id_key = _id_key(claim_id)
        if id_key in seen:
            raise _bad(f"{where}.id", "编号重复 / duplicate id", claim_id)
        seen.add(id_key)
        claims.append((claim_id, _whole(c["amount"], f"{where}.amount")))
    return allocate(budget, claims)


def _claim_id(c: Any, where: str) -> ClaimId:
    """The id of one claim `{"id", "amount"}`, its shape checked first."""
    if not isinstance(c, dict):
        raise _bad(where, '应为对象 {"id", "amount"} / must be an object', c)
    extra = sorted(set(c) - {"id", "amount"})
    if extra:
        raise _bad(f"{where}.{extra[0]}", "未知字段 / unknown field", c[extra[0]])
    for key in ("id", "amount"):
        if key not in c:
            raise _bad(f"{where}.{key}", "缺少字段 / missing field")
    claim_id = c["id"]
    if isinstance(claim_id, bool) or not isinstance(claim_id, (str, int)) or claim_id == "":
        raise _bad(f"{where}.id", "应为非空文本或整数 / must be text or a whole number", claim_id)
    return claim_id

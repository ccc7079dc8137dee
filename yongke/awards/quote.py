"""Quote one post-subsidy award: eligible or not, the amount, and every yuan explained.

The formula, its parts and its limits are the guide's `award` rule (guide data); this
module only gathers the facts, applies what the organisation's history implies (see
`history`), and shapes the answer:

    {"direction", "eligible", "amount", "breakdown": [{"step", "amount", "source"}], "reasons": [...]}

* `amount` is integer yuan, 0 when not eligible. The breakdown's amounts add up to it: the
  parts of the formula, then each limit that cuts it as a negative step; `source` is the
  guide's verbatim clause.
* `reasons` are objects `{"code", "message", ...}`: `rule_failed`, `excluded` (a rule failed
  because of the history), `paid_once`, `annual_cap`, `annual_cap_reached`, `to_verify`.

Which facts a quote needs. Each award rule lists `requires`: the facts without which the
amount cannot be judged. A required fact that is not
given is bad input (exit 2, naming `facts.<name>`). Every other gating fact of the
direction that is not given — registration in Nanning, the current-year prize, the title
format, … — does not block: the quote stays eligible and lists it as `to_verify`, for the
officer who checks the claim. A gating fact that is given and fails makes it not eligible.

Input adapters (facts that are not guide facts): `premiums` (28.1) is a list of
`{"kind", "amount"}` mapped onto the guide's `premium_<kind>` facts, kinds not listed
being 0; `content` (30.1) is the platform's construction content, compared with the
history for the once-only rules.
"""

from __future__ import annotations

from typing import Any

from stdnum.cn import uscc as uscc_check

from yongke.applications import history as hist
from yongke.core.errors import BadInput
from yongke.guide.engine import AwardBreakdown, CompiledGuide, Outcome, referenced_names
from yongke.guide.facts import coerce_facts
from yongke.guide.model import Guide, Rule

QUOTE_KEYS = {"direction", "facts", "org", "year", "history"}
PREMIUM_PREFIX = "premium_"
EXTRA_FACTS = ("premiums", "content")


def _bad(field: str, rule: str, value: Any = None, *, code: str = "bad_input") -> BadInput:
    return BadInput(f"{field}: {rule}", code=code, detail={"field": field, "rule": rule, "value": value})


def premium_kinds(compiled: CompiledGuide) -> list[str]:
    """The insurance kinds the guide declares (a `premium_<kind>` fact each)."""
    return [n[len(PREMIUM_PREFIX) :] for n in compiled.guide.facts if n.startswith(PREMIUM_PREFIX)]


def _premiums(compiled: CompiledGuide, raw: Any) -> dict[str, int]:
    """`premiums: [{"kind", "amount"}]` as the guide's premium facts; several of a kind add up."""
    if not isinstance(raw, list):
        raise _bad("facts.premiums", '应为列表 [{"kind", "amount"}] / must be a list', raw, code="bad_fact")
    kinds = premium_kinds(compiled)
    out = {f"{PREMIUM_PREFIX}{k}": 0 for k in kinds}
    for i, item in enumerate(raw):
        w = f"facts.premiums[{i}]"
        if not isinstance(item, dict):
            raise _bad(w, '应为对象 {"kind", "amount"} / must be an object', item, code="bad_fact")
        unknown = sorted(set(item) - {"kind", "amount"})
        if unknown:
            raise _bad(f"{w}.{unknown[0]}", "未知字段 / unknown field", item[unknown[0]], code="bad_fact")
        for key in ("kind", "amount"):
            if key not in item:
                raise _bad(f"{w}.{key}", "缺少字段 / missing field", code="bad_fact")
        if item["kind"] not in kinds:
            raise _bad(f"{w}.kind", f"未知险种，应为 {', '.join(kinds)} 之一 / unknown kind", item["kind"], code="bad_fact")
        name = f"{PREMIUM_PREFIX}{item['kind']}"
        out[name] += _money(item["amount"], f"{w}.amount")
    return out


def _money(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        yuan = value
    elif isinstance(value, float) and value.is_integer():
        yuan = int(value)
    else:
        raise _bad(field, "应为整数（元）/ must be a whole number of yuan", value, code="bad_fact")
    if yuan < 0:
        raise _bad(field, "不能为负数 / must not be negative", yuan, code="bad_fact")
    return yuan


def quote_facts(compiled: CompiledGuide, facts: Any) -> tuple[dict[str, Any], str | None]:
    """The guide facts of a quote (checked and typed) and the platform content, if given."""
    if not isinstance(facts, dict):
        raise _bad("facts", "应为对象 / must be an object", facts)
    plain = {k: v for k, v in facts.items() if k not in EXTRA_FACTS}
    out = coerce_facts(compiled.guide.facts, plain)
    given_premiums = sorted(k for k in out if k.startswith(PREMIUM_PREFIX))
    if "premiums" in facts:
        if given_premiums:
            raise _bad(f"facts.{given_premiums[0]}", "已给出 premiums 时不能再单独给出险种保费 / give premiums or premium_<kind>, not both")
        out.update(_premiums(compiled, facts["premiums"]))
    elif given_premiums:
        # The same rule as the list: kinds not given are 0.
        out.update({f"{PREMIUM_PREFIX}{k}": 0 for k in premium_kinds(compiled) if f"{PREMIUM_PREFIX}{k}" not in out})
    content = facts.get("content")
    if content is not None and not isinstance(content, str):
        raise _bad("facts.content", "应为文本 / must be text", content, code="bad_fact")
    return out, content


def guide_year(compiled: CompiledGuide, year: Any) -> int:
    """The year a quote or screening is for: the guide's own year; another year has no guide here."""
    version = int(compiled.guide.version) if compiled.guide.version.isdigit() else None
    if year is None:
        if version is None:
            raise _bad("year", "缺少字段 / missing field")
        return version
    if isinstance(year, bool) or not isinstance(year, int):
        raise _bad("year", "应为整数年份 / must be a year", year)
    if version is not None and year != version:
        raise _bad("year", f"本指南为 {version} 年版，不能用于 {year} 年 / the guide is for {version}", year, code="wrong_year")
    return year


def check_org(org: Any, *, field: str = "org") -> str | None:
    """A 统一社会信用代码, checked with its check digit."""
    if org is None:
        return None
    if not isinstance(org, str) or not uscc_check.is_valid(org):
        raise _bad(field, "统一社会信用代码格式或校验位不正确 / not a valid unified social credit code", org, code="bad_org")
    return uscc_check.compact(org)


def _reason_for_rule(rule: Rule, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "rule": rule.id, "source": rule.source, **extra}


def award_quote(
    compiled: CompiledGuide,
    *,
    direction: Any,
    facts: Any,
    org: Any = None,
    year: Any = None,
    history: Any = None,
    decides: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Quote a direction's award for one organisation; raises BadInput naming the field.

    A given `history` decides every fact a history can decide; `decides` narrows that to the
    facts a partial record knows (the system's own records: `history.recorded_facts`)."""
    award = _award_rule(compiled, direction)
    year_ = guide_year(compiled, year)
    check_org(org)
    given, content = quote_facts(compiled, facts)
    entries = hist.parse_history(history, compiled.guide)
    _require_facts(compiled, award, given)

    claim_facts = {**given, "content": content}
    implied = hist.implied_facts(
        entries,
        guide=compiled.guide,
        direction=direction,
        names=_gating_names(compiled, direction, decides),
        year=year_,
        facts=claim_facts,
        given=history is not None,
    )
    context = {**given, **implied.facts}
    _, outcomes = compiled.evaluate(direction, context)
    failed, notes, award_value = _judge_rules(compiled, outcomes, implied=implied, given=given)
    if award.once is not None and entries:
        _check_paid_once(compiled, entries, award, direction=direction, year=year_, facts=claim_facts, failed=failed, notes=notes)
    if failed:
        return {"direction": direction, "eligible": False, "amount": 0, "breakdown": [], "reasons": failed + notes}

    parts = compiled.award_breakdown(direction, context)
    if parts is None or award_value is None or parts.amount != award_value:
        # The guide file promises that the parts add up to the formula; validation checks it on every case.
        raise RuntimeError(f"{award.id}: 分项合计与公式金额不一致 / breakdown does not add up ({parts and parts.amount} != {award_value})")
    amount, steps, reasons = _apply_yearly_caps(parts, entries, guide=compiled.guide, direction=direction, year=year_)
    notes += _assumed_reasons(compiled, parts.assumed)
    if amount == 0 and reasons:
        reasons.append({"code": "annual_cap_reached", "message": "本年度补助已达上限，本次不予补助 / the yearly cap is reached"})
        return {"direction": direction, "eligible": False, "amount": 0, "breakdown": [], "reasons": reasons + notes}
    return {"direction": direction, "eligible": True, "amount": amount, "breakdown": steps, "reasons": reasons + notes}


def _assumed_reasons(compiled: CompiledGuide, names: list[str]) -> list[dict[str, Any]]:
    """A reason for every assumed parameter the amount rests on: a figure the guide leaves open,
    set by the officers, which the applicant must not take for the guide's own."""
    out = []
    for name in names:
        p = compiled.guide.parameters[name]
        unit = p.unit or ""
        out.append(
            {
                "code": "assumed_parameter",
                "parameter": name,
                "value": p.value,
                "label": p.label,
                "message": f"测算采用待定参数：{p.label} {p.value}{unit}（指南未明确，由项目处设定，以正式通知为准）/ rests on an assumed figure",
                **({"source": p.source} if p.source else {}),
            }
        )
    return out


def _award_rule(compiled: CompiledGuide, direction: Any) -> Rule:
    """The award rule of the direction a quote names (a known direction paid by formula)."""
    if not isinstance(direction, str):
        raise _bad("direction", "应为方向编号文本，如 26.1 / must be a string", direction)
    compiled.direction(direction)
    award = compiled.award_rule(direction)
    if award is None:
        raise _bad("direction", f"方向 {direction} 不是按公式计算的后补助 / not a formula award direction", direction, code="not_an_award")
    return award.rule


def _require_facts(compiled: CompiledGuide, award: Rule, given: dict[str, Any]) -> None:
    """The facts without which the amount cannot be judged (the award rule's `requires`)."""
    for name in award.requires:
        if name not in given:
            field = "facts.premiums" if name.startswith(PREMIUM_PREFIX) else f"facts.{name}"
            label = compiled.guide.facts[name].label
            raise _bad(field, f"缺少事实（{label}）/ missing fact", code="missing_fact")


def _gating_names(compiled: CompiledGuide, direction: str, decides: frozenset[str] | None) -> set[str]:
    """The facts the direction's gating rules read (those a partial record `decides`, if given)."""
    names = {n for r in compiled.direction(direction).rules if r.gating and r.expr for n in referenced_names(r.expr)}
    return names if decides is None else names & decides


def _judge_rules(
    compiled: CompiledGuide, outcomes: list[Outcome], *, implied: hist.Implied, given: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None]:
    """The gating rules that failed, those left to verify (after the history's own notes), and the formula's amount."""
    failed: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = list(implied.notes)
    award_value: int | None = None
    for cr, result, value, missing in outcomes:
        rule = cr.rule
        if rule.kind == "award":
            award_value = value
        if not cr.gating:
            continue
        if result == "fail":
            failed.append(_failure(rule, cr.names, implied=implied, given=given))
        elif result == "missing":
            labels = "、".join(f"{compiled.guide.facts[n].label}（{n}）" for n in missing)
            notes.append(
                _reason_for_rule(
                    rule,
                    "to_verify",
                    f"待项目处核实：{rule.message}（未提供 {labels}）/ to be verified by the officer",
                    fields=[f"facts.{n}" for n in missing],
                )
            )
    return failed, notes, award_value


def _failure(rule: Rule, names: tuple[str, ...], *, implied: hist.Implied, given: dict[str, Any]) -> dict[str, Any]:
    """Why a gating rule failed: excluded by the history (facts it implied, not given), or simply not met."""
    hits = [e for n in names for e in implied.evidence.get(n, []) if implied.facts.get(n) and not given.get(n)]
    if not hits:
        return _reason_for_rule(rule, "rule_failed", f"不符合：{rule.message} / requirement not met")
    seen = sorted({e.index: e for e in hits}.values(), key=lambda e: e.index)
    return _reason_for_rule(
        rule,
        "excluded",
        f"不予支持：{rule.message}（依据申报历史：{'；'.join(e.describe() for e in seen)}）/ excluded by the claim history",
        history=[e.index for e in seen],
    )


def _check_paid_once(
    compiled: CompiledGuide,
    entries: list[hist.Entry],
    award: Rule,
    *,
    direction: str,
    year: int,
    facts: dict[str, Any],
    failed: list[dict[str, Any]],
    notes: list[dict[str, Any]],
) -> None:
    """A one-time award (the rule's `once`): an earlier grant or pending claim of the same thing
    fails the quote, naming it; one that cannot be compared (a value missing) is noted."""
    assert award.once is not None
    found = hist.paid_once(entries, award.once, guide=compiled.guide, direction=direction, year=year, facts=facts)
    if found.hits:
        failed.append(
            {
                "code": "paid_once",
                "rule": award.id,
                "source": award.once.source,
                "message": f"不予支持：一次性补助已获得或已申领（{'；'.join(e.describe() for e in found.hits)}）/ already paid once",
                "history": [e.index for e in found.hits],
            }
        )
    elif found.unknown:
        labels = "、".join(compiled.guide.facts[f].label if f in compiled.guide.facts else f for f in found.unknown_facts)
        notes.append(
            {
                "code": "to_verify",
                "rule": award.id,
                "source": award.once.source,
                "fields": [f"facts.{f}" for f in found.unknown_facts],
                "message": f"待核实：申报历史中有可能相同的一次性补助，未能比对{labels} / to be verified: an earlier one-time award may be the same",
                "history": [e.index for e in found.unknown],
            }
        )


def _apply_yearly_caps(
    parts: AwardBreakdown, entries: list[hist.Entry], *, guide: Guide, direction: str, year: int
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """The award after the yearly caps, given what the history already received this year: (amount, steps, reasons)."""
    amount = parts.amount
    steps = list(parts.steps)
    reasons: list[dict[str, Any]] = []
    for limit, value in parts.per_year:
        paid, hits = hist.paid_in_year(entries, guide=guide, direction=direction, year=year)
        if not hits:
            continue
        room = max(value - paid, 0)
        if amount > room:
            steps.append(
                {
                    "step": f"本年度（{year}年）已获同类补助 {paid} 元，年度上限 {value} 元，剩余额度 {room} 元",
                    "amount": room - amount,
                    "source": limit.source,
                }
            )
            reasons.append(
                {
                    "code": "annual_cap",
                    "source": limit.source,
                    "history": [e.index for e in hits],
                    "message": f"年度上限：{limit.source.rstrip('。')}，本年度已获 {paid} 元，本次最多 {room} 元 / yearly cap across claims",
                }
            )
            amount = room
    for cap, paid, hits in hist.caps_for(entries, guide=guide, direction=direction, year=year):
        most = int(guide.parameters[cap.amount].value) if isinstance(cap.amount, str) else cap.amount
        room = max(most - paid, 0)
        if amount > room:
            steps.append(
                {
                    "step": f"{cap.message}：{cap.period.describe()}已获 {paid} 元，上限 {most} 元，剩余额度 {room} 元",
                    "amount": room - amount,
                    "source": cap.source,
                }
            )
            reasons.append(
                {
                    "code": "cap_across_claims",
                    "cap": cap.id,
                    "source": cap.source,
                    "history": [e.index for e in hits],
                    "message": f"合计上限：{cap.message}，已获 {paid} 元，本次最多 {room} 元 / a cap across claims",
                }
            )
            amount = room
    return amount, steps, reasons


def award_quote_request(compiled: CompiledGuide, data: Any) -> dict[str, Any]:
    """The `yongke award quote FILE` request: check its fields, then quote."""
    if not isinstance(data, dict):
        raise _bad("file", '应为 JSON 对象 {"direction", "facts", …} / must be an object', None)
    unknown = sorted(set(data) - QUOTE_KEYS)
    if unknown:
        raise _bad(unknown[0], "未知字段 / unknown field", data[unknown[0]], code="unknown_field")
    for key in ("direction", "facts"):
        if key not in data:
            raise _bad(key, "缺少字段 / missing field", code="missing_field")
    return award_quote(
        compiled,
        direction=data["direction"],
        facts=data["facts"],
        org=data.get("org"),
        year=data.get("year"),
        history=data.get("history"),
    )

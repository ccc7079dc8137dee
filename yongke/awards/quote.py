"""Quote one post-subsidy award: eligible or not, the amount, and every yuan explained.

The formula, its parts and its limits are the guide's `award` rule (guide data); this
module only gathers the facts, applies what the organisation's history implies (see
`history`), and shapes the answer:

    {"direction", "eligible", "amount", "breakdown": [{"step", "amount", "source"}], "reasons": [...]}

* `amount` is integer yuan, 0 when not eligible. The breakdown's amounts add up to it: the
  parts of the formula, then each limit that cuts it as a negative step; `source` is the
  guide's verbatim clause.
* `reasons` are objects `{"code", "message", ...}`: `rule_failed`, `excluded` (a rule failed
  because of the history), `paid_once`, `annual_cap`, `annual_cap_reached`, `to_verify`,
  `history_fact` (the history contradicts a fact the claim declares: taken as no),
  `zero_amount` (the formula comes to 0 yuan: not eligible, its breakdown kept to show why).

Which facts a quote needs. Each award rule lists `requires`: the facts without which the
amount cannot be judged. A required fact that is not
given is bad input (exit 2, naming `facts.<name>`). Every other gating fact of the
direction that is not given — registration in Nanning, the current-year prize, the title
format, … — does not block: the quote stays eligible and lists it as `to_verify`, for the
officer who checks the claim. A gating fact that is given and fails makes it not eligible.
A yes/no or enum fact the award reads outside `requires` that is not given is taken at the
value giving the lowest amount; when another value would give more, a `to_verify` reason
names the facts that would change it and `amount_up_to` the most it could be.

Input adapters (facts that are not guide facts): a fact group of the guide (`fact_groups`)
is given as a list of `{key_field: key, value_field: value}` mapped onto its facts (with
`others: zero`, facts not given being 0); `content` is a platform's construction content,
compared with the history for the once-only rules.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from stdnum.cn import uscc as uscc_check

from yongke.applications import history as hist
from yongke.core.errors import BadInput
from yongke.guide.engine import AwardBreakdown, CompiledGuide, Outcome, evaluate_rule, referenced_names
from yongke.guide.facts import coerce_fact, coerce_facts
from yongke.guide.model import FactGroup, Guide, Rule, lowest_values

QUOTE_KEYS = {"direction", "facts", "org", "year", "history"}
CONTENT = "content"


def _bad(field: str, rule: str, value: Any = None, *, code: str = "bad_input") -> BadInput:
    return BadInput(f"{field}: {rule}", code=code, detail={"field": field, "rule": rule, "value": value})


def award_facts(guide: Guide, award: Rule) -> list[str]:
    """The facts an award's amount reads: its formula, its terms and its limits, in order."""
    exprs = [e for e in (award.expr, *(s.expr for s in (*award.terms, *award.limits))) if e]
    names = [n for e in exprs for n in referenced_names(e) if n in guide.facts]
    return list(dict.fromkeys(names))


def required_facts(guide: Guide, award: Rule) -> tuple[str, ...]:
    """The facts a quote cannot do without: the award's `requires` (all it reads when it declares none)."""
    return award.requires or tuple(award_facts(guide, award))


def lowest_facts(guide: Guide, award: Rule) -> list[str]:
    """The yes/no and enum facts the amount reads outside `requires`: a quote not given one takes
    the value giving the lowest amount (validation holds every other fact in `requires`)."""
    required = set(required_facts(guide, award))
    return [n for n in award_facts(guide, award) if n not in required and lowest_values(guide.facts[n])]


def _group_items(compiled: CompiledGuide, group: FactGroup, raw: Any) -> dict[str, Any]:
    """A fact group's list `[{key_field, value_field}]` as the group's facts; items of one fact add up."""
    kf, vf, where = group.key_field, group.value_field, f"facts.{group.name}"
    if not isinstance(raw, list):
        raise _bad(where, f'应为列表 [{{"{kf}", "{vf}"}}] / must be a list', raw, code="bad_fact")
    out: dict[str, Any] = dict.fromkeys(group.facts, 0) if group.others == "zero" else {}
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise _bad(w, f'应为对象 {{"{kf}", "{vf}"}} / must be an object', item, code="bad_fact")
        unknown = sorted(set(item) - {kf, vf})
        if unknown:
            raise _bad(f"{w}.{unknown[0]}", "未知字段 / unknown field", item[unknown[0]], code="bad_fact")
        for key in (kf, vf):
            if key not in item:
                raise _bad(f"{w}.{key}", "缺少字段 / missing field", code="bad_fact")
        name = group.fact_for(item[kf]) if isinstance(item[kf], str) else None
        if name is None:
            raise _bad(f"{w}.{kf}", f"未知的 {kf}，应为 {', '.join(group.keys)} 之一 / unknown {kf}", item[kf], code="bad_fact")
        out[name] = out.get(name, 0) + _value(compiled, name, item[vf], f"{w}.{vf}")
    return out


def _value(compiled: CompiledGuide, name: str, value: Any, field: str) -> Any:
    """One item's value, checked as its fact's type; the error names the item's field."""
    try:
        v = coerce_fact(compiled.guide.facts[name], value)
    except BadInput as e:
        raise _bad(field, str((e.detail or {}).get("rule", e.message)), value, code="bad_fact") from None
    if v is None:
        raise _bad(field, "缺少数值 / missing value", value, code="bad_fact")
    return v


def quote_facts(compiled: CompiledGuide, facts: Any) -> tuple[dict[str, Any], str | None]:
    """The guide facts of a quote (checked and typed) and the platform content, if given."""
    if not isinstance(facts, dict):
        raise _bad("facts", "应为对象 / must be an object", facts)
    groups = compiled.guide.fact_groups
    declared = CONTENT in compiled.guide.facts  # a guide may declare it (2022: 项目30's platform), then a fact as any
    plain = {k: v for k, v in facts.items() if k not in groups and (k != CONTENT or declared)}
    out = coerce_facts(compiled.guide.facts, plain)
    for group in groups.values():
        given = [f for f in group.facts if f in out]
        if group.name in facts:
            if given:
                raise _bad(
                    f"facts.{given[0]}", f"已给出 {group.name} 时不能再单独给出其中的事实 / give {group.name} or its facts, not both"
                )
            out.update(_group_items(compiled, group, facts[group.name]))
        elif given and group.others == "zero":
            # The same rule as the list: the group's facts not given are 0.
            out.update({f: 0 for f in group.facts if f not in out})
    content = out.get(CONTENT) if declared else facts.get(CONTENT)
    if content is not None and not isinstance(content, str):
        raise _bad(f"facts.{CONTENT}", "应为文本 / must be text", content, code="bad_fact")
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
    if entries:
        failed += _excluded(compiled, entries, direction=direction, year=year_)
    if award.once is not None and entries:
        _check_paid_once(compiled, entries, award, direction=direction, year=year_, facts=claim_facts, failed=failed, notes=notes)
    if failed:
        return {"direction": direction, "eligible": False, "amount": 0, "breakdown": [], "reasons": failed + notes}

    context, award_value, lowest = _lowest_amount(compiled, direction, award, context, award_value)
    notes += lowest
    parts = compiled.award_breakdown(direction, context)
    if parts is None or award_value is None or parts.amount != award_value:
        # The guide file promises that the parts add up to the formula; validation checks it on every case.
        raise RuntimeError(f"{award.id}: 分项合计与公式金额不一致 / breakdown does not add up ({parts and parts.amount} != {award_value})")
    amount, steps, reasons = _apply_yearly_caps(parts, entries, guide=compiled.guide, direction=direction, year=year_)
    notes += _assumed_reasons(compiled, parts.assumed)
    if amount == 0 and reasons:
        reasons.append({"code": "annual_cap_reached", "message": "本年度补助已达上限，本次不予补助 / the yearly cap is reached"})
        return {"direction": direction, "eligible": False, "amount": 0, "breakdown": [], "reasons": reasons + notes}
    if amount == 0 and not any(r.get("amount_up_to") for r in notes):
        # Nothing to pay (1% of a 50-yuan turnover, no premium paid): no claim to check, publish or pay.
        zero = {"code": "zero_amount", "message": "按指南公式测算补助金额为0元，不予补助 / the formula comes to 0 yuan"}
        return {"direction": direction, "eligible": False, "amount": 0, "breakdown": steps, "reasons": [zero, *notes]}
    return {"direction": direction, "eligible": True, "amount": amount, "breakdown": steps, "reasons": reasons + notes}


def _lowest_amount(
    compiled: CompiledGuide, direction: str, award: Rule, context: dict[str, Any], value: int | None
) -> tuple[dict[str, Any], int | None, list[dict[str, Any]]]:
    """The award's yes/no and enum facts outside `requires` that were not given, taken at the
    values giving the lowest amount: (the context with them, the amount, a `to_verify` reason
    naming the facts that would change it when another value would give more)."""
    names = [n for n in lowest_facts(compiled.guide, award) if n not in context]
    cr = compiled.award_rule(direction)
    if not names or cr is None:
        return context, value, []
    facts = compiled.guide.facts
    domains = [lowest_values(facts[n]) for n in names]
    base = {**compiled.parameters, **context}
    amounts = {c: evaluate_rule(cr, {**base, **dict(zip(names, c, strict=True))})[1] for c in product(*domains)}
    low, high = min(amounts.values()), max(amounts.values())
    chosen = next(c for c, a in amounts.items() if a == low)  # False before True, enum values in their order
    context = {**context, **dict(zip(names, chosen, strict=True))}
    if high == low:
        return context, low, []
    # A fact changes the amount when, the others held, another of its values gives another amount.
    matters = [
        n for i, n in enumerate(names) if any(amounts[(*c[:i], v, *c[i + 1 :])] != a for c, a in amounts.items() for v in domains[i])
    ]
    labels = "、".join(f"{facts[n].label}（{n}）" for n in matters)
    reason = _reason_for_rule(
        award,
        "to_verify",
        f"待项目处核实：未提供 {labels}，按最低金额 {low} 元测算，核实后最高可达 {high} 元 / the lowest amount; up to {high} yuan if verified",
        fields=[f"facts.{n}" for n in matters],
        amount_up_to=high,
    )
    return context, low, [reason]


def _assumed_reasons(compiled: CompiledGuide, names: list[str]) -> list[dict[str, Any]]:
    """A reason for every assumed parameter the amount rests on: a figure the guide leaves open,
    set by the officers, which the applicant must not take for the guide's own."""
    out = []
    for name in names:
        p = compiled.guide.parameters[name]
        out.append(
            {
                "code": "assumed_parameter",
                "parameter": name,
                "value": None if p.tiers else p.value,
                **({"tiers": [t.as_dict() for t in p.tiers]} if p.tiers else {}),
                "label": p.label,
                "message": f"测算采用待定参数：{p.label} {p.shown}（指南未明确，由项目处设定，以正式通知为准）/ rests on an assumed figure",
                **({"source": p.source} if p.source else {}),
            }
        )
    return out


def _award_rule(compiled: CompiledGuide, direction: Any) -> Rule:
    """The award rule of the direction a quote names (a known direction paid by formula)."""
    if not isinstance(direction, str):
        raise _bad("direction", "应为方向编号文本，如 26.1 / must be a string", direction)
    try:
        compiled.direction(direction)
    except BadInput as e:
        raise BadInput(f"direction: {e.message}", code=e.code, detail=e.detail) from None
    award = compiled.award_rule(direction)
    if award is None:
        raise _bad("direction", f"方向 {direction} 不是按公式计算的后补助 / not a formula award direction", direction, code="not_an_award")
    return award.rule


def _require_facts(compiled: CompiledGuide, award: Rule, given: dict[str, Any]) -> None:
    """The facts without which the amount cannot be judged (the award rule's `requires`)."""
    for name in required_facts(compiled.guide, award):
        if name not in given:
            group = compiled.guide.group_of(name)
            field = f"facts.{group.name}" if group is not None else f"facts.{name}"
            label = compiled.guide.facts[name].label
            raise _bad(field, f"缺少事实（{label}）/ missing fact", code="missing_fact")


def _gating_names(compiled: CompiledGuide, direction: str, decides: frozenset[str] | None) -> set[str]:
    """The facts the direction's gating rules and its award read (those a partial record
    `decides`, if given): the facts a history may decide."""
    award = compiled.award_rule(direction)
    names = {n for r in compiled.direction(direction).rules if r.gating and r.expr for n in referenced_names(r.expr)}
    if award is not None:
        names |= set(award.names)
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


def _excluded(compiled: CompiledGuide, entries: list[hist.Entry], *, direction: str, year: int) -> list[dict[str, Any]]:
    """The guide's `claims.excludes`: an earlier grant that makes this claim ineligible, named."""
    found = hist.excluded_by(entries, guide=compiled.guide, direction=direction, year=year)
    if found is None:
        return []
    exclude, entry = found
    return [
        {
            "code": "excluded",
            "source": exclude.source,
            "message": f"不予支持：{exclude.message}（{entry.describe()}）/ excluded by an earlier award",
            "history": [entry.index],
        }
    ]


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
                "message": f"不予支持：{award.once.what}已获得或已申领（{'；'.join(e.describe() for e in found.hits)}）/ already paid once",
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

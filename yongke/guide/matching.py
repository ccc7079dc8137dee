"""我能申报什么: an organisation's facts against every direction of a guide.

Pure functions over the compiled guide. They only arrange the engine's own verdicts
(`CompiledGuide.check` and `award_breakdown`) for people: which directions the organisation
may apply for (and what it would still have to commit to), which it misses and the exact
clauses that fail, which need more about the organisation, and the post-subsidies with their
estimated amounts. The questionnaire asks the organisation facts the rules read, the most
asked first.

Given the organisation's profile (type, industry, district or zone, business scope), each list
is ordered by fit (`yongke.guide.fit`) and each match carries its fit and reasons. The fit only
orders and explains: which list a direction is in is the engine's verdict alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from yongke.guide.engine import CompiledGuide, referenced_names
from yongke.guide.fit import Fit, FitModel, Profile, rank
from yongke.guide.model import Direction, Fact, Rule

OPEN_QUESTIONS = 8  # organisation questions shown before "more"


def rule_names(rule: Rule) -> list[str]:
    """Every name a rule reads, in order: its expression, an award's terms and limits, and what it requires."""
    names = list(referenced_names(rule.expr)) if rule.expr else []
    for step in (*rule.terms, *rule.limits):
        names += referenced_names(step.expr)
    names += list(rule.requires)
    return names


@dataclass
class Questionnaire:
    common: list[Fact]  # organisation facts most directions read
    more: list[Fact]  # the other organisation facts
    award_inputs: list[Fact]  # application facts the post-subsidy formulas need


def questionnaire(compiled: CompiledGuide) -> Questionnaire:
    guide = compiled.guide
    uses: Counter[str] = Counter()
    award_inputs: dict[str, Fact] = {}
    for d in guide.directions:
        seen: set[str] = set()
        for r in d.rules:
            for n in rule_names(r):
                fact = guide.facts.get(n)
                if fact is None:
                    continue
                if fact.about == "organisation" and n not in seen:
                    seen.add(n)
                    uses[n] += 1
                if r.kind == "award" and fact.about == "application":
                    award_inputs.setdefault(n, fact)
    # Yes/no questions most directions ask come first; the rest wait behind "more".
    org = sorted((guide.facts[n] for n in uses), key=lambda f: (f.type != "bool", -uses[f.name], f.name))
    return Questionnaire(common=org[:OPEN_QUESTIONS], more=org[OPEN_QUESTIONS:], award_inputs=list(award_inputs.values()))


@dataclass
class Match:
    direction: Direction
    funding: str
    verdict: dict[str, Any]
    failing: list[dict[str, Any]] = field(default_factory=list)
    need_org: list[Fact] = field(default_factory=list)  # organisation facts not answered
    commitments: list[Fact] = field(default_factory=list)  # application facts to give in the form
    amount: int | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    award_missing: list[Fact] = field(default_factory=list)
    fit: Fit | None = None  # how well the direction fits the organisation, when its profile is given


@dataclass
class MatchResult:
    qualifies: list[Match]
    unknown: list[Match]
    misses: list[Match]
    subsidies: list[Match]  # post-subsidy directions not missed, with an amount when computable
    ranked: bool = False  # the lists are ordered by fit

    @property
    def estimated(self) -> list[Match]:
        return [m for m in self.subsidies if m.amount is not None]

    @property
    def to_estimate(self) -> list[Match]:
        return [m for m in self.subsidies if m.amount is None]

    @property
    def total_estimate(self) -> int:
        return sum(m.amount or 0 for m in self.subsidies)


def _gate(m: Match, facts_of: dict[str, Fact], item: dict[str, Any]) -> None:
    """A gating rule's verdict: a failing clause, or the facts still to give (about the organisation, or to commit to)."""
    if item["result"] == "fail":
        m.failing.append(item)
    elif item["result"] == "missing":
        for n in item.get("missing", []):
            fact = facts_of.get(n)
            if fact is None:
                continue
            target = m.need_org if fact.about == "organisation" else m.commitments
            if fact not in target:
                target.append(fact)


def _estimate(m: Match, compiled: CompiledGuide, rule: Rule, item: dict[str, Any], facts: dict[str, Any]) -> None:
    """An award rule's verdict: the amount with its breakdown, or the facts the formula still needs."""
    if "amount" in item:
        m.amount = item["amount"]
        breakdown = compiled.award_breakdown(m.direction.id, facts)
        m.steps = breakdown.steps if breakdown else []
        return
    for n in rule_names(rule):
        fact = compiled.guide.facts.get(n)
        if fact is not None and n not in facts and fact not in m.award_missing:
            m.award_missing.append(fact)


def _order_by_fit(result: MatchResult, fits: list[Fit]) -> None:
    """Each match gets its fit, and each verdict's list the fit's order (post-subsidies stay by amount)."""
    order = {f.direction_id: i for i, f in enumerate(fits)}
    by_id = {f.direction_id: f for f in fits}
    for matches in (result.qualifies, result.unknown, result.misses):
        for m in matches:
            m.fit = by_id[m.direction.id]
        matches.sort(key=lambda m: order[m.direction.id])
    result.ranked = True


def match(compiled: CompiledGuide, facts: dict[str, Any], profile: Profile | None = None, model: FitModel | None = None) -> MatchResult:
    """Every direction against the facts (already coerced to the guide's types); with a profile
    that says anything, each list in the order of fit (`model`: the default fit model)."""
    guide = compiled.guide
    qualifies, unknown, misses, subsidies = [], [], [], []
    for d in guide.directions:
        m = Match(direction=d, funding=d.project.funding, verdict=compiled.check(d.id, facts))
        rules = {r.id: r for r in d.rules}
        for item in m.verdict["rules"]:
            rule = rules[item["id"]]
            if rule.gating:
                _gate(m, guide.facts, item)
            if rule.kind == "award":
                _estimate(m, compiled, rule, item, facts)
        if m.failing:
            misses.append(m)
        elif m.need_org:
            unknown.append(m)
        else:
            qualifies.append(m)
        if not m.failing and m.funding == "post":
            subsidies.append(m)
    subsidies.sort(key=lambda m: -(m.amount or 0))
    result = MatchResult(qualifies=qualifies, unknown=unknown, misses=misses, subsidies=subsidies)
    if profile is not None and profile.given:
        _order_by_fit(result, rank(profile, guide.directions, model))
    return result

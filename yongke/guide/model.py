"""A guide as plain data: facts, parameters, programmes, projects, directions, rules and cases.

No I/O and no validation here: `yongke.guide.loader` builds these from a guide file whose
structure `yongke.guide.schema` declared sound, and `yongke.guide.validate` checks what
they mean. The engines read nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, get_args

from yongke.core.errors import BadInput
from yongke.guide.claims import Claims, HistoryFact, Once

FactType = Literal["bool", "int", "money", "number", "enum", "string", "date"]
Unit = Literal[
    "元", "亩", "头", "羽", "只", "人次", "m²", "件", "项", "个", "名", "人", "户", "场", "位", "天", "分", "%", "年", "次", "家"
]
About = Literal["application", "organisation"]
Kind = Literal["eligibility", "commitment", "document", "priority", "naming", "limit", "award", "officer"]
Result = Literal["pass", "fail", "missing", "manual"]
Verdict = Literal["eligible", "not_eligible", "incomplete"]
Funding = Literal["pre", "post"]
# What the organisation registry offers a guide fact (`registry:` on a fact): `in_city`, the
# organisation is registered in one of the city's districts; `legal_person`, it is an
# independent legal person. The registry's getters are `yongke.orgs.selectors.REGISTRY_FIELDS`
# (orgs and guide are independent floors; a test holds the two lists equal).
RegistryField = Literal["in_city", "legal_person"]
Others = Literal["zero", "missing"]

FACT_TYPES: tuple[FactType, ...] = get_args(FactType)
NUMERIC_TYPES: tuple[FactType, ...] = ("int", "money", "number")
UNITS: tuple[Unit, ...] = get_args(Unit)
ABOUT: tuple[About, ...] = get_args(About)
KINDS: tuple[Kind, ...] = get_args(Kind)
GATING_KINDS: tuple[Kind, ...] = ("eligibility", "commitment", "naming", "limit")
# How each kind is named to people (pages, the 申报书 PDF).
KIND_LABELS: dict[str, str] = {
    "eligibility": "申报条件",
    "commitment": "考核指标承诺",
    "document": "证明材料",
    "priority": "优先支持",
    "naming": "命名格式",
    "limit": "限额与时限",
    "award": "补助计算",
    "officer": "人工审核",
}
MACHINE_KINDS: tuple[Kind, ...] = (*GATING_KINDS, "priority", "award")
RESULTS: tuple[Result, ...] = get_args(Result)
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
FUNDING: tuple[Funding, ...] = get_args(Funding)
REGISTRY_FIELDS: tuple[RegistryField, ...] = get_args(RegistryField)

# `{name}` in an award step's text stands for the value of that fact or parameter.
STEP_NAME = re.compile(r"\{([a-z][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Fact:
    name: str
    type: FactType
    label: str
    about: About
    unit: str | None = None
    values: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    history: HistoryFact | None = None  # decided by the claim history (yongke.guide.claims)
    registry: RegistryField | None = None  # the registry field that answers it, if any

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "label": self.label, "about": self.about}
        if self.history is not None:
            d["from_history"] = True
        if self.unit:
            d["unit"] = self.unit
        if self.values:
            d["values"] = list(self.values)
            d["labels"] = dict(self.labels)
        return d


def lowest_values(fact: Fact) -> tuple[Any, ...]:
    """The values an award fact left out of `requires` may take (a yes/no or an enum fact);
    empty for any other type. A quote not given such a fact takes the value giving the lowest
    amount (docs/guide-format.md, "The amount when a fact is not given")."""
    if fact.type == "bool":
        return (False, True)
    if fact.type == "enum":
        return fact.values
    return ()


@dataclass(frozen=True)
class FactGroup:
    """Facts given together as one list in a quote (`fact_groups:` of the guide file).

    The list `name` holds items `{key_field: <a member's key>, value_field: <its value>}`;
    items naming the same fact add up. With `others` "zero", when any fact of the group is
    given (in the list, or one by one) the group's facts not given count 0.
    """

    name: str
    key_field: str
    value_field: str
    members: tuple[tuple[str, str], ...]  # (key, fact name), in the file's order
    others: Others = "missing"

    @property
    def facts(self) -> tuple[str, ...]:
        return tuple(f for _, f in self.members)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.members)

    def fact_for(self, key: str) -> str | None:
        return next((f for k, f in self.members if k == key), None)


@dataclass(frozen=True)
class Tier:
    """One slice of a tiered rate (a parameter's `tiers:`): the part of an amount above the
    previous tier's `upto` and up to this one's (yuan), at `rate_pct` percent. The last tier
    has no `upto`: it is the part above."""

    rate_pct: int | float
    upto: int | None = None

    @property
    def rate(self) -> Fraction:
        """The rate as an exact fraction of its decimal text: 0.5% is 1/200, not a binary approximation."""
        return Fraction(str(self.rate_pct)) / 100

    def as_dict(self) -> dict[str, Any]:
        return {"upto": self.upto, "rate_pct": self.rate_pct} if self.upto is not None else {"rate_pct": self.rate_pct}


def _figure(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _yuan(amount: int) -> str:
    for size, unit in ((100_000_000, "亿元"), (10_000, "万元")):
        if amount % size == 0:
            return f"{amount // size}{unit}"
    return f"{amount}元"


def tiers_text(tiers: Sequence[Tier]) -> str:
    """A rate table as people read it: `1%（≤1000万元）/ 0.5%（以上部分）`."""
    if len(tiers) == 1:
        return f"{_figure(tiers[0].rate_pct)}%"
    parts = []
    lower: int | None = None
    for t in tiers:
        if t.upto is None:
            part = "以上部分"
        elif lower is None:
            part = f"≤{_yuan(t.upto)}"
        else:
            part = f"超过{_yuan(lower)}至{_yuan(t.upto)}部分"
        parts.append(f"{_figure(t.rate_pct)}%（{part}）")
        lower = t.upto
    return "/ ".join(parts)


@dataclass(frozen=True)
class Parameter:
    """A named figure. A tiers table (`tiers:` in the file) has `tiers`, and its `value` is the
    table's JSON form (a list of `{upto, rate_pct}`); only `tiered(amount, name)` reads it."""

    name: str
    value: Any
    label: str
    unit: str | None = None
    assumed: bool = False
    source: str | None = None
    tiers: tuple[Tier, ...] = ()

    @property
    def shown(self) -> str:
        """The value as people read it: `50%`, `1000000元`, or the rate table of a tiers parameter."""
        return tiers_text(self.tiers) if self.tiers else f"{_figure(self.value)}{self.unit or ''}"

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "value": self.value, "label": self.label, "assumed": self.assumed}
        if self.unit:
            d["unit"] = self.unit
        if self.source:
            d["source"] = self.source
        return d


@dataclass(frozen=True)
class AwardStep:
    """One line of an award's breakdown: a part of the amount, or a limit that cuts it.

    `step` is shown to people; `{name}` in it is replaced by the fact's or parameter's value.
    A limit with `per_year` holds over all of an organisation's claims under the direction
    in one year, so what its history already received that year reduces the room.
    """

    step: str
    expr: str
    source: str
    per_year: bool = False

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"step": self.step, "expr": self.expr, "source": self.source}
        if self.per_year:
            d["per_year"] = True
        return d


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    message: str
    source: str
    expr: str | None = None
    evidence: str | None = None
    reason: str | None = None
    cap: str | int | None = None  # award rules: the amount never exceeds this (yuan, or a parameter name)
    scope: str = ""  # the project or direction id that declares the rule
    # Award rules only, all optional: the facts a quote cannot do without (other gating facts
    # not given are left to the officer), and the breakdown: terms that add up to the amount
    # before limits, then limits in order. Together they must give exactly what `expr` and
    # `cap` give; validation checks that on every case.
    requires: tuple[str, ...] = ()
    terms: tuple[AwardStep, ...] = ()
    limits: tuple[AwardStep, ...] = ()
    once: Once | None = None  # award rules: paid once per organisation and matching thing
    note: str | None = None  # why the clause is read this way
    ambiguous: bool = False  # the clause admits another reading, which `note` gives

    @property
    def gating(self) -> bool:
        return self.kind in GATING_KINDS

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "expr": self.expr, "message": self.message, "source": self.source}
        if self.evidence:
            d["evidence"] = self.evidence
        if self.reason:
            d["reason"] = self.reason
        if self.cap is not None:
            d["cap"] = self.cap
        if self.requires:
            d["requires"] = list(self.requires)
        if self.terms:
            d["terms"] = [t.as_dict() for t in self.terms]
        if self.limits:
            d["limits"] = [t.as_dict() for t in self.limits]
        if self.note:
            d["note"] = self.note
        if self.ambiguous:
            d["ambiguous"] = True
        return d


@dataclass(frozen=True)
class Case:
    """A direction's test case: facts in, the verdict (and some rules' results) expected."""

    name: str
    facts: dict[str, Any]
    verdict: Verdict
    rules: dict[str, Result]


@dataclass
class Direction:
    id: str
    name: str
    text: str
    rules: list[Rule]  # the project's rules, then the direction's own
    cases: list[Case]
    project: Project  # the project it belongs to (the loader links both ways)

    @property
    def own_rules(self) -> list[Rule]:
        """The rules the direction itself declares (not its project's)."""
        return [r for r in self.rules if r.scope == self.id]


@dataclass
class Project:
    id: str
    name: str
    name_inferred: bool
    funding: Funding
    review: bool
    text: str
    rules: list[Rule]
    directions: list[Direction]


@dataclass
class Programme:
    id: str
    name: str
    name_inferred: bool
    text: str
    projects: list[Project]


DocumentWhen = Literal["submission", "officer"]
# A document's accepted file types (the guide's words) as the content types attachments are sniffed as.
DOCUMENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Document:
    """An attachment category (`documents:` of the guide file) that a `document` rule names in
    its `evidence`: `when` is "submission" (required before submitting) or "officer" (verified
    by the officer in formal review)."""

    key: str
    label: str
    types: tuple[str, ...]
    when: DocumentWhen
    note: str | None = None

    @property
    def required_at_submission(self) -> bool:
        return self.when == "submission"

    @property
    def content_types(self) -> tuple[str, ...]:
        return tuple(DOCUMENT_TYPES[t] for t in self.types)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "label": self.label, "types": list(self.types), "when": self.when}
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Guide:
    version: str
    title: str
    text: str  # the cleaned published text
    facts: dict[str, Fact]
    parameters: dict[str, Parameter]
    programmes: list[Programme]
    digest: str
    raw: dict[str, Any]
    preamble: list[str] = field(default_factory=list)
    id: str = ""  # stable across years: a direction's stable id is "<id>/<direction>"
    claims: Claims = field(default_factory=Claims)
    fact_groups: dict[str, FactGroup] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)  # attachment categories, by evidence key

    def documents_for(self, direction: Direction) -> list[tuple[Rule, Document | None]]:
        """The direction's document rules (its project's and its own), each with the category its
        `evidence` names (None when the guide does not declare it)."""
        return [(r, self.documents.get(r.evidence or "")) for r in direction.rules if r.kind == "document"]

    def group_of(self, fact: str) -> FactGroup | None:
        """The fact group a fact belongs to, if any."""
        return next((g for g in self.fact_groups.values() if fact in g.facts), None)

    @property
    def projects(self) -> list[Project]:
        return [p for prog in self.programmes for p in prog.projects]

    @property
    def directions(self) -> list[Direction]:
        return [d for p in self.projects for d in p.directions]

    def direction(self, direction_id: str) -> Direction:
        for d in self.directions:
            if d.id == direction_id:
                return d
        raise BadInput(
            f"未知的申报方向：{direction_id} / unknown direction",
            code="unknown_direction",
            detail={"field": "direction", "value": direction_id},
        )

    @property
    def rules(self) -> list[Rule]:
        seen: dict[str, Rule] = {}
        for d in self.directions:
            for r in d.rules:
                seen.setdefault(r.id, r)
        return list(seen.values())

    def export(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "title": self.title,
            "digest": self.digest,
            "facts": [f.as_dict() for f in self.facts.values()],
            "parameters": [p.as_dict() for p in self.parameters.values()],
            "programmes": [
                {
                    "id": prog.id,
                    "name": prog.name,
                    "name_inferred": prog.name_inferred,
                    "projects": [
                        {
                            "id": p.id,
                            "name": p.name,
                            "name_inferred": p.name_inferred,
                            "funding": p.funding,
                            "review": p.review,
                            "directions": [
                                {"id": d.id, "name": d.name, "text": d.text, "rules": [r.as_dict() for r in d.rules]} for d in p.directions
                            ],
                        }
                        for p in prog.projects
                    ],
                }
                for prog in self.programmes
            ],
        }

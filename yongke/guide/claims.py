"""The guide's rules across claims, as data: what the claim history decides, what is paid once,
what excludes what, and caps over several directions.

A guide declares them (docs/guide-format.md, "Rules across claims"); `yongke.applications.
history` applies them to an organisation's history of grants and claims, the same way for a
quote, a submission, a claim check, screening and an allocation. No direction number or fact
name of a particular guide year appears in Python.

Directions are named by stable ids across guide years: ``<guide id>/<direction>``
(``nanning-2022/23.1``); inside a guide file a bare ``23.1`` means that guide's own direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PeriodKind = Literal["same_year", "ever", "years"]
ProjectScope = Literal["any", "same", "other"]


def stable_id(direction: str, guide_id: str) -> str:
    """A direction's id across guide years: a bare ``23.1`` is the guide's own."""
    return direction if "/" in direction else f"{guide_id}/{direction}"


def local_part(direction: str) -> str:
    """``nanning-2022/23.1`` → ``23.1``."""
    return direction.rsplit("/", 1)[-1]


def project_part(direction: str) -> str:
    """The project of a stable id: ``nanning-2022/23.1`` → ``nanning-2022/23``."""
    guide, _, local = direction.rpartition("/")
    project = local.split(".")[0]
    return f"{guide}/{project}" if guide else project


@dataclass(frozen=True)
class Period:
    """When an earlier entry counts: in the claim's year, ever, or in the last N years (this one included)."""

    kind: PeriodKind = "same_year"
    years: int = 0

    def holds(self, entry_year: int, year: int) -> bool:
        if self.kind == "ever":
            return entry_year <= year
        if self.kind == "years":
            return year - self.years < entry_year <= year
        return entry_year == year

    def describe(self) -> str:
        return {"same_year": "同一年度", "ever": "以往任何年度", "years": f"近{self.years}年"}[self.kind]


@dataclass(frozen=True)
class Match:
    """An earlier entry is the same thing as the claim when its `entry_key` equals the claim's
    fact `fact` (after `map`, e.g. an engineering centre's level to a technology centre's)."""

    fact: str
    entry_key: str
    map: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Selector:
    """Which entries of the history: of these directions (stable ids) or kinds, in a period,
    inside or outside the claim's own project, the same thing as the claim by `match`."""

    directions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    project: ProjectScope = "any"
    period: Period = field(default_factory=Period)
    match: tuple[Match, ...] = ()


@dataclass(frozen=True)
class HistoryFact:
    """A fact the claim history decides: `found` (true unless written otherwise) when an entry
    matches one of `any`; otherwise what the organisation declares. A `found: false` fact is one
    an earlier grant contradicts: declared true, it is false when such an entry exists.

    `recorded`: the system's own records decide it (so a history read from the database is
    complete for it); otherwise only a history given in full (a quote's) does, and what the
    organisation declares. `applies`: a CEL condition on the claim's facts outside which the
    fact is what was declared (false when nothing was)."""

    any: tuple[Selector, ...]
    recorded: bool = False
    applies: str | None = None
    found: bool = True


@dataclass(frozen=True)
class Once:
    """A one-time award (一次性): the organisation is paid once per matching thing, ever (or in
    the period) — an earlier grant, or a pending claim, of the same directions that matches
    refuses the new one."""

    selector: Selector
    source: str
    what: str = "一次性补助"  # what is paid once, as a refusal names it


@dataclass(frozen=True)
class Exclude:
    """Holding a grant under `by` makes claims and projects under `applies_to` ineligible."""

    id: str
    by: Selector
    applies_to: Literal["other_projects", "all"] | tuple[str, ...]
    message: str
    source: str


@dataclass(frozen=True)
class Cap:
    """At most `amount` (yuan, or a parameter's name) per organisation per period over the
    claims under `directions` (stable ids, possibly of several guide years)."""

    id: str
    directions: tuple[str, ...]
    amount: int | str
    period: Period
    message: str
    source: str


@dataclass(frozen=True)
class HistoryKind:
    """A kind of entry outside the plan (a gazelle award of another department, an enterprise
    technology centre): its Chinese label and, where it has one, its allowed levels."""

    label: str
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claims:
    """All of a guide's rules across claims."""

    kinds: dict[str, HistoryKind] = field(default_factory=dict)
    excludes: tuple[Exclude, ...] = ()
    caps: tuple[Cap, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kinds": {k: {"label": v.label, **({"levels": list(v.levels)} if v.levels else {})} for k, v in self.kinds.items()},
            "excludes": [{"id": e.id, "message": e.message, "source": e.source} for e in self.excludes],
            "caps": [{"id": c.id, "directions": list(c.directions), "amount": c.amount, "source": c.source} for c in self.caps],
        }

"""An organisation's earlier claims and awards, and the caps and exclusions they imply.

This module is the one owner of the rules across claims. A quote may carry the
organisation's history (what it already received); a submission, a claim check and
screening read the same history from the database (`yongke.awards.selectors.
organisation_history`, in the same shape) and apply the same functions below, so a quote and
a submission of one claim reach one verdict. The shape of one entry (JSON):

    {"direction": "28.1", "year": 2022, "amount": 120000}          # an award under the guide
    {"kind": "prefunded", "year": 2022, "direction": "1.1"}         # a 前资助 project
    {"kind": "gazelle", "year": 2022, "amount": 300000}            # 瞪羚企业奖补 outside the guide
    {"kind": "post_subsidy", "year": 2022}                          # another 后补助 outside the guide
    {"kind": "enterprise_tech_center", "year": 2021, "level": "region", "content": "……"}
    {"direction": "30.1", "year": 2022, "level": "region_eng_center", "content": "……", "amount": 300000}

* `year` (required) — the year it was received or approved.
* `kind` — `award` (the default when `direction` is given), `prefunded`, `gazelle`,
  `post_subsidy`, `enterprise_tech_center`.
* `direction` — a direction of the guide; an `award` under a 前资助 direction counts as
  `prefunded`.
* `amount` — yuan received (integer, default 0).
* `level`, `content` — for platforms: the level (a 30.1 `platform_level`, or
  national/region/city for an enterprise technology centre) and the construction content
  (建设内容), compared after removing whitespace.

A given history is taken as the organisation's complete record: facts it implies (e.g.
"already received a gazelle award this year") are then known, not left to the officer.
What the history implies:

* 23.1 — the exclusion of gazelle awards, 前资助 projects and other 后补助 in the same year
  (facts `received_gazelle_award`, `has_prefunded_project`, `has_other_post_subsidy`,
  read by the guide's rule 23.1:no_double_benefit).
* 30.1 — the same host organisation (this organisation) with the same content at the same
  level as an engineering centre and an enterprise technology centre is paid once (fact
  `duplicate_enterprise_tech_center`, read by 30.1:no_duplicate); and a platform already
  paid under 30.1 (same level, same content) is not paid again (一次性后补助).
* Yearly caps (limits marked `per_year` in the guide: 27.1, 28.1, 32.1) — what the
  history already received under the direction that year reduces the room.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yongke.core.errors import BadInput
from yongke.guide.model import Direction, Guide

KINDS = ("award", "prefunded", "gazelle", "post_subsidy", "enterprise_tech_center")
KIND_LABELS = {
    "award": "后补助/奖励",
    "prefunded": "科技项目（前资助）",
    "gazelle": "瞪羚企业奖补",
    "post_subsidy": "其他后补助项目",
    "enterprise_tech_center": "企业技术中心",
}
CENTRE_LEVELS = ("national", "region", "city")
_KEYS = {"direction", "year", "amount", "kind", "content", "level"}
# 30.1: an engineering centre of a level and an enterprise technology centre of the same level.
# Only the engineering-centre levels the guide names; a key laboratory is no engineering centre.
ENG_CENTRE_LEVEL = {"region_eng_center": "region", "city_eng_center": "city"}
GAZELLE_DIRECTIONS = ("23.2",)  # the guide's own gazelle-enterprise award
# An R&D-investment award (项目23 方向1) may not be enjoyed together with 前资助 projects or other
# post-subsidies of the same year: holding it excludes later claims outside its own project.
EXCLUDING_DIRECTIONS = ("23.1",)


@dataclass(frozen=True)
class Entry:
    """One earlier claim or award of the organisation."""

    index: int
    year: int
    kind: str
    direction: str | None = None
    amount: int = 0
    content: str | None = None
    level: str | None = None
    label: str = ""  # what it was, for people: the direction's name or the kind

    def describe(self) -> str:
        money = f"，{self.amount} 元" if self.amount else ""
        return f"history[{self.index}]：{self.year}年 {self.label}{money}"


def _bad(field: str, rule: str, value: Any = None) -> BadInput:
    return BadInput(f"{field}: {rule}", code="bad_history", detail={"field": field, "rule": rule, "value": value})


def _int(value: Any, field: str, *, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, f"应为整数{what} / must be a whole number", value)
    if value < 0:
        raise _bad(field, "不能为负数 / must not be negative", value)
    return value


def parse_history(raw: Any, guide: Guide, *, where: str = "history") -> list[Entry]:
    """Check the history given with a quote; every problem names its field."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(where, "应为列表 / must be a list", raw)
    directions = {d.id: d for d in guide.directions}
    platform_levels = guide.facts["platform_level"].values if "platform_level" in guide.facts else ()
    return [
        _parse_entry(item, i, where=f"{where}[{i}]", directions=directions, platform_levels=platform_levels) for i, item in enumerate(raw)
    ]


def _parse_entry(item: Any, index: int, *, where: str, directions: dict[str, Direction], platform_levels: tuple[str, ...]) -> Entry:
    """One entry of the history, checked field by field in the order a reader meets them."""
    if not isinstance(item, dict):
        raise _bad(where, "应为对象 / must be an object", item)
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise _bad(f"{where}.{unknown[0]}", "未知字段 / unknown field", item[unknown[0]])
    if "year" not in item:
        raise _bad(f"{where}.year", "缺少字段 / missing field")
    year = _int(item["year"], f"{where}.year", what="（年份）")
    direction = item.get("direction")
    if direction is not None and (not isinstance(direction, str) or direction not in directions):
        raise _bad(f"{where}.direction", "未知的申报方向 / unknown direction", direction)
    kind = _kind_of(item, where, direction)
    amount = _int(item.get("amount", 0), f"{where}.amount", what="（元）")
    content = item.get("content")
    if content is not None and not isinstance(content, str):
        raise _bad(f"{where}.content", "应为文本 / must be text", content)
    level = _level_of(item, where, kind=kind, direction=direction, platform_levels=platform_levels)
    if direction is None:
        return Entry(index=index, year=year, kind=kind, amount=amount, content=content, level=level, label=KIND_LABELS[kind])
    if kind == "award" and directions[direction].project.funding == "pre":
        kind = "prefunded"  # an award under a 前资助 direction counts as a 前资助 project
    label = f"{direction} {directions[direction].name}"
    return Entry(index=index, year=year, kind=kind, direction=direction, amount=amount, content=content, level=level, label=label)


def _kind_of(item: dict[str, Any], where: str, direction: str | None) -> str:
    """The entry's kind: as given, else an award when it names a direction."""
    kind = item.get("kind", "award" if direction else None)
    if kind is None:
        raise _bad(f"{where}.kind", "缺少字段（无 direction 时须写明 kind）/ missing field", None)
    if kind not in KINDS:
        raise _bad(f"{where}.kind", f"应为 {', '.join(KINDS)} 之一 / unknown kind", kind)
    if kind == "award" and not direction:
        raise _bad(f"{where}.direction", "kind 为 award 时须写明方向 / an award names its direction")
    return str(kind)


def _level_of(item: dict[str, Any], where: str, *, kind: str, direction: str | None, platform_levels: tuple[str, ...]) -> str | None:
    """A platform's level: a centre level for an enterprise technology centre, a 30.1 platform level, or free text."""
    level = item.get("level")
    if kind == "enterprise_tech_center":
        if level not in CENTRE_LEVELS:
            raise _bad(f"{where}.level", f"应为 {', '.join(CENTRE_LEVELS)} 之一 / unknown level", level)
    elif direction == "30.1" and level is not None and level not in platform_levels:
        raise _bad(f"{where}.level", f"应为 {', '.join(platform_levels)} 之一 / unknown level", level)
    elif level is not None and not isinstance(level, str):
        raise _bad(f"{where}.level", "应为文本 / must be text", level)
    return level


def same_content(a: str | None, b: str | None) -> bool | None:
    """Whether two construction contents are the same; None when either is not given."""
    if not a or not b:
        return None
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def project_of(direction: str | None) -> str | None:
    """The project a direction belongs to ("23.1" → "23")."""
    return direction.split(".")[0] if direction else None


# Facts of the guide that a complete history decides, for the directions whose rules read them.
# Each: which entries make the fact true, given the claim's direction, its year and facts.
_Pred = Callable[[Entry, str, int, dict[str, Any]], bool]
HISTORY_FACTS: dict[str, _Pred] = {
    "received_gazelle_award": lambda e, d, year, f: e.year == year and (e.kind == "gazelle" or e.direction in GAZELLE_DIRECTIONS),
    "has_prefunded_project": lambda e, d, year, f: e.year == year and e.kind == "prefunded",
    # "其他后补助": a post-subsidy outside the claim's own project (the project's other direction is
    # the gazelle award, which has its own fact).
    "has_other_post_subsidy": lambda e, d, year, f: (
        e.year == year and (e.kind == "post_subsidy" or (e.kind == "award" and project_of(e.direction) != project_of(d)))
    ),
    "duplicate_enterprise_tech_center": lambda e, d, year, f: (
        e.kind == "enterprise_tech_center"
        and e.level == ENG_CENTRE_LEVEL.get(f.get("platform_level", ""))
        and bool(same_content(e.content, f.get("content")))
    ),
}


# The facts the system's own records decide: claims and projects made in Yongke. Awards made
# outside the plan (a regional gazelle award, an enterprise technology centre) are known only
# from what the organisation declares, so a history read from the database decides only these.
RECORDED_FACTS = frozenset({"received_gazelle_award", "has_prefunded_project", "has_other_post_subsidy"})


@dataclass
class Implied:
    """What the history says about one quote."""

    facts: dict[str, bool]  # facts it decides
    evidence: dict[str, list[Entry]]  # the entries that make each fact true
    notes: list[dict[str, Any]]  # what it cannot decide (reasons for the officer)


def implied_facts(entries: list[Entry], *, direction: str, names: set[str], year: int, facts: dict[str, Any], given: bool) -> Implied:
    """The facts among `names` that the history decides (a fact already true stays true)."""
    out: dict[str, bool] = {}
    evidence: dict[str, list[Entry]] = {}
    notes: list[dict[str, Any]] = []
    if not given:
        return Implied(out, evidence, notes)
    for name in sorted(names & set(HISTORY_FACTS)):
        if name == "duplicate_enterprise_tech_center":
            centre_level = ENG_CENTRE_LEVEL.get(facts.get("platform_level", ""))
            same_level = [e for e in entries if e.kind == "enterprise_tech_center" and e.level == centre_level]
            if centre_level is None:
                out[name] = bool(facts.get(name))  # the clause concerns engineering centres only
                continue
            unverifiable = (bool(same_level) and not facts.get("content")) or any(e.content is None for e in same_level)
            if unverifiable and not facts.get(name):
                notes.append(
                    {
                        "code": "to_verify",
                        "message": "待核实：申报历史中有同级企业技术中心，但未提供建设内容（content），须人工核对是否相同 / "
                        "to be verified: same-level enterprise technology centre, content not given",
                        "fields": ["facts.content"],
                        "history": [e.index for e in same_level],
                    }
                )
                continue
        hits = [e for e in entries if HISTORY_FACTS[name](e, direction, year, facts)]
        evidence[name] = hits
        out[name] = bool(facts.get(name)) or bool(hits)
    return Implied(out, evidence, notes)


def paid_in_year(entries: list[Entry], *, direction: str, year: int) -> tuple[int, list[Entry]]:
    """What the organisation already received under a direction in a year."""
    hits = [e for e in entries if e.kind == "award" and e.direction == direction and e.year == year]
    return sum(e.amount for e in hits), hits


def already_paid_platform(entries: list[Entry], *, level: str | None, content: str | None) -> tuple[list[Entry], list[Entry]]:
    """30.1 is one-off: earlier 30.1 awards for the same level and content (and those that cannot be compared)."""
    same_level = [e for e in entries if e.kind == "award" and e.direction == "30.1" and e.level == level]
    same = [e for e in same_level if same_content(e.content, content)]
    unknown = [e for e in same_level if same_content(e.content, content) is None]
    return same, unknown


def excluded_by(entries: list[Entry], *, direction: str, year: int) -> Entry | None:
    """An earlier award of the year that excludes a claim or project under `direction`
    (holding an R&D-investment award excludes everything outside its own project)."""
    for e in entries:
        if e.year == year and e.direction in EXCLUDING_DIRECTIONS and project_of(e.direction) != project_of(direction):
            return e
    return None

"""An organisation's earlier claims and awards, and what the guide's rules across claims make of them.

This module is the one owner of the rules across claims. The rules themselves are the
guide's data (`yongke.guide.claims`: facts decided by the history, one-time awards,
exclusions, caps over several directions); here they are applied to a history. A quote may
carry the organisation's history; a submission, a claim check and screening read it from the
database (`yongke.applications.selectors.organisation_history`, in the same shape), so a quote
and a submission of one claim reach one verdict. The shape of one entry (JSON):

    {"direction": "nanning-2022/28.1", "year": 2022, "amount": 120000}  # an award (this guide's: 28.1 alone will do)
    {"direction": "nanning-2021/30.1", "year": 2021, "level": "…"}     # a direction of an earlier guide
    {"kind": "prefunded", "year": 2022, "direction": "nanning-2022/1.1"} # a 前资助 project
    {"kind": "gazelle", "year": 2022, "amount": 300000}               # a kind the guide declares (outside the plan)
    {"kind": "enterprise_tech_center", "year": 2021, "level": "region", "content": "……"}
    {"direction": "nanning-2022/25.1", "year": 2022, "facts": {"group": "startup", "prize": 1}, "pending": true}

* `year` (required) — the year it was received, approved or claimed.
* `direction` — a direction of this guide (`23.1`) or of any guide by its stable id
  (`nanning-2022/23.1`); `kind` — `award` (the default with a direction), `prefunded`, or one
  of the kinds the guide declares under `claims.kinds`. An award under a 前资助 direction of
  this guide counts as `prefunded`.
* `amount` — yuan received (integer, default 0); `level`, `content`, `facts` — what the
  earlier grant or claim was (the facts it stated), compared with a claim by the guide's
  `match` declarations; `pending` — a claim not yet decided (it counts only for one-time awards:
  two claims of one thing cannot both be paid); `ref` — the earlier claim's reference.

A history given with a quote is taken as the organisation's complete record: the facts it
decides are then known, not left to the officer. A history read from the database decides
only the facts the guide marks `recorded` (what Yongke itself recorded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from yongke.core.errors import BadInput
from yongke.guide.claims import Cap, Exclude, Match, Once, Selector, local_part, project_part, stable_id
from yongke.guide.model import Direction, Guide

BUILT_IN_KINDS = {"award": "后补助/奖励", "prefunded": "科技项目（前资助）"}
_KEYS = {"direction", "year", "amount", "kind", "content", "level", "facts", "pending", "ref"}
_STABLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*/[1-9][0-9]*\.[1-9][0-9]*$")


@dataclass(frozen=True)
class Entry:
    """One earlier grant or claim of the organisation."""

    index: int
    year: int
    kind: str
    direction: str | None = None  # a stable id
    amount: int = 0
    content: str | None = None
    level: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    pending: bool = False
    label: str = ""  # what it was, for people: the direction's name or the kind
    ref: str = ""  # the earlier claim's reference, when the record has one ("申报 #12")

    def value(self, key: str) -> Any:
        """What the entry says of `key`: its stated fact, else its level or content."""
        if key in self.facts:
            return self.facts[key]
        return {"level": self.level, "content": self.content}.get(key)

    def describe(self) -> str:
        money = f"，{self.amount} 元" if self.amount else ""
        state = "（待审核的申领）" if self.pending else ""
        ref = f"，{self.ref}" if self.ref else ""
        return f"history[{self.index}]：{self.year}年 {self.label}{money}{state}{ref}"


def _bad(field: str, rule: str, value: Any = None) -> BadInput:
    return BadInput(f"{field}: {rule}", code="bad_history", detail={"field": field, "rule": rule, "value": value})


def _int(value: Any, field: str, *, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, f"应为整数{what} / must be a whole number", value)
    if value < 0:
        raise _bad(field, "不能为负数 / must not be negative", value)
    return value


def kinds_of(guide: Guide) -> dict[str, str]:
    """Every kind an entry may have, with its Chinese label."""
    return {**BUILT_IN_KINDS, **{k: v.label for k, v in guide.claims.kinds.items()}}


def parse_history(raw: Any, guide: Guide, *, where: str = "history") -> list[Entry]:
    """Check the history given with a quote; every problem names its field."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(where, "应为列表 / must be a list", raw)
    directions = {d.id: d for d in guide.directions}
    return [_parse_entry(item, i, where=f"{where}[{i}]", guide=guide, directions=directions) for i, item in enumerate(raw)]


def _parse_entry(item: Any, index: int, *, where: str, guide: Guide, directions: dict[str, Direction]) -> Entry:
    """One entry of the history, checked field by field in the order a reader meets them."""
    if not isinstance(item, dict):
        raise _bad(where, "应为对象 / must be an object", item)
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise _bad(f"{where}.{unknown[0]}", "未知字段 / unknown field", item[unknown[0]])
    if "year" not in item:
        raise _bad(f"{where}.year", "缺少字段 / missing field")
    year = _int(item["year"], f"{where}.year", what="（年份）")
    direction, own = _direction_of(item.get("direction"), where, guide=guide, directions=directions)
    kind = _kind_of(item, where, direction, guide)
    amount = _int(item.get("amount", 0), f"{where}.amount", what="（元）")
    content = item.get("content")
    if content is not None and not isinstance(content, str):
        raise _bad(f"{where}.content", "应为文本 / must be text", content)
    level = _level_of(item, where, kind=kind, guide=guide)
    facts = item.get("facts", {})
    if not isinstance(facts, dict):
        raise _bad(f"{where}.facts", "应为对象 / must be an object", facts)
    pending = item.get("pending", False)
    if not isinstance(pending, bool):
        raise _bad(f"{where}.pending", "应为 true 或 false / must be a boolean", pending)
    ref = item.get("ref", "")
    if not isinstance(ref, str):
        raise _bad(f"{where}.ref", "应为文本 / must be text", ref)
    if own is not None and kind == "award" and own.project.funding == "pre":
        kind = "prefunded"  # an award under a 前资助 direction counts as a 前资助 project
    label = f"{local_part(direction)} {own.name}" if own is not None and direction else (direction or kinds_of(guide)[kind])
    return Entry(index, year, kind, direction, amount, content, level, dict(facts), pending, label, ref)


def _direction_of(raw: Any, where: str, *, guide: Guide, directions: dict[str, Direction]) -> tuple[str | None, Direction | None]:
    """The entry's direction as a stable id, and the guide's own direction when it is one."""
    if raw is None:
        return None, None
    if not isinstance(raw, str):
        raise _bad(f"{where}.direction", "未知的申报方向 / unknown direction", raw)
    sid = stable_id(raw, guide.id)
    if sid.startswith(f"{guide.id}/"):
        own = directions.get(local_part(sid))
        if own is None:
            raise _bad(f"{where}.direction", "未知的申报方向 / unknown direction", raw)
        return sid, own
    if not _STABLE_ID.match(sid):
        raise _bad(f"{where}.direction", "其他年度指南的方向应写作 <指南编号>/<方向>，如 nanning-2021/30.1 / unknown direction", raw)
    return sid, None


def _kind_of(item: dict[str, Any], where: str, direction: str | None, guide: Guide) -> str:
    """The entry's kind: as given, else an award when it names a direction."""
    kinds = kinds_of(guide)
    kind = item.get("kind", "award" if direction else None)
    if kind is None:
        raise _bad(f"{where}.kind", "缺少字段（无 direction 时须写明 kind）/ missing field", None)
    if kind not in kinds:
        raise _bad(f"{where}.kind", f"应为 {', '.join(kinds)} 之一 / unknown kind", kind)
    if kind == "award" and not direction:
        raise _bad(f"{where}.direction", "kind 为 award 时须写明方向 / an award names its direction")
    return str(kind)


def _level_of(item: dict[str, Any], where: str, *, kind: str, guide: Guide) -> str | None:
    """A level: one of the kind's declared levels, or free text."""
    level = item.get("level")
    declared = guide.claims.kinds.get(kind)
    if declared is not None and declared.levels:
        if level not in declared.levels:
            raise _bad(f"{where}.level", f"应为 {', '.join(declared.levels)} 之一 / unknown level", level)
    elif level is not None and not isinstance(level, str):
        raise _bad(f"{where}.level", "应为文本 / must be text", level)
    return level


# --------------------------------------------------------------------------- selecting entries


def _same(a: Any, b: Any) -> bool:
    """Two stated values are the same thing (text compared without whitespace)."""
    if isinstance(a, str) and isinstance(b, str):
        return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)
    return bool(a == b)


@dataclass
class Selection:
    """The entries a selector finds for a claim: those that match, those that may (a value to
    compare is missing on one side), and whether the selector applies to the claim at all."""

    hits: list[Entry] = field(default_factory=list)
    unknown: list[Entry] = field(default_factory=list)
    unknown_facts: list[str] = field(default_factory=list)
    applies: bool = True


def _claim_value(m: Match, facts: dict[str, Any]) -> tuple[bool, Any]:
    """(applies, value): a mapped fact outside its map makes the selector not apply to the claim."""
    value = facts.get(m.fact)
    if m.map:
        if value is None:
            return True, None
        if value not in m.map:
            return False, None
        return True, m.map[value]
    return True, value


def select(
    entries: list[Entry], sel: Selector, *, guide: Guide, direction: str, year: int, facts: dict[str, Any], pending: bool = False
) -> Selection:
    """The entries of `sel` for a claim under `direction` in `year` with these facts."""
    claim = stable_id(direction, guide.id)
    wanted = {stable_id(d, guide.id) for d in sel.directions}
    out = Selection()
    values = []
    for m in sel.match:
        applies, value = _claim_value(m, facts)
        if not applies:
            out.applies = False
            return out
        values.append((m, value))

    # An entry may state the thing under the history's name (`entry`, e.g. level) or, written as a
    # claim is, under the claim's own fact name (platform_level), compared through the same `map`.
    def entry_value(e: Entry, m: Match) -> Any:
        found = e.value(m.entry_key)
        if found is None and m.fact != m.entry_key and e.facts.get(m.fact) is not None:
            raw = e.facts[m.fact]
            found = m.map.get(raw) if m.map else raw
        return found

    for e in entries:
        if (e.pending and not pending) or not sel.period.holds(e.year, year):
            continue
        if not ((e.direction in wanted) or (e.kind in sel.kinds)):
            continue
        in_project = e.direction is not None and project_part(e.direction) == project_part(claim)
        if (sel.project == "same" and not in_project) or (sel.project == "other" and in_project):
            continue
        stated = [(m, v, entry_value(e, m)) for m, v in values]
        missing = [m.fact for m, v, ev in stated if v is None or ev is None]
        if any(v is not None and ev is not None and not _same(v, ev) for _m, v, ev in stated):
            continue
        if missing:
            out.unknown.append(e)
            out.unknown_facts += [f for f in missing if f not in out.unknown_facts]
        else:
            out.hits.append(e)
    return out


# --------------------------------------------------------------------------- facts the history decides


def recorded_facts(guide: Guide) -> frozenset[str]:
    """The facts the system's own records decide (a history read from the database is complete for them)."""
    return frozenset(n for n, f in guide.facts.items() if f.history is not None and f.history.recorded)


def history_fact_names(guide: Guide) -> frozenset[str]:
    return frozenset(n for n, f in guide.facts.items() if f.history is not None)


@dataclass
class Implied:
    """What the history says about one claim."""

    facts: dict[str, bool]  # facts it decides
    evidence: dict[str, list[Entry]]  # the entries that make each fact true
    notes: list[dict[str, Any]]  # what it cannot decide (reasons for the officer)


def _to_verify(name: str, found: list[Selection], unknown: list[Entry], guide: Guide) -> dict[str, Any]:
    fields = sorted({x for f in found for x in f.unknown_facts})
    return {
        "code": "to_verify",
        "message": f"待核实：申报历史中有可能相同的记录，未能比对 {', '.join(fields)}，须人工核对（{guide.facts[name].label}）/ "
        "to be verified: an earlier entry may be the same",
        "fields": [f"facts.{x}" for x in fields],
        "history": [e.index for e in unknown],
    }


def implied_facts(
    entries: list[Entry], *, guide: Guide, direction: str, names: set[str], year: int, facts: dict[str, Any], given: bool
) -> Implied:
    """The facts among `names` that the history decides: a fact an entry makes true (an
    exclusion) stays true when declared; one an entry contradicts (`found: false`, a 首次
    recognition already paid) is false however it was declared, with a note saying why."""
    out: dict[str, bool] = {}
    evidence: dict[str, list[Entry]] = {}
    notes: list[dict[str, Any]] = []
    if not given:
        return Implied(out, evidence, notes)
    for name in sorted(names & history_fact_names(guide)):
        spec = guide.facts[name].history
        assert spec is not None
        declared = bool(facts.get(name))
        found = [select(entries, s, guide=guide, direction=direction, year=year, facts=facts) for s in spec.any]
        if not any(f.applies for f in found):
            out[name] = declared  # the clause does not concern this claim
            continue
        hits = [e for f in found for e in f.hits]
        unknown = [e for f in found for e in f.unknown]
        if not spec.found:
            if hits:
                out[name] = False
            elif name in facts:
                out[name] = declared  # not given, it stays not given (a quote takes its lowest value)
            if declared and hits:
                evidence[name] = hits
                notes.append(
                    {
                        "code": "history_fact",
                        "message": f"申报历史与“{guide.facts[name].label}”不符：已有"
                        f"（{'；'.join(e.describe() for e in hits)}），按“否”测算 / "
                        "the claim history contradicts what the claim declares: taken as no",
                        "fields": [f"facts.{name}"],
                        "history": [e.index for e in hits],
                    }
                )
            elif declared and unknown:
                notes.append(_to_verify(name, found, unknown, guide))
            continue
        if unknown and not hits and not declared:
            notes.append(_to_verify(name, found, unknown, guide))
            continue
        evidence[name] = hits
        out[name] = declared or bool(hits)
    return Implied(out, evidence, notes)


# --------------------------------------------------------------------------- one-time awards, exclusions, caps


def once_entry_facts(once: Once | None, facts: dict[str, Any]) -> dict[str, Any]:
    """A claim's facts as its history entry states them: also under the names the one-time
    rule compares (`match`'s `entry` keys), so a later claim of the same thing is found."""
    if once is None:
        return dict(facts)
    return {**facts, **{m.entry_key: facts[m.fact] for m in once.selector.match if m.fact in facts}}


def paid_once(entries: list[Entry], once: Once, *, guide: Guide, direction: str, year: int, facts: dict[str, Any]) -> Selection:
    """Earlier grants and pending claims of the same thing under a one-time award."""
    return select(entries, once.selector, guide=guide, direction=direction, year=year, facts=facts, pending=True)


def excluded_by(entries: list[Entry], *, guide: Guide, direction: str, year: int) -> tuple[Exclude, Entry] | None:
    """The first exclusion an earlier grant makes of a claim or project under `direction`."""
    claim = stable_id(direction, guide.id)
    for ex in guide.claims.excludes:
        if isinstance(ex.applies_to, tuple) and claim not in {stable_id(d, guide.id) for d in ex.applies_to}:
            continue
        for e in select(entries, ex.by, guide=guide, direction=direction, year=year, facts={}).hits:
            if ex.applies_to == "other_projects" and e.direction is not None and project_part(e.direction) == project_part(claim):
                continue
            return ex, e
    return None


def paid_in_year(entries: list[Entry], *, guide: Guide, direction: str, year: int) -> tuple[int, list[Entry]]:
    """What the organisation already received under a direction in a year."""
    claim = stable_id(direction, guide.id)
    hits = [e for e in entries if e.kind == "award" and not e.pending and e.direction == claim and e.year == year]
    return sum(e.amount for e in hits), hits


def caps_for(entries: list[Entry], *, guide: Guide, direction: str, year: int) -> list[tuple[Cap, int, list[Entry]]]:
    """Each cap across claims that holds for the direction: (cap, already received in its period, the entries)."""
    claim = stable_id(direction, guide.id)
    out = []
    for cap in guide.claims.caps:
        wanted = {stable_id(d, guide.id) for d in cap.directions}
        if claim not in wanted:
            continue
        hits = [e for e in entries if not e.pending and e.direction in wanted and cap.period.holds(e.year, year)]
        out.append((cap, sum(e.amount for e in hits), hits))
    return out

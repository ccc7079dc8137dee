"""Conflicts of interest (回避) and affinity, on plain data. No Django import.

Every excluded pair carries its reason, so an officer can see why an expert was not
assigned — and an applicant's objection can be answered from the record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExpertInfo:
    id: str
    organisation: int | None
    person: int
    past: tuple[tuple[int, dt.date | None], ...] = ()  # (organisation, ended_on); None = no end date known
    declared_organisations: frozenset[int] = frozenset()
    declared_applications: frozenset[str] = frozenset()
    relatives: frozenset[int] = frozenset()  # people the expert declared as relatives
    fields: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplicationInfo:
    id: str
    organisation: int
    co_organisations: frozenset[int] = frozenset()
    team: frozenset[int] = frozenset()  # people: the leader and the members
    avoid: frozenset[str] = frozenset()  # experts the applicant asked to avoid
    industry: str = ""
    text: str = ""


@dataclass(frozen=True)
class Exclusion:
    application: str
    expert: str
    code: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"application": self.application, "expert": self.expert, "code": self.code, "reason": self.reason}


@dataclass
class ConflictRules:
    years_since_employment: int = 3
    on: dt.date = field(default_factory=dt.date.today)


def exclusions(apps: Iterable[ApplicationInfo], experts: Iterable[ExpertInfo], rules: ConflictRules) -> list[Exclusion]:
    """Every (application, expert) pair that must not be assigned, each with its first reason."""
    out: list[Exclusion] = []
    experts = list(experts)
    since = rules.on.replace(year=rules.on.year - rules.years_since_employment) if rules.years_since_employment else rules.on
    for a in apps:
        orgs = {a.organisation} | set(a.co_organisations)
        for e in experts:
            reason = None
            if e.organisation is not None and e.organisation == a.organisation:
                reason = ("same_organisation", "专家与申报单位为同一单位")
            elif e.organisation is not None and e.organisation in a.co_organisations:
                reason = ("same_co_organisation", "专家与联合申报单位为同一单位")
            elif any(org in orgs and (ended is None or ended >= since) for org, ended in e.past):
                reason = ("former_employer", f"专家近{rules.years_since_employment}年内曾在申报（联合申报）单位工作")
            elif e.person in a.team:
                reason = ("on_team", "专家是该申报的项目负责人或团队成员")
            elif a.id in e.declared_applications or orgs & e.declared_organisations:
                reason = ("declared", "专家自行申报回避")
            elif e.relatives & a.team:
                reason = ("relative", "专家与项目团队成员有亲属关系")
            elif e.id in a.avoid:
                reason = ("applicant_request", "申报单位申请回避")
            if reason:
                out.append(Exclusion(a.id, e.id, *reason))
    return out


_WORD = re.compile(r"[\w\u4e00-\u9fff]+")


def affinity(expert: ExpertInfo, app: ApplicationInfo) -> float:
    """How well an expert's fields and keywords fit an application, in [0, 1].

    Industry (GB/T 4754, e.g. C3976): the same class (C3976) 0.6, the same group (C397)
    0.45, the same division (C39) 0.3, the same section (C) 0.1; plus 0.1 per keyword
    found in the title and summary, at most 0.4.
    """
    best = 0.0
    ind = app.industry.upper()
    for f in expert.fields:
        f = f.upper()
        if not ind or not f:
            continue
        if ind[:5] == f[:5] and len(f) >= 5:
            best = max(best, 0.6)
        elif len(f) >= 4 and ind[:4] == f[:4]:
            best = max(best, 0.45)
        elif len(f) >= 3 and ind[:3] == f[:3]:
            best = max(best, 0.3)
        elif ind[0] == f[0]:
            best = max(best, 0.1)
    hits = sum(1 for kw in expert.keywords if kw and kw in app.text)
    return round(min(1.0, best + min(0.4, 0.1 * hits)), 4)

"""The portfolio at a glance: every project the viewer may see, with its indicators (contracted,
completed), its money (granted, paid, due back, recovered) and its risks (milestones missed,
reports overdue, acceptance overdue); the same summed by programme, direction, district and
year, and the targets against the actuals of each indicator fact. What officers kept in
spreadsheets, read in a fixed number of queries whatever the number of projects.

Reads only, knowing who asks: the projects are `selectors.projects_visible_to(viewer)` (an
officer's programmes, everything for "*", finance, auditors and admins), and the portfolio is
for officers and finance (`PORTFOLIO_ROLES`); anyone else is refused.

Where each figure comes from (docs/portfolio.md):

- **year**: the year (Beijing time) the project's call opened — the plan year it was funded
  under, so one call's projects stay together whatever their start dates.
- **district**: the lead organisation's district (GB/T 2260; empty when outside Nanning).
- **indicators**: a project's 考核指标 rows are contracted; one is completed when the latest
  submitted report (state submitted or checked) passed it in its `checks`, as the report
  service writes them (`acceptance_selectors.report_checks`, from `verification.check_indicator`):
  ``{"indicators": [{"indicator": <Indicator id>, "rule": <rule id or "">, "result": "pass"|"fail"|"missing", "actual": {fact: value}, …}], …}``
  — or the same results as a mapping keyed by Indicator id or rule id. A project with no
  submitted report has nothing completed.
- **facts**: a commitment indicator's numeric targets (`Indicator.targets`) per fact (the
  highest when two indicators hold the same fact); the actual is the latest submitted report's
  `actuals[fact]` (else the `actual` its checks read); only facts the project has a target for.
- **money**: granted is the approved amount, paid the sum of payments, due back the sum of
  the recoveries' amounts due, recovered the sum of their receipts.
- **risks** (only while a project runs: in progress, in acceptance, rectifying), with the
  due-date rules of `rules.py` and the call's `ProjectCallSettings` overrides: a milestone
  past due that no submitted report covers (one due on or after it, or submitted after it);
  the mid-term report overdue (when the project needs a mid-term check, or the rectification
  date a mid-term check set); the final report overdue; the rectification report overdue;
  acceptance overdue (not done within the months after the end).

Every aggregate is the sum of the rows it groups (the tests check it).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role
from yongke.core.errors import BadInput
from yongke.core.regions import NANNING_DISTRICTS
from yongke.core.xlsx import Column, Sheet, write_sheets
from yongke.guide.engine import CompiledGuide
from yongke.guide.model import NUMERIC_TYPES
from yongke.guide.models import GuideVersion
from yongke.guide.selectors import compiled_for
from yongke.projects import rules as project_rules
from yongke.projects.exports import DATE, YUAN
from yongke.projects.models import (
    Acceptance,
    Indicator,
    Milestone,
    Payment,
    Project,
    ProjectCallSettings,
    Recovery,
    RecoveryReceipt,
    Report,
)
from yongke.projects.selectors import projects_visible_to
from yongke.projects.verification import rate_of
from yongke.projects.workflow import FUNDED_RUNNING, PROJECT

PORTFOLIO_ROLES = (Role.OFFICER, Role.FINANCE)
SUBMITTED = (Report.State.SUBMITTED, Report.State.CHECKED)  # a returned report was sent back: not the unit's word any more
DIMENSIONS = ("programme", "direction", "district", "year")
OUTSIDE = _("南宁市外")

FLAG_LABELS = {
    "milestone_missed": _("阶段目标逾期未报告"),
    "midterm_overdue": _("中期报告逾期未报送"),
    "final_overdue": _("结题报告逾期未报送"),
    "rectification_overdue": _("整改报告逾期未报送"),
    "acceptance_overdue": _("逾期未完成验收"),
}

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
YEARS = (2000, 2100)


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """What the portfolio is narrowed to; empty means all."""

    programme: str = ""
    direction: str = ""
    district: str = ""
    year: int | None = None
    state: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"programme": self.programme, "direction": self.direction, "district": self.district, "year": self.year, "state": self.state}


def _code(params: Mapping[str, Any], key: str, label: str) -> str:
    value = params.get(key)
    if value in (None, ""):
        return ""
    value = str(value).strip()
    if not _CODE.match(value):
        raise BadInput(f"{key}: {label}编号不正确 / {key} is not a valid code", detail={"field": key, "value": value[:40]})
    return value


def filters_from(params: Mapping[str, Any] | None) -> Filters:
    """The filters from a query's parameters (programme, direction, district, year, state),
    checked: a bad value is refused naming its field."""
    params = params or {}
    state = _code(params, "state", "项目状态")
    if state and state not in PROJECT.states:
        raise BadInput(
            f"state: 没有这个项目状态（可选：{'、'.join(PROJECT.states)}）/ unknown project state",
            detail={"field": "state", "value": state},
        )
    raw_year = params.get("year")
    year: int | None = None
    if raw_year not in (None, ""):
        try:
            year = int(str(raw_year).strip())
        except ValueError:
            raise BadInput("year: 年度应为四位年份 / year must be a year such as 2026", detail={"field": "year"}) from None
        if not YEARS[0] <= year <= YEARS[1]:
            raise BadInput(f"year: 年度应在{YEARS[0]}至{YEARS[1]}之间 / year out of range", detail={"field": "year", "value": year})
    return Filters(
        programme=_code(params, "programme", "专项"),
        direction=_code(params, "direction", "申报方向"),
        district=_code(params, "district", "区县"),
        year=year,
        state=state,
    )


def _filtered(qs: QuerySet[Project], f: Filters) -> QuerySet[Project]:
    if f.programme:
        qs = qs.filter(programme=f.programme)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.district:
        qs = qs.filter(organisation__district=f.district)
    if f.year is not None:
        qs = qs.filter(call__opens_at__year=f.year)  # in the current time zone (Asia/Shanghai), as `_year` reads it
    if f.state:
        qs = qs.filter(state=f.state)
    return qs


# --------------------------------------------------------------------------- rows and groups


@dataclass(frozen=True)
class Flag:
    """One risk of a project: what is late, since when (the day it was due), and which (a milestone's title)."""

    code: str
    due_on: dt.date
    detail: str = ""

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self.code])


@dataclass(frozen=True)
class Row:
    """One project of the portfolio."""

    id: int
    number: str
    title: str
    organisation: str
    programme: str
    programme_name: str
    direction: str
    direction_name: str
    district: str
    district_name: str
    year: int
    state: str
    contracted: int
    completed: int
    reported: bool  # a submitted report gives its actuals
    granted: int
    paid: int
    due_back: int
    recovered: int
    flags: tuple[Flag, ...] = ()
    targets: dict[str, Any] = field(default_factory=dict)  # {fact: the task book's target}
    actuals: dict[str, Any] = field(default_factory=dict)  # {fact: the latest report's actual}, the targeted facts only

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.contracted if self.contracted else None

    @property
    def at_risk(self) -> bool:
        return bool(self.flags)

    @property
    def state_label(self) -> str:
        return str(PROJECT.state_label(self.state))


MONEY = ("granted", "paid", "due_back", "recovered")
COUNTS = ("contracted", "completed", *MONEY)


@dataclass
class Group:
    """Projects summed under one key of a dimension (or all of them: the totals)."""

    key: str
    name: str
    projects: int = 0
    contracted: int = 0
    completed: int = 0
    granted: int = 0
    paid: int = 0
    due_back: int = 0
    recovered: int = 0
    at_risk: int = 0

    def add(self, row: Row) -> None:
        self.projects += 1
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(row, name))
        self.at_risk += row.at_risk

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.contracted if self.contracted else None


@dataclass
class FactTotal:
    """One indicator fact over the portfolio: the targets of the projects holding it and what they reported."""

    fact: str
    label: str
    unit: str
    projects: int = 0  # projects with a target for it
    reported: int = 0  # of those, projects whose latest report gives an actual
    target: int | float = 0
    actual: int | float = 0

    @property
    def rate(self) -> float | None:
        return rate_of(self.target, self.actual)


@dataclass(frozen=True)
class Portfolio:
    as_of: dt.date
    filters: Filters
    rows: list[Row]
    totals: Group
    groups: dict[str, list[Group]]  # by dimension (DIMENSIONS)
    facts: list[FactTotal]
    options: dict[str, list[tuple[str, str]]]  # the values each filter may take, with their names

    @property
    def at_risk(self) -> list[Row]:
        return [r for r in self.rows if r.flags]


def _natural(key: str) -> tuple[Any, ...]:
    """A sort key in which programme 2 comes before 14 and direction 1.2 before 1.10; text after numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", key))


def _year(p: Project) -> int:
    return timezone.localtime(p.call.opens_at).year


def _district_name(code: str) -> str:
    return NANNING_DISTRICTS.get(code, code) if code else str(OUTSIDE)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _results(checks: Any) -> dict[str, dict[str, Any]]:
    """The per-indicator results of a report's checks, keyed by rule id and by indicator id (as text)."""
    items = checks.get("indicators") if isinstance(checks, dict) else None
    out: dict[str, dict[str, Any]] = {}
    if isinstance(items, dict):
        for key, item in items.items():
            if isinstance(item, dict):
                out[str(key)] = item
    elif isinstance(items, list):
        for item in items:
            if not isinstance(item, dict):
                continue
            for key in ("rule", "indicator"):
                if item.get(key) not in (None, ""):
                    out.setdefault(str(item[key]), item)
    return out


def _result_of(results: dict[str, dict[str, Any]], indicator: int, rule: str) -> str | None:
    """An indicator's result in a report's checks: by its id, else by its rule (a commitment's)."""
    item = results.get(str(indicator)) or (results.get(rule) if rule else None)
    return item.get("result") if item else None


def _checked_actual(results: dict[str, dict[str, Any]], fact: str) -> Any:
    for item in results.values():
        actual = item.get("actual")
        if isinstance(actual, dict) and fact in actual:
            return actual[fact]
    return None


# --------------------------------------------------------------------------- risks


@dataclass(frozen=True)
class _Deadlines:
    midterm_min_amount: int
    midterm_min_months: int
    midterm_share_pct: int
    final_report_months: int
    acceptance_within_months: int


def _deadlines(call_ids: Iterable[int]) -> dict[int, _Deadlines]:
    """Each call's due-date rules: the management rules, with the call's own settings over them."""
    rules = project_rules.postaward()
    calls = set(call_ids)
    own = {
        call: (amount, months)
        for call, amount, months in ProjectCallSettings.objects.filter(call__in=calls).values_list(
            "call_id", "midterm_min_amount", "midterm_min_months"
        )
    }
    out = {}
    for call in calls:
        amount, months = own.get(call, (None, None))
        out[call] = _Deadlines(
            midterm_min_amount=rules.midterm_min_amount if amount is None else amount,
            midterm_min_months=rules.midterm_min_months if months is None else months,
            midterm_share_pct=rules.midterm_at_share_pct,
            final_report_months=rules.final_report_months,
            acceptance_within_months=rules.acceptance_within_months,
        )
    return out


@dataclass(frozen=True)
class _Report:
    kind: str
    due_on: dt.date
    submitted_on: dt.date | None
    outcome: str
    rectify_by: dt.date | None
    actuals: dict[str, Any]
    checks: dict[str, Any]


def _midterm_flag(p: Project, today: dt.date, d: _Deadlines, reports: list[_Report]) -> Flag | None:
    """The mid-term report overdue: never submitted though the project needs one, or not
    resubmitted by the date a 限期整改 check set."""
    if p.midterm_passed_at is not None:
        return None
    midterms = [r for r in reports if r.kind == Report.Kind.MIDTERM]
    if midterms:
        last = midterms[-1]
        late = last.outcome == Report.Outcome.RECTIFY and last.rectify_by is not None and last.rectify_by < today
        return Flag("midterm_overdue", last.rectify_by) if late and last.rectify_by else None
    needed = project_rules.midterm_required(
        amount=p.approved_amount, starts_on=p.starts_on, ends_on=p.ends_on, min_amount=d.midterm_min_amount, min_months=d.midterm_min_months
    )
    due = project_rules.midterm_due(p.starts_on, p.ends_on, d.midterm_share_pct)
    return Flag("midterm_overdue", due) if needed and due < today else None


def _flags(
    p: Project, today: dt.date, d: _Deadlines, milestones: list[tuple[dt.date, str]], reports: list[_Report], rectify_by: dt.date | None
) -> tuple[Flag, ...]:
    """What is late on a running project as of `today` (the due day itself is still in time)."""
    if p.state not in FUNDED_RUNNING:
        return ()
    reach = [max(r.due_on, r.submitted_on or r.due_on) for r in reports]  # the day up to which a report speaks
    # A stage due at the end is the final report's to cover, and that report has its own deadline (final_overdue).
    flags = [
        Flag("milestone_missed", due_on, title)
        for due_on, title in milestones
        if due_on < min(today, p.ends_on) and not any(x >= due_on for x in reach)
    ]
    if p.state == "in_progress":
        midterm = _midterm_flag(p, today, d, reports)
        if midterm is not None:
            flags.append(midterm)
        final_due = project_rules.final_report_due(p.ends_on, d.final_report_months)
        if final_due < today and not any(r.kind == Report.Kind.FINAL for r in reports):
            flags.append(Flag("final_overdue", final_due))
    if p.state == "rectifying" and rectify_by is not None and rectify_by < today:
        flags.append(Flag("rectification_overdue", rectify_by))
    acceptance_due = project_rules.acceptance_due(p.ends_on, d.acceptance_within_months)
    if p.accepted_at is None and acceptance_due < today:
        flags.append(Flag("acceptance_overdue", acceptance_due))
    return tuple(flags)


# --------------------------------------------------------------------------- the portfolio

PROJECT_FIELDS = (
    "id",
    "number",
    "title",
    "programme",
    "direction",
    "state",
    "approved_amount",
    "starts_on",
    "ends_on",
    "midterm_passed_at",
    "accepted_at",
    "guide_version_id",
    "call_id",
    "organisation_id",
    "call__opens_at",
    "organisation__name",
    "organisation__district",
)


def _options(visible: QuerySet[Project]) -> list[tuple[Any, ...]]:
    """The distinct (programme, direction, district, call opened, state, guide version) of the visible projects."""
    return list(
        visible.order_by()
        .values_list("programme", "direction", "organisation__district", "call__opens_at", "state", "guide_version_id")
        .distinct()
    )


def _guides(ids: set[int]) -> dict[int, CompiledGuide]:
    # Only the digest: a compiled version is cached by it, so its spec is read at most once per process.
    return {v.pk: compiled_for(v) for v in GuideVersion.objects.filter(pk__in=ids).only("id", "digest")}


def _names(guides: dict[int, CompiledGuide]) -> tuple[dict[str, str], dict[str, str]]:
    programmes: dict[str, str] = {}
    directions: dict[str, str] = {}
    for compiled in guides.values():
        for pr in compiled.guide.programmes:
            programmes.setdefault(pr.id, pr.name)
        for d in compiled.guide.directions:
            directions.setdefault(d.id, d.name)
    return programmes, directions


def _sums(qs: QuerySet[Any], key: str, value: str) -> dict[int, int]:
    return {k: int(s or 0) for k, s in qs.order_by().values(key).annotate(s=Sum(value)).values_list(key, "s")}


@dataclass
class _Reads:
    """Everything the rows need besides the projects, one query each over all of them."""

    indicators: dict[int, list[tuple[int, str, str, dict[str, Any]]]]  # (id, source, rule, targets)
    milestones: dict[int, list[tuple[dt.date, str]]]
    reports: dict[int, list[_Report]]  # submitted, oldest first
    rectify_by: dict[int, dt.date]
    paid: dict[int, int]
    due_back: dict[int, int]
    recovered: dict[int, int]


def _read(ids: QuerySet[Project, Any]) -> _Reads:
    indicators: dict[int, list[tuple[int, str, str, dict[str, Any]]]] = defaultdict(list)
    for pid, iid, source, rule, targets in (
        Indicator.objects.filter(project__in=ids)
        .order_by("project", "order", "id")
        .values_list("project_id", "id", "source", "rule_id", "targets")
    ):
        indicators[pid].append((iid, source, rule, targets if isinstance(targets, dict) else {}))
    milestones: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for pid, due_on, title in (
        Milestone.objects.filter(project__in=ids, project__state__in=FUNDED_RUNNING)
        .order_by("project", "due_on", "order", "id")
        .values_list("project_id", "due_on", "title")
    ):
        milestones[pid].append((due_on, title))
    reports: dict[int, list[_Report]] = defaultdict(list)
    for pid, kind, due_on, submitted_at, outcome, rectify_by, actuals, checks in (
        Report.objects.filter(project__in=ids, state__in=SUBMITTED)
        .order_by("project", "submitted_at", "id")
        .values_list("project_id", "kind", "due_on", "submitted_at", "outcome", "rectify_by", "actuals", "checks")
    ):
        reports[pid].append(
            _Report(
                kind=kind,
                due_on=due_on,
                submitted_on=timezone.localdate(submitted_at) if submitted_at else None,
                outcome=outcome,
                rectify_by=rectify_by,
                actuals=actuals if isinstance(actuals, dict) else {},
                checks=checks if isinstance(checks, dict) else {},
            )
        )
    return _Reads(
        indicators=indicators,
        milestones=milestones,
        reports=reports,
        rectify_by={  # the last acceptance's date wins
            pid: by
            for pid, by in Acceptance.objects.filter(project__in=ids, project__state="rectifying", rectify_by__isnull=False)
            .order_by("project", "number", "id")
            .values_list("project_id", "rectify_by")
            if by is not None
        },
        paid=_sums(Payment.objects.filter(project__in=ids), "project", "amount"),
        due_back=_sums(Recovery.objects.filter(project__in=ids), "project", "amount_due"),
        recovered=_sums(RecoveryReceipt.objects.filter(recovery__project__in=ids), "recovery__project", "amount"),
    )


def _fact_values(
    compiled: CompiledGuide,
    indicators: list[tuple[int, str, str, dict[str, Any]]],
    latest: _Report | None,
    results: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A project's numeric targets per fact (the highest its commitments hold) and the latest report's actuals of those facts."""
    facts = compiled.guide.facts
    targets: dict[str, Any] = {}
    for _iid, source, _rule, held in indicators:
        if source != Indicator.Source.COMMITMENT:
            continue
        for name, value in held.items():
            fact = facts.get(name)
            if fact is not None and fact.type in NUMERIC_TYPES and _number(value):
                targets[name] = max(targets.get(name, value), value)
    actuals: dict[str, Any] = {}
    if latest is not None:
        for name in targets:
            value = latest.actuals.get(name)
            value = value if value is not None else _checked_actual(results, name)
            if _number(value):
                actuals[name] = value
    return targets, actuals


def _row(
    p: Project, *, compiled: CompiledGuide, reads: _Reads, names: tuple[dict[str, str], dict[str, str]], flags: tuple[Flag, ...]
) -> Row:
    own = reads.reports.get(p.pk, [])
    latest = own[-1] if own else None
    results = _results(latest.checks) if latest else {}
    indicators = reads.indicators.get(p.pk, [])
    targets, actuals = _fact_values(compiled, indicators, latest, results)
    district = p.organisation.district
    return Row(
        id=p.pk,
        number=p.number,
        title=p.title,
        organisation=p.organisation.name,
        programme=p.programme,
        programme_name=names[0].get(p.programme, p.programme),
        direction=p.direction,
        direction_name=names[1].get(p.direction, ""),
        district=district,
        district_name=_district_name(district),
        year=_year(p),
        state=p.state,
        contracted=len(indicators),
        completed=sum(_result_of(results, iid, rule) == "pass" for iid, _source, rule, _held in indicators),
        reported=latest is not None,
        granted=p.approved_amount,
        paid=reads.paid.get(p.pk, 0),
        due_back=reads.due_back.get(p.pk, 0),
        recovered=reads.recovered.get(p.pk, 0),
        flags=flags,
        targets=targets,
        actuals=actuals,
    )


def portfolio(viewer: Viewer, filters: Filters | Mapping[str, Any] | None = None, *, now: dt.datetime | None = None) -> Portfolio:
    """The portfolio of the projects `viewer` may see, narrowed by `filters`, as of `now`."""
    require_role(viewer, *PORTFOLIO_ROLES, message="项目绩效看板仅供项目处和财务人员查看 / the portfolio is for officers and finance")
    f = filters if isinstance(filters, Filters) else filters_from(filters)
    today = timezone.localdate(now)
    visible = projects_visible_to(viewer)
    option_values = _options(visible)
    guides = _guides({v[5] for v in option_values})
    names = _names(guides)
    qs = _filtered(visible, f)
    projects = list(qs.select_related(None).select_related("organisation", "call").only(*PROJECT_FIELDS).order_by("number", "pk"))
    reads = _read(qs.order_by().values("pk"))  # a subquery: the same projects for every read, whatever their number
    deadlines = _deadlines(p.call_id for p in projects)
    rows = [
        _row(
            p,
            compiled=guides[p.guide_version_id],
            reads=reads,
            names=names,
            flags=_flags(
                p, today, deadlines[p.call_id], reads.milestones.get(p.pk, []), reads.reports.get(p.pk, []), reads.rectify_by.get(p.pk)
            ),
        )
        for p in projects
    ]
    return Portfolio(
        as_of=today,
        filters=f,
        rows=rows,
        totals=_total(rows),
        groups={dim: _group(rows, dim) for dim in DIMENSIONS},
        facts=_fact_totals(rows, guides),
        options=_option_lists(option_values, *names),
    )


def _total(rows: list[Row]) -> Group:
    total = Group("", str(_("合计")))
    for r in rows:
        total.add(r)
    return total


def _group_key(row: Row, dim: str) -> tuple[str, str]:
    if dim == "programme":
        return row.programme, row.programme_name
    if dim == "direction":
        return row.direction, f"{row.direction} {row.direction_name}".strip()
    if dim == "district":
        return row.district, row.district_name
    return str(row.year), str(row.year)


def _group(rows: list[Row], dim: str) -> list[Group]:
    groups: dict[str, Group] = {}
    for r in rows:
        key, name = _group_key(r, dim)
        groups.setdefault(key, Group(key, name)).add(r)
    return sorted(groups.values(), key=lambda g: (g.key == "", _natural(g.key)))


def _fact_totals(rows: list[Row], guides: dict[int, CompiledGuide]) -> list[FactTotal]:
    """Each targeted fact: the sum of the rows' targets and of their actuals, labelled by the guide."""
    known: dict[str, tuple[int, str, str]] = {}  # fact -> (order in its guide, label, unit)
    for compiled in guides.values():
        for i, (name, fact) in enumerate(compiled.guide.facts.items()):
            known.setdefault(name, (i, fact.label, fact.unit or ""))
    totals: dict[str, FactTotal] = {}
    for r in rows:
        for name, target in r.targets.items():
            _order, label, unit = known.get(name, (0, name, ""))
            t = totals.setdefault(name, FactTotal(name, label, unit))
            t.projects += 1
            t.target += target
            if name in r.actuals:
                t.reported += 1
                t.actual += r.actuals[name]
    return sorted(totals.values(), key=lambda t: (known.get(t.fact, (len(known), "", ""))[0], t.fact))


def _option_lists(
    values: list[tuple[Any, ...]], programmes: dict[str, str], directions: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    seen: dict[str, dict[str, str]] = {"programme": {}, "direction": {}, "district": {}, "year": {}, "state": {}}
    for programme, direction, district, opened, state, _version in values:
        seen["programme"][programme] = programmes.get(programme, programme)
        seen["direction"][direction] = f"{direction} {directions.get(direction, '')}".strip()
        seen["district"][district or ""] = _district_name(district or "")
        year = str(timezone.localtime(opened).year)
        seen["year"][year] = year
        seen["state"][state] = str(PROJECT.state_label(state))
    out = {dim: sorted(names.items(), key=lambda kv: (kv[0] == "", _natural(kv[0]))) for dim, names in seen.items()}
    out["year"].reverse()  # the newest first
    order = list(PROJECT.states)
    out["state"] = sorted(seen["state"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    # A district filter on "" is "all": the organisations outside Nanning are shown, not chosen.
    out["district"] = [kv for kv in out["district"] if kv[0]]
    return out


# --------------------------------------------------------------------------- the workbook

PERCENT = "0.0%"

ROW_COLUMNS = [
    Column("序号", 6),
    Column("项目编号", 14),
    Column("项目名称", 40),
    Column("承担单位", 30),
    Column("专项", 18),
    Column("申报方向", 28),
    Column("区县", 10),
    Column("年度", 8),
    Column("状态", 10),
    Column("考核指标（项）", 12),
    Column("已完成（项）", 12),
    Column("完成率", 10, PERCENT),
    Column("立项金额（元）", 14, YUAN),
    Column("已拨付（元）", 14, YUAN),
    Column("应退回（元）", 14, YUAN),
    Column("已退回（元）", 14, YUAN),
    Column("风险", 40),
]
GROUP_COLUMNS = [
    Column("编号", 10),
    Column("名称", 30),
    Column("项目数", 10),
    Column("考核指标（项）", 12),
    Column("已完成（项）", 12),
    Column("完成率", 10, PERCENT),
    Column("立项金额（元）", 16, YUAN),
    Column("已拨付（元）", 16, YUAN),
    Column("应退回（元）", 16, YUAN),
    Column("已退回（元）", 16, YUAN),
    Column("风险项目数", 10),
]
GROUP_SHEETS = {"programme": "按专项", "direction": "按方向", "district": "按区县", "year": "按年度"}
FACT_COLUMNS = [
    Column("指标事实", 32),
    Column("指标", 48),
    Column("单位", 8),
    Column("有目标的项目数", 14),
    Column("已报告的项目数", 14),
    Column("任务书目标合计", 18, "#,##0.##"),
    Column("实际完成合计", 18, "#,##0.##"),
    Column("完成率", 10, PERCENT),
]
RISK_COLUMNS = [
    Column("项目编号", 14),
    Column("项目名称", 40),
    Column("承担单位", 30),
    Column("状态", 10),
    Column("风险", 20),
    Column("应完成日期", 12, DATE),
    Column("说明", 40),
]


def _flags_text(row: Row) -> str:
    return "；".join(f"{f.label}（{f.due_on.isoformat()}{' ' + f.detail if f.detail else ''}）" for f in row.flags)


def _group_cells(g: Group) -> list[Any]:
    return [g.key, g.name, g.projects, g.contracted, g.completed, g.completion_rate, g.granted, g.paid, g.due_back, g.recovered, g.at_risk]


def _filters_text(p: Portfolio) -> str:
    f = p.filters
    names = {dim: dict(p.options.get(dim, [])) for dim in ("programme", "direction", "district", "state")}
    parts = [
        f"专项 {names['programme'].get(f.programme, f.programme)}" if f.programme else "",
        f"方向 {names['direction'].get(f.direction, f.direction)}" if f.direction else "",
        f"区县 {names['district'].get(f.district, f.district)}" if f.district else "",
        f"{f.year} 年度" if f.year is not None else "",
        f"状态 {names['state'].get(f.state, f.state)}" if f.state else "",
    ]
    chosen = "，".join(x for x in parts if x)
    return f"（{chosen}）" if chosen else "（全部项目）"


def portfolio_xlsx(viewer: Viewer, filters: Filters | Mapping[str, Any] | None = None, *, now: dt.datetime | None = None) -> bytes:
    """The portfolio as a workbook, one sheet per table: 项目, 按专项, 按方向, 按区县, 按年度,
    指标完成 and 风险项目. A sheet's totals row is the sum of its rows (the facts have none:
    their units differ). Chinese, whatever the reader's language, like every export."""
    with translation.override("zh-hans"):
        p = portfolio(viewer, filters, now=now)
        stamp = f"{_filters_text(p)}（截至 {p.as_of.isoformat()}，导出于 {timezone.localtime(now).strftime('%Y-%m-%d %H:%M')}，北京时间）"
        t = p.totals
        project_rows = [
            [
                n,
                r.number,
                r.title,
                r.organisation,
                r.programme_name,
                f"{r.direction} {r.direction_name}".strip(),
                r.district_name,
                r.year,
                r.state_label,
                r.contracted,
                r.completed,
                r.completion_rate,
                r.granted,
                r.paid,
                r.due_back,
                r.recovered,
                _flags_text(r),
            ]
            for n, r in enumerate(p.rows, start=1)
        ]
        sheets = [
            Sheet(
                "项目",
                ROW_COLUMNS,
                project_rows,
                title=f"项目绩效总览{stamp}",
                totals=[
                    "合计",
                    f"{t.projects} 项",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    t.contracted,
                    t.completed,
                    t.completion_rate,
                    *(getattr(t, m) for m in MONEY),
                    f"{t.at_risk} 项有风险",
                ],
            )
        ]
        for dim, name in GROUP_SHEETS.items():
            sheets.append(
                Sheet(
                    name,
                    GROUP_COLUMNS,
                    [_group_cells(g) for g in p.groups[dim]],
                    title=f"项目绩效{name}{stamp}",
                    totals=["合计", "", *_group_cells(t)[2:]],
                )
            )
        sheets.append(
            Sheet(
                "指标完成",
                FACT_COLUMNS,
                [[x.fact, x.label, x.unit, x.projects, x.reported, x.target, x.actual, x.rate] for x in p.facts],
                title=f"考核指标目标与实际完成{stamp}",
            )
        )
        risks = [[r.number, r.title, r.organisation, r.state_label, f.label, f.due_on, f.detail] for r in p.at_risk for f in r.flags]
        sheets.append(
            Sheet(
                "风险项目",
                RISK_COLUMNS,
                risks,
                title=f"风险项目{stamp}",
                totals=["合计", f"{len(p.at_risk)} 项", "", "", f"{len(risks)} 条", "", ""],
            )
        )
        buf = io.BytesIO()
        write_sheets(buf, sheets)
    return buf.getvalue()

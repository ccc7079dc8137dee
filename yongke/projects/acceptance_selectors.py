"""Reads of the post-award half: each project's schedule (mid-term report, final report,
acceptance), its reports and acceptances, the reports overdue, and an expert's panel tasks —
each knowing who asks.

Due dates come from the management rules (`data/rules.yaml`, read by `rules.postaward()`),
overridden per call by the post-award fields of `ProjectCallSettings` (empty: the rules'
default). A scheduled report's due date follows the schedule (an approved extension moves it)
until it is submitted; a report opened by a decision (a mid-term or an acceptance given
限期整改) is due on the date the decision set.

An expert sees a panel task of their own only, and before accepting it only the project's
title, direction and the conflict question (who the unit, its partners and its people are);
after accepting, the acceptance material (the task book's indicators, the report, its checks
and evidence)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications.models import Call
from yongke.applications.proposal import BUDGET_LABELS
from yongke.core.errors import NotFound
from yongke.guide.model import Fact
from yongke.guide.selectors import compiled_for
from yongke.projects import rules as project_rules
from yongke.projects import taskbook, verification
from yongke.projects.models import Acceptance, Indicator, PanelMember, Project, ProjectCallSettings, ProjectFile, Report
from yongke.projects.selectors import project_get, projects_visible_to

OPEN_REPORT_STATES = (Report.State.DRAFT, Report.State.RETURNED)  # a report still being written
SCHEDULED_STATES = ("in_progress",)  # a scheduled report (mid-term, final) is written while the project runs
SEEN_BY_PANEL = (PanelMember.State.ACCEPTED, PanelMember.State.SUBMITTED)  # an expert who accepted sees the material


# --------------------------------------------------------------------------- the call's settings


@dataclass(frozen=True)
class PostAwardSettings:
    """A call's post-award settings in force: each the call's own value or the rules' default."""

    midterm_min_amount: int
    midterm_min_months: int
    documents_below: int
    rectify_months: int
    publish_results: bool
    consequences: dict[str, Any]  # the call's overrides as stored ({code: spec or null to waive})
    overridden: tuple[str, ...]  # the fields the call sets itself

    def as_dict(self) -> dict[str, Any]:
        return {
            "midterm_min_amount": self.midterm_min_amount,
            "midterm_min_months": self.midterm_min_months,
            "documents_below": self.documents_below,
            "rectify_months": self.rectify_months,
            "publish_results": self.publish_results,
            "consequences": self.consequences,
            "overridden": list(self.overridden),
        }


POSTAWARD_FIELDS = ("midterm_min_amount", "midterm_min_months", "documents_below", "rectify_months")


def postaward_settings_for(call: Call | int) -> PostAwardSettings:
    """The post-award settings of a call (calls are public, so is this): its own, else the rules'."""
    rules = project_rules.postaward()
    own = ProjectCallSettings.objects.filter(call=call).first()
    defaults = {
        "midterm_min_amount": rules.midterm_min_amount,
        "midterm_min_months": rules.midterm_min_months,
        "documents_below": rules.documents_below,
        "rectify_months": rules.rectify_months,
    }
    values = dict(defaults)
    overridden = []
    if own is not None:
        for name in POSTAWARD_FIELDS:
            value = getattr(own, name)
            if value is not None:
                values[name] = value
                overridden.append(name)
        if own.publish_results:
            overridden.append("publish_results")
        if own.consequences:
            overridden.append("consequences")
    return PostAwardSettings(
        **values,
        publish_results=bool(own and own.publish_results),
        consequences=dict(own.consequences) if own is not None else {},
        overridden=tuple(overridden),
    )


# --------------------------------------------------------------------------- a project's schedule


@dataclass(frozen=True)
class Schedule:
    """When a project's reports are due and how it is accepted, by the rules and its call."""

    midterm_required: bool
    midterm_due: dt.date | None
    final_report_due: dt.date
    acceptance_due: dt.date
    acceptance_mode: str  # documents | panel: the default by the approved amount
    rectify_months: int
    midterm_rectify_months: int

    def due_of(self, kind: str) -> dt.date | None:
        """The scheduled due date of a report of `kind` (its first); None for one no schedule fixes."""
        if kind == Report.Kind.MIDTERM:
            return self.midterm_due
        if kind == Report.Kind.FINAL:
            return self.final_report_due
        return None


def schedule_of(project: Project, settings: PostAwardSettings | None = None) -> Schedule:
    """The project's schedule (no access check: the services and the selectors below call it)."""
    rules = project_rules.postaward()
    s = settings or postaward_settings_for(project.call_id)
    required = project_rules.midterm_required(
        amount=project.approved_amount,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        min_amount=s.midterm_min_amount,
        min_months=s.midterm_min_months,
    )
    return Schedule(
        midterm_required=required,
        midterm_due=project_rules.midterm_due(project.starts_on, project.ends_on, rules.midterm_at_share_pct) if required else None,
        final_report_due=project_rules.final_report_due(project.ends_on, rules.final_report_months),
        acceptance_due=project_rules.acceptance_due(project.ends_on, rules.acceptance_within_months),
        acceptance_mode=Acceptance.Mode.DOCUMENTS if project.approved_amount < s.documents_below else Acceptance.Mode.PANEL,
        rectify_months=s.rectify_months,
        midterm_rectify_months=rules.midterm_rectify_months,
    )


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _slot(kind: str, number: int, due: dt.date | None, report: Report | None, today: dt.date) -> dict[str, Any]:
    state = report.state if report is not None else "not_started"
    waiting = report is None or report.state in OPEN_REPORT_STATES
    return {
        "kind": kind,
        "kind_label": Report.Kind(kind).label,
        "number": number,
        "due_on": _iso(due),
        "report": report.pk if report is not None else None,
        "state": state,
        "state_label": report.get_state_display() if report is not None else "未开始填报",
        "overdue": bool(waiting and due is not None and today > due),
    }


def schedule_slots(project: Project, schedule: Schedule, *, today: dt.date) -> list[dict[str, Any]]:
    """The reports the project owes or has made, in due order: the scheduled mid-term and final
    reports (as rows once the unit starts one, else "not started" while the project runs) and
    every report a decision opened."""
    reports = list(project.reports.order_by("due_on", "kind", "number"))
    slots = []
    have = {(r.kind, r.number) for r in reports}
    runs = project.state in SCHEDULED_STATES
    if schedule.midterm_required and (Report.Kind.MIDTERM, 1) not in have and runs and project.midterm_passed_at is None:
        slots.append(_slot(Report.Kind.MIDTERM, 1, schedule.midterm_due, None, today))
    if (Report.Kind.FINAL, 1) not in have and runs:
        slots.append(_slot(Report.Kind.FINAL, 1, schedule.final_report_due, None, today))
    for r in reports:
        scheduled = r.number == 1 and r.kind in (Report.Kind.MIDTERM, Report.Kind.FINAL) and r.state in OPEN_REPORT_STATES
        due = schedule.due_of(r.kind) if scheduled else r.due_on
        slots.append(_slot(r.kind, r.number, due or r.due_on, r, today))
    return sorted(slots, key=lambda s: (s["due_on"] or "", s["kind"], s["number"]))


def project_schedule(viewer: Viewer, project: Project, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The schedule of a project the viewer may see (else not found): the due dates, the
    acceptance mode by default, and each report owed or made."""
    p = project_get(viewer, project.pk)
    schedule = schedule_of(p)
    today = timezone.localdate(now or timezone.now())
    return {
        "project": p.pk,
        "midterm_required": schedule.midterm_required,
        "midterm_due": _iso(schedule.midterm_due),
        "final_report_due": _iso(schedule.final_report_due),
        "acceptance_due": _iso(schedule.acceptance_due),
        "acceptance_mode": schedule.acceptance_mode,
        "midterm_passed_at": p.midterm_passed_at,
        "accepted_at": p.accepted_at,
        "reports": schedule_slots(p, schedule, today=today),
    }


# --------------------------------------------------------------------------- reports


def reports_visible_to(viewer: Viewer) -> QuerySet[Report]:
    return Report.objects.filter(project__in=projects_visible_to(viewer)).select_related("project")


def reports_of(viewer: Viewer, project: Project) -> QuerySet[Report]:
    p = project_get(viewer, project.pk)
    return p.reports.select_related("submitted_by", "checked_by").prefetch_related("files").order_by("due_on", "kind", "number")


def report_get(viewer: Viewer, pk: Any) -> Report:
    """A report of a project the viewer may see; otherwise not found."""
    try:
        return reports_visible_to(viewer).prefetch_related("files").get(pk=int(pk))
    except (Report.DoesNotExist, TypeError, ValueError):
        raise NotFound("报告不存在 / report not found", detail={"report": str(pk)}) from None


def report_file_get(*, report: Report, pk: Any) -> ProjectFile:
    try:
        return report.files.get(pk=int(pk))
    except (ProjectFile.DoesNotExist, TypeError, ValueError):
        raise NotFound("佐证材料不存在 / evidence not found", detail={"file": str(pk)}) from None


def reports_overdue(viewer: Viewer, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The reports past their due date and not submitted (drafts, returned ones, and scheduled
    ones not started) of the projects the viewer sees — for officers."""
    require_role(viewer, Role.OFFICER, message="只有项目处人员可以查看逾期报告 / officers only")
    today = timezone.localdate(now or timezone.now())
    projects = projects_visible_to(viewer).filter(state__in=("in_progress", "rectifying")).prefetch_related("reports")
    settings: dict[int, PostAwardSettings] = {}
    out = []
    for p in projects.order_by("number"):
        s = settings.setdefault(p.call_id, postaward_settings_for(p.call_id))
        for slot in schedule_slots(p, schedule_of(p, s), today=today):
            if slot["overdue"]:
                due = dt.date.fromisoformat(slot["due_on"])
                out.append({**slot, "project": p, "days_overdue": (today - due).days})
    return sorted(out, key=lambda r: (r["due_on"], r["project"].number, r["kind"]))


# --------------------------------------------------------------------------- a report checked by the guide's rules


def _commitment_rules(p: Project) -> dict[str, Any]:
    compiled = compiled_for(p.guide_version)
    return {cr.rule.id: cr for cr in taskbook.indicator_rules(compiled, p.direction)}


def reportable_facts(p: Project) -> dict[str, Fact]:
    """The facts a report gives actuals of: those the project's commitment indicators read,
    except what an indicator holds as context (the route chosen, the standing as at 立项)."""
    facts = compiled_for(p.guide_version).guide.facts
    rules = _commitment_rules(p)
    out: dict[str, Fact] = {}
    for ind in p.indicators.filter(source=Indicator.Source.COMMITMENT):
        cr = rules.get(ind.rule_id)
        names = list(cr.names) if cr is not None else list(ind.targets)
        for name in names:
            if name in facts and name not in ind.context:
                out[name] = facts[name]
    return out


def _min_rate(rates: list[float | None]) -> float | None:
    known = [r for r in rates if r is not None]
    return min(known) if known else None


def _commitment_check(compiled: Any, cr: Any, ind: Indicator, actuals: Mapping[str, Any]) -> dict[str, Any]:
    facts = compiled.guide.facts
    row: dict[str, Any] = {"indicator": ind.pk, "source": ind.source, "rule": ind.rule_id, "label": ind.label, "clause": ind.clause}
    if cr is None:  # the pinned guide version always has it; kept safe for a hand-edited row
        return {**row, "target": ind.targets, "actual": {}, "result": "missing", "rule_result": "missing", "rate": None, "facts": []}
    chk = verification.check_indicator(compiled, cr, targets=ind.targets, actuals=actuals, context=ind.context)
    per_fact = []
    for name, target in chk.target.items():
        fact = facts.get(name)
        actual = chk.actual.get(name)
        per_fact.append(
            {
                "fact": name,
                "label": fact.label if fact else name,
                "unit": (fact.unit or "") if fact else "",
                "target": target,
                "actual": actual,
                "rate": verification.rate_of(target, actual),
            }
        )
    return {
        **row,
        "target": chk.target,
        "actual": chk.actual,
        "result": chk.result,
        "rule_result": chk.rule_result,
        "message": chk.message,
        "unmet": list(chk.unmet),
        "missing": list(chk.missing),
        "rate": _min_rate([f["rate"] for f in per_fact]),
        "facts": per_fact,
    }


def _extra_check(ind: Indicator, actual: Any) -> dict[str, Any]:
    target = float(ind.target_value) if ind.target_value is not None else None
    result = "missing" if actual is None else "pass" if target is None or actual >= target else "fail"
    return {
        "indicator": ind.pk,
        "source": ind.source,
        "rule": "",
        "label": ind.label,
        "clause": "",
        "unit": ind.unit,
        "target": target,
        "actual": actual,
        "result": result,
        "rule_result": result,
        "rate": verification.rate_of(target, actual),
        "facts": [],
    }


def report_checks(project: Project, report: Report) -> dict[str, Any]:
    """The report's actuals checked: every commitment indicator by its guide rule and targets,
    every added indicator against its target, the completion rate (passed ÷ contracted) and the
    verdict; for a mid-term report, also the stages (milestones) due by its due date.
    A read (the services store it on submission and at the opening of an acceptance)."""
    compiled = compiled_for(project.guide_version)
    rules = {cr.rule.id: cr for cr in taskbook.indicator_rules(compiled, project.direction)}
    rows = []
    for ind in project.indicators.all():
        if ind.source == Indicator.Source.COMMITMENT:
            rows.append(_commitment_check(compiled, rules.get(ind.rule_id), ind, report.actuals or {}))
        else:
            rows.append(_extra_check(ind, (report.extra_actuals or {}).get(str(ind.pk))))
    results = [r["result"] for r in rows]
    out: dict[str, Any] = {
        "indicators": rows,
        "completion_rate": verification.completion_rate(results),
        "verdict": verification.verdict_of(results),
    }
    if report.kind == Report.Kind.MIDTERM:
        stages = [(m.due_on.isoformat(), m.title, m.targets) for m in project.milestones.filter(due_on__lte=report.due_on)]
        milestones = verification.milestone_checks(compiled.guide.facts, stages, report.actuals or {})
        out["milestones"] = milestones
        out["milestone_verdict"] = verification.verdict_of(m["result"] for m in milestones)
    return out


# --------------------------------------------------------------------------- acceptances


def acceptances_visible_to(viewer: Viewer) -> QuerySet[Acceptance]:
    return Acceptance.objects.filter(project__in=projects_visible_to(viewer)).select_related("project", "report")


def acceptance_get(viewer: Viewer, pk: Any) -> Acceptance:
    try:
        return acceptances_visible_to(viewer).get(pk=int(pk))
    except (Acceptance.DoesNotExist, TypeError, ValueError):
        raise NotFound("验收不存在 / acceptance not found", detail={"acceptance": str(pk)}) from None


def acceptances_of(viewer: Viewer, project: Project) -> QuerySet[Acceptance]:
    p = project_get(viewer, project.pk)
    return p.acceptances.select_related("report").order_by("number")


def sees_panel(viewer: Viewer, acceptance: Acceptance) -> bool:
    """Who sees a panel's members and their opinions: the programme's officers."""
    scope = scope_of(viewer)
    return scope.sees_everything or scope.officer_for(acceptance.project.programme)


def members_of(viewer: Viewer, acceptance: Acceptance) -> list[PanelMember]:
    """The panel's members for whoever sees them (else none: the unit sees the verdict, not the panel)."""
    if not sees_panel(viewer, acceptance):
        return []
    return list(acceptance.members.select_related("expert__person", "expert__organisation").order_by("id"))


def panel_progress(acceptance: Acceptance) -> dict[str, int]:
    """How far a panel is: members invited (not declined), accepted, submitted."""
    states = list(acceptance.members.values_list("state", flat=True))
    return {
        "invited": sum(s != PanelMember.State.DECLINED for s in states),
        "pending": sum(s == PanelMember.State.INVITED for s in states),
        "accepted": sum(s in SEEN_BY_PANEL for s in states),
        "submitted": sum(s == PanelMember.State.SUBMITTED for s in states),
        "declined": sum(s == PanelMember.State.DECLINED for s in states),
    }


# --------------------------------------------------------------------------- the expert's side


def panel_tasks_for(viewer: Viewer) -> QuerySet[PanelMember]:
    """The panel tasks of the signed-in expert (none for anybody else)."""
    user_id = getattr(viewer, "pk", None)
    if user_id is None or not getattr(viewer, "is_active", False):
        return PanelMember.objects.none()
    return (
        PanelMember.objects.filter(expert__user_id=user_id)
        .select_related("acceptance__project", "expert")
        .order_by("-acceptance__opened_at", "-id")
    )


def panel_task_get(viewer: Viewer, pk: Any) -> PanelMember:
    """One of the expert's own panel tasks; anybody else's is not found."""
    try:
        return panel_tasks_for(viewer).get(pk=int(pk))
    except (PanelMember.DoesNotExist, TypeError, ValueError):
        raise NotFound("验收任务不存在 / panel task not found", detail={"member": str(pk)}) from None


def conflict_question(project: Project) -> dict[str, Any]:
    """What an invited expert must judge before accepting: who the unit, its partners and its people are."""
    parties = list(project.parties.all())
    partners = [p.name for p in parties if p.kind == "partner"]
    team = [p.name for p in parties if p.kind == "member" and p.name != project.leader.name]
    names = "、".join([project.organisation.name, *partners])
    people = "、".join([project.leader.name, *team])
    return {
        "organisation": project.organisation.name,
        "partners": partners,
        "leader": project.leader.name,
        "team": team,
        "question": (
            f"您与承担单位及合作单位（{names}）、项目负责人及项目组成员（{people}）是否存在利益冲突"
            "（同一单位、近三年曾在该单位工作、亲属关系、合作关系等）？无利益冲突方可接受邀请。"
        ),
    }


def _indicator_rows(project: Project) -> list[dict[str, Any]]:
    facts = compiled_for(project.guide_version).guide.facts
    return [
        {
            "id": ind.pk,
            "source": ind.source,
            "rule": ind.rule_id,
            "label": ind.label,
            "clause": ind.clause,
            "unit": ind.unit,
            "targets": {
                name: {"target": value, "label": facts[name].label if name in facts else name} for name, value in ind.targets.items()
            },
            "target_value": str(ind.target_value) if ind.target_value is not None else None,
        }
        for ind in project.indicators.all()
    ]


def report_material(report: Report) -> dict[str, Any]:
    """What the acceptance reads of a report: the indicators, the actuals, the spending, the checks and the evidence."""
    project = report.project
    return {
        "report": report.pk,
        "kind": report.kind,
        "kind_label": report.get_kind_display(),
        "number": report.number,
        "narrative": report.narrative,
        "actuals": report.actuals,
        "extra_actuals": report.extra_actuals,
        "spent": [{**line, "label": BUDGET_LABELS.get(line.get("category", ""), line.get("category", ""))} for line in report.spent or []],
        "checks": report.checks,
        "indicators": _indicator_rows(project),
        "files": [
            {"id": f.pk, "filename": f.filename, "content_type": f.content_type, "size": f.size, "indicator": f.indicator_id}
            for f in report.files.all()
        ],
    }


def panel_task_view(viewer: Viewer, member: PanelMember) -> dict[str, Any]:
    """An expert's panel task as they may see it: before accepting, the project's title and
    direction and the conflict question only; after, the acceptance material as well."""
    m = panel_task_get(viewer, member.pk)
    acceptance = m.acceptance
    project = acceptance.project
    out: dict[str, Any] = {
        "id": m.pk,
        "acceptance": acceptance.pk,
        "state": m.state,
        "state_label": m.get_state_display(),
        "acceptance_state": acceptance.state,
        "title": project.title,
        "direction": project.direction,
        "conflict": conflict_question(project),
        "material": None,
        "opinion": m.opinion,
        "recommendation": m.recommendation,
        "comment": m.comment,
        "submitted_at": m.submitted_at,
    }
    if m.state in SEEN_BY_PANEL:
        out["project"] = {
            "number": project.number,
            "organisation": project.organisation.name,
            "leader": project.leader.name,
            "starts_on": _iso(project.starts_on),
            "ends_on": _iso(project.ends_on),
            "approved_amount": project.approved_amount,
            "content": project.content,
        }
        out["material"] = report_material(acceptance.report)
        out["verdicts"] = allowed_verdicts(acceptance)
    return out


def panel_file_get(viewer: Viewer, member: PanelMember, pk: Any) -> ProjectFile:
    """An evidence file of the report a panel task is about, for its expert once they accepted."""
    m = panel_task_get(viewer, member.pk)
    if m.state not in SEEN_BY_PANEL:
        raise NotFound("佐证材料不存在 / evidence not found", detail={"file": str(pk)})
    return report_file_get(report=m.acceptance.report, pk=pk)


def panel_sees_report(viewer: Viewer, report: Report) -> bool:
    """Whether the viewer is an expert who accepted a panel on this report."""
    user_id = getattr(viewer, "pk", None)
    return bool(
        user_id is not None
        and PanelMember.objects.filter(Q(acceptance__report=report), expert__user_id=user_id, state__in=SEEN_BY_PANEL).exists()
    )


def allowed_verdicts(acceptance: Acceptance) -> list[str]:
    """The verdicts this acceptance may give: the first 通过 / 限期整改 / 不通过 (限期整改 while the
    rules' rectification periods are not used up), one after a rectification 整改后通过 / 不通过."""
    rules = project_rules.postaward()
    rectified = acceptance.project.acceptances.filter(verdict=Acceptance.Verdict.RECTIFY).exclude(pk=acceptance.pk).count()
    out = [Acceptance.Verdict.PASSED] if rectified == 0 else [Acceptance.Verdict.PASSED_AFTER_RECTIFICATION]
    if rectified < rules.rectify_times:
        out.append(Acceptance.Verdict.RECTIFY)
    out.append(Acceptance.Verdict.FAILED)
    return [str(v) for v in out]


def accepted_public() -> list[tuple[Acceptance, str]]:
    """The public list: the passed acceptances (通过, 整改后通过) of closed projects whose call's
    settings publish their results, newest first, each with its direction's name. For anyone,
    signed in or not: only what the 公示 pages show of a project (its title, unit, direction and
    call, its indicators and the acceptance's own checks and reasons), nothing of any person."""
    passing = Acceptance.objects.filter(
        state=Acceptance.State.DECIDED,
        verdict__in=(Acceptance.Verdict.PASSED, Acceptance.Verdict.PASSED_AFTER_RECTIFICATION),
        project__state="closed",
        project__call__project_settings__publish_results=True,
    )
    rows = (
        passing.select_related("project__organisation", "project__call", "project__guide_version")
        .prefetch_related(Prefetch("project__indicators", queryset=Indicator.objects.order_by("order", "id")))
        .order_by("-decided_at", "-pk")
    )
    names: dict[tuple[int, str], str] = {}
    out = []
    for a in rows:
        p = a.project
        key = (p.guide_version_id, p.direction)
        if key not in names:
            d = next((d for d in compiled_for(p.guide_version).guide.directions if d.id == p.direction), None)
            names[key] = d.name if d else ""
        out.append((a, names[key]))
    return out

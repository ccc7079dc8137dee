"""Reads of projects; every one knows who asks. The task book's whole content (for its versions,
the PDF, the pages), the ledgers of money per project and per call, the recoveries (money to
be returned, with their receipts) and the credit records a project's outcome left."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Call
from yongke.applications.proposal import BUDGET_LABELS
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound
from yongke.guide.selectors import compiled_for
from yongke.orgs.models import CreditRecord
from yongke.projects import rules as project_rules
from yongke.projects import taskbook
from yongke.projects.credit import origin_of
from yongke.projects.models import (
    ChangeRequest,
    Payment,
    Project,
    ProjectCallSettings,
    ProjectFile,
    Recovery,
    RecoveryReceipt,
    TaskBookVersion,
    TrancheCondition,
)
from yongke.projects.workflow import PROJECT


def projects_visible_to(viewer: Viewer) -> QuerySet[Project]:
    """The unit: its own projects. Recommending units: their jurisdiction's. Officers: their
    programmes'. Finance: all (it pays them); no administrator reads them."""
    scope = scope_of(viewer)
    qs = Project.objects.select_related("organisation", "leader", "call", "guide_version")
    if scope.sees_everything or Role.FINANCE in scope.roles or (Role.OFFICER in scope.roles and "*" in scope.programmes):
        return qs
    cond = Q(pk__in=[])
    if scope.organisations:
        cond |= Q(organisation__in=scope.organisations)
    if scope.units:
        cond |= Q(recommending_unit__in=scope.units)
    if Role.OFFICER in scope.roles:
        cond |= Q(programme__in=scope.programmes)
    return qs.filter(cond)


def project_get(viewer: Viewer, pk: Any) -> Project:
    """The project if the viewer may see it; otherwise not found (its existence is not told)."""
    try:
        return projects_visible_to(viewer).get(pk=int(pk))
    except (Project.DoesNotExist, TypeError, ValueError):
        raise NotFound("项目不存在 / project not found", detail={"project": str(pk)}) from None


def change_get(viewer: Viewer, pk: Any) -> ChangeRequest:
    try:
        return ChangeRequest.objects.select_related("project").get(pk=int(pk), project__in=projects_visible_to(viewer))
    except (ChangeRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound("变更申请不存在 / change request not found", detail={"change": str(pk)}) from None


def changes_visible_to(viewer: Viewer) -> QuerySet[ChangeRequest]:
    """The change requests of the projects the viewer sees."""
    return ChangeRequest.objects.filter(project__in=projects_visible_to(viewer))


def changes_awaiting(viewer: Viewer) -> QuerySet[ChangeRequest]:
    """The change requests waiting on this viewer: the recommending unit's opinion (its own
    jurisdiction's, still requested) or the programme officer's decision (reviewed)."""
    scope = scope_of(viewer)
    cond = Q(pk__in=[])
    if Role.RECOMMENDER in scope.roles and scope.units:
        cond |= Q(state=ChangeRequest.State.REQUESTED, project__recommending_unit__in=scope.units)
    if Role.OFFICER in scope.roles or scope.is_system:
        cond |= Q(state=ChangeRequest.State.REVIEWED)
    return changes_visible_to(viewer).filter(cond)


def project_filter(qs: QuerySet[Project], params: dict[str, Any]) -> QuerySet[Project]:
    """The list filters the API, the CLI and the portal share: call, state, programme, direction, organisation."""
    for key, lookup in (("call", "call_id"), ("state", "state"), ("programme", "programme"), ("direction", "direction")):
        value = params.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{lookup: value})
    if params.get("organisation") not in (None, ""):
        qs = qs.filter(organisation_id=params["organisation"])
    return qs


def settings_for(call: Call) -> tuple[int, list[dict[str, Any]]]:
    """The call's signing time (days) and default payment plan, else the rules' defaults."""
    rules = project_rules.rules()
    own = ProjectCallSettings.objects.filter(call=call).first()
    plan = [{"label": t.label, "share_pct": t.share_pct, "condition": t.condition} for t in rules.tranches]
    if own is None:
        return rules.sign_days, plan
    return own.sign_days, (list(own.tranches) or plan)


def project_file_get(*, project: Project, pk: Any) -> ProjectFile:
    try:
        return project.files.get(pk=int(pk))
    except (ProjectFile.DoesNotExist, TypeError, ValueError):
        raise NotFound("文件不存在 / file not found", detail={"file": str(pk)}) from None


# --------------------------------------------------------------------------- the task book's content


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def task_book_content(project: Project) -> dict[str, Any]:
    """The whole task book as it stands: what a version keeps, the PDF prints and the pages show."""
    compiled = compiled_for(project.guide_version)
    facts = compiled.guide.facts
    indicators = []
    for ind in project.indicators.all():
        row: dict[str, Any] = {
            "id": ind.pk,
            "source": ind.source,
            "rule": ind.rule_id,
            "label": ind.label,
            "clause": ind.clause,
            "expr": ind.expr,
            "unit": ind.unit,
            "targets": [
                {
                    "fact": name,
                    "label": facts[name].label if name in facts else name,
                    "unit": (facts[name].unit or "") if name in facts else "",
                    "type": facts[name].type if name in facts else "number",
                    "target": value,
                    "promised": ind.promised.get(name),
                }
                for name, value in ind.targets.items()
            ],
            "context": ind.context,
        }
        if ind.source == "extra":
            row["target_value"] = str(ind.target_value) if ind.target_value is not None else None
        indicators.append(row)
    lines = list(project.budget_lines.all())
    parties = list(project.parties.all())
    return {
        "number": project.number,
        "title": project.title,
        "direction": project.direction,
        "programme": project.programme,
        "guide_version": project.guide_version.label,
        "organisation": {"id": project.organisation_id, "name": project.organisation.name, "uscc": project.organisation.uscc},
        "recommending_unit": project.recommending_unit,
        "leader": {"id": project.leader_id, "name": project.leader.name, "phone": project.leader_phone},
        "content": project.content,
        "starts_on": _iso(project.starts_on),
        "ends_on": _iso(project.ends_on),
        "approved_amount": project.approved_amount,
        "self_raised_amount": project.self_raised_amount,
        "indicators": indicators,
        "milestones": [{"id": m.pk, "due_on": _iso(m.due_on), "title": m.title, "targets": m.targets} for m in project.milestones.all()],
        "budget": [
            {
                "category": b.category,
                "label": BUDGET_LABELS.get(b.category, b.category),
                "fiscal": b.fiscal,
                "self_raised": b.self_raised,
                "basis": b.basis,
            }
            for b in lines
        ],
        "budget_total": {"fiscal": sum(b.fiscal for b in lines), "self_raised": sum(b.self_raised for b in lines)},
        "partners": [{"name": p.name, "uscc": p.uscc, "tasks": p.role, "budget": p.budget} for p in parties if p.kind == "partner"],
        "team": [{"name": p.name, "person": p.person_id, "role": p.role, "months": p.months} for p in parties if p.kind == "member"],
        "tranches": [
            {
                "order": t.order,
                "label": t.label,
                "amount": t.amount,
                "condition": t.condition,
                "condition_label": TrancheCondition(t.condition).label,
            }
            for t in project.tranches.all()
        ],
        "matching": taskbook.amount_problems(
            compiled,
            project.direction,
            dict(project.facts),
            approved=project.approved_amount,
            self_raised=sum(b.self_raised for b in lines),
        ),
    }


def versions_of(project: Project) -> list[TaskBookVersion]:
    return list(project.versions.select_related("change", "created_by").order_by("number"))


def version_diff(older: dict[str, Any], newer: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two versions of a task book, section by section: [{section, before, after}]."""
    sections = (
        "title",
        "content",
        "starts_on",
        "ends_on",
        "leader",
        "organisation",
        "indicators",
        "milestones",
        "budget",
        "partners",
        "team",
        "tranches",
    )
    return [{"section": s, "before": older.get(s), "after": newer.get(s)} for s in sections if older.get(s) != newer.get(s)]


READ_ACTIONS = ("task_book_pdf", "certificate_pdf", "report_pdf")  # audited reads: in the audit log, not in the project's history


def project_timeline(viewer: Viewer, project: Project) -> list[AuditEvent]:
    """Every step and every edit of the project's task book, oldest first (the unit sees each change)."""
    project_get(viewer, project.pk)
    events = AuditEvent.objects.filter(target_type="project", target_id=str(project.pk)).exclude(action__in=READ_ACTIONS)
    return list(events.order_by("at", "pk"))


# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class Ledger:
    """Money of one project or a set of them, in yuan. Always: granted = paid + outstanding +
    stopped (what will not be paid: the unpaid rest of a terminated, rescinded or failed
    project; a closed one's unpaid last tranche is still outstanding); due_back is what its
    recoveries call for and recovered what their receipts brought back (recovered ≤ due_back ≤
    paid); net = paid − recovered."""

    granted: int
    paid: int
    outstanding: int
    stopped: int
    due_back: int
    recovered: int

    @property
    def net(self) -> int:
        return self.paid - self.recovered

    def as_dict(self) -> dict[str, int]:
        return {
            "granted": self.granted,
            "paid": self.paid,
            "outstanding": self.outstanding,
            "stopped": self.stopped,
            "due_back": self.due_back,
            "recovered": self.recovered,
            "net": self.net,
        }


ENDED = ("terminated", "revoked", "failed")  # no more payments: the rest of the grant is stopped


def _ledger(granted: int, paid: int, ended: bool, due_back: int, recovered: int) -> Ledger:
    rest = granted - paid
    return Ledger(granted, paid, 0 if ended else rest, rest if ended else 0, due_back, recovered)


def project_ledger(project: Project) -> Ledger:
    paid = Payment.objects.filter(project=project).aggregate(s=Sum("amount"))["s"] or 0
    due = Recovery.objects.filter(project=project).aggregate(s=Sum("amount_due"))["s"] or 0
    back = RecoveryReceipt.objects.filter(recovery__project=project).aggregate(s=Sum("amount"))["s"] or 0
    return _ledger(project.approved_amount, paid, project.state in ENDED, due, back)


def _sums(qs: QuerySet[Any], key: str, value: str) -> dict[int, int]:
    return {k: int(v or 0) for k, v in qs.values_list(key).annotate(s=Sum(value)).values_list(key, "s")}


def call_ledger(viewer: Viewer, call: Call) -> dict[str, Any]:
    """Each visible project of the call with its ledger, the totals (the sum of the rows), and
    the call's budgets against what was approved under each."""
    projects = list(projects_visible_to(viewer).filter(call=call).order_by("number"))
    ids = [p.pk for p in projects]
    paid = _sums(Payment.objects.filter(project__in=ids), "project", "amount")
    due = _sums(Recovery.objects.filter(project__in=ids), "project", "amount_due")
    back = _sums(RecoveryReceipt.objects.filter(recovery__project__in=ids), "recovery__project", "amount")
    rows = []
    for p in projects:
        ledger = _ledger(p.approved_amount, paid.get(p.pk, 0), p.state in ENDED, due.get(p.pk, 0), back.get(p.pk, 0))
        rows.append({"project": p, "ledger": ledger})
    total = Ledger(
        *(sum(getattr(r["ledger"], f) for r in rows) for f in ("granted", "paid", "outstanding", "stopped", "due_back", "recovered"))
    )
    budgets = []
    for key, budget in sorted((call.budgets or {}).items()):
        approved = sum(p.approved_amount for p in projects if call.budget_for(p.direction)[0] == key)
        budgets.append({"key": key, "budget": int(budget), "approved": approved, "left": int(budget) - approved})
    return {"call": call, "rows": rows, "total": total, "budgets": budgets}


def state_label(state: str) -> str:
    return str(PROJECT.state_label(state))


# --------------------------------------------------------------------------- recoveries and credit


def recoveries_visible_to(viewer: Viewer) -> QuerySet[Recovery]:
    """The recoveries of the projects the viewer sees, with their receipts, oldest due first."""
    return (
        Recovery.objects.filter(project__in=projects_visible_to(viewer))
        .select_related("project", "project__organisation", "recorded_by")
        .prefetch_related("receipts", "receipts__recorded_by")
        .order_by("due_on", "pk")
    )


def recovery_get(viewer: Viewer, pk: Any) -> Recovery:
    """The recovery if the viewer sees its project; otherwise not found."""
    try:
        return recoveries_visible_to(viewer).get(pk=int(pk))
    except (Recovery.DoesNotExist, TypeError, ValueError):
        raise NotFound("经费退回记录不存在 / recovery not found", detail={"recovery": str(pk)}) from None


def recoveries_of(viewer: Viewer, project: Project) -> QuerySet[Recovery]:
    """The project's recoveries (the project must be the viewer's to see)."""
    return recoveries_visible_to(viewer).filter(project=project_get(viewer, project.pk))


def recoveries_of_call(viewer: Viewer, call: Call) -> QuerySet[Recovery]:
    """The recoveries of the call's projects the viewer sees."""
    return recoveries_visible_to(viewer).filter(project__call=call)


def recoveries_overdue(viewer: Viewer, *, now: dt.datetime | None = None) -> QuerySet[Recovery]:
    """The recoveries the viewer sees whose due date has passed with money still to come back."""
    today = timezone.localdate(now or timezone.now())
    return recoveries_visible_to(viewer).filter(due_on__lt=today, received__lt=F("amount_due"))


def recovery_left(recovery: Recovery) -> int:
    """What is still to come back."""
    return max(recovery.amount_due - recovery.received, 0)


def recovery_overdue(recovery: Recovery, *, now: dt.datetime | None = None) -> bool:
    return recovery_left(recovery) > 0 and recovery.due_on < timezone.localdate(now or timezone.now())


def credit_records_of(viewer: Viewer, project: Project) -> QuerySet[CreditRecord]:
    """The credit records the project's outcomes left on its organisation and people (by their
    origin), newest first (the project must be the viewer's to see)."""
    p = project_get(viewer, project.pk)
    return CreditRecord.objects.filter(origin=origin_of(p)).select_related("organisation", "person").order_by("-starts_on", "-pk")

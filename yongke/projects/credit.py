"""Credit consequences of a project's outcome, as data: each outcome's consequence (who, for how
long, the clause) is in `data/rules.yaml` (`consequences`), overridden per call by
`ProjectCallSettings.consequences`. Applying one writes a credit record on the organisation or
the person registry (`orgs.CreditRecord`, with the consequence's code and the project it stems
from); the existing check at submission then refuses the applicant, showing the reason.

An `until_done` consequence (an overdue acceptance) runs until the matter is done: its record
is ended then (`consequence_end`): when the acceptance is decided, or when the project is
terminated or rescinded. `acceptance_overdue_scan` finds the projects whose final report (the
request for acceptance) is overdue and applies it, once per project."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role
from yongke.audit.services import audit_record
from yongke.orgs.models import CreditRecord
from yongke.orgs.services import credit_record_add, credit_record_end
from yongke.projects import notify
from yongke.projects import rules as project_rules
from yongke.projects.models import Project, ProjectCallSettings

ACCEPTANCE_OVERDUE = "acceptance_overdue"  # the consequence of a final report not asked for in time


def origin_of(project: Project) -> str:
    return f"project:{project.number}"


def consequence_for(project: Project, code: str) -> project_rules.Consequence | None:
    """The consequence of `code` for this project: its call's override, else the rules' (None: none)."""
    override = ProjectCallSettings.objects.filter(call_id=project.call_id).values_list("consequences", flat=True).first() or {}
    if code in override:
        if override[code] in (None, False, {}):
            return None  # the call waives it
        return project_rules.parse_consequence(code, override[code], "consequences")
    return project_rules.postaward().consequences.get(code)


def _until(c: project_rules.Consequence, on: dt.date) -> dt.date | None:
    if c.until_done or c.years is None:
        return None
    return project_rules.add_months(on, 12 * c.years) - dt.timedelta(days=1)


@transaction.atomic
def consequence_apply(*, actor: Actor, project: Project, code: str, reason: str, now: dt.datetime | None = None) -> CreditRecord | None:
    """Record the consequence `code` of this project's outcome on its leader or its organisation,
    from today for the years the data gives (or until done). Once per project and code: a
    consequence already running for it is returned as it is. None when the data gives none."""
    c = consequence_for(project, code)
    if c is None:
        return None
    on = timezone.localdate(now or timezone.now())
    origin = origin_of(project)
    subject = {"person": project.leader} if c.subject == "leader" else {"organisation": project.organisation}
    running = CreditRecord.objects.filter(origin=origin, consequence=code, **subject).order_by("-pk").first()
    if running is not None and running.active_on(on):
        return running
    until = _until(c, on)
    record = credit_record_add(
        actor=actor, reason=reason, starts_on=on, ends_on=until, source=c.source, consequence=code, origin=origin, **subject
    )
    notify.project_event(
        actor=actor,
        project=project,
        template="credit_recorded",
        to="unit",
        key_suffix=f"credit:{code}:{record.pk}",
        params={
            "reason": reason,
            "subject": f"项目负责人{project.leader.name}" if c.subject == "leader" else project.organisation.name,
            "until": f"{until.isoformat()} 前" if until else "办结前",
            "source": c.source,
        },
    )
    return record


@transaction.atomic
def consequence_end(*, actor: Actor, project: Project, code: str, reason: str, now: dt.datetime | None = None) -> list[CreditRecord]:
    """End the running records of consequence `code` stemming from this project (the matter is done)."""
    on = timezone.localdate(now or timezone.now())
    records = CreditRecord.objects.filter(origin=origin_of(project), consequence=code).order_by("pk")
    return [credit_record_end(actor=actor, record=r, on=on, reason=reason) for r in records if r.active_on(on)]


# --------------------------------------------------------------------------- an overdue acceptance


@dataclass(frozen=True)
class Overdue:
    """A project found overdue by the scan: when its final report was due, and the record made."""

    project: Project
    due_on: dt.date
    record: CreditRecord


def final_report_due_on(project: Project) -> dt.date:
    """The last day to ask for acceptance (the final report): the rules' months after the end."""
    return project_rules.final_report_due(project.ends_on, project_rules.postaward().final_report_months)


@transaction.atomic
def acceptance_overdue_scan(*, actor: Actor, now: dt.datetime | None = None) -> list[Overdue]:
    """Apply the consequence of an overdue acceptance (`acceptance_overdue`, by the rules or the
    call) to every project of the actor's programmes still in progress — its final report not
    submitted — after the day it was due; once per project (a project whose record is running is
    passed over). Each finding is audited on the project; the unit is told. Returns the new ones."""
    scope = require_role(actor, Role.OFFICER, message="只有项目处人员可以检查逾期未验收的项目 / officers only")
    now = now or timezone.now()
    today = timezone.localdate(now)
    out = []
    # Locked as they are read: a final report submitted meanwhile takes the project out of the scan.
    candidates = Project.objects.select_for_update(of=("self",)).select_related("organisation", "leader")
    for p in candidates.filter(state="in_progress", ends_on__lt=today).order_by("pk"):
        if not scope.officer_for(p.programme):
            continue
        due = final_report_due_on(p)
        if today <= due:
            continue
        origin = origin_of(p)
        if any(r.active_on(today) for r in CreditRecord.objects.filter(origin=origin, consequence=ACCEPTANCE_OVERDUE)):
            continue
        reason = f"逾期未申请验收（结题报告应于 {due.isoformat()} 前报送）"
        record = consequence_apply(actor=actor, project=p, code=ACCEPTANCE_OVERDUE, reason=reason, now=now)
        if record is None:  # the call waives it
            continue
        audit_record(
            actor=actor,
            action="acceptance_overdue",
            target_type="project",
            target_id=p.pk,
            data={"due_on": due.isoformat(), "credit_record": record.pk, "consequence": ACCEPTANCE_OVERDUE},
        )
        out.append(Overdue(project=p, due_on=due, record=record))
    return out

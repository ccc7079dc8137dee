"""Credit consequences of a project's outcome, as data: each outcome's consequence (who, for how
long, the clause) is in `data/rules.yaml` (`consequences`), overridden per call by
`ProjectCallSettings.consequences`. Applying one writes a credit record on the organisation or
the person registry (`orgs.CreditRecord`, with the consequence's code and the project it stems
from); the existing check at submission then refuses the applicant, showing the reason.

An `until_done` consequence (an overdue acceptance) runs until the matter is done: its record
is ended then (`consequence_end`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.orgs.models import CreditRecord
from yongke.orgs.services import credit_record_add, credit_record_end
from yongke.projects import notify
from yongke.projects import rules as project_rules
from yongke.projects.models import Project, ProjectCallSettings


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
    out = []
    for record in CreditRecord.objects.filter(origin=origin_of(project), consequence=code).order_by("pk"):
        if record.active_on(on):
            out.append(credit_record_end(actor=actor, record=record, on=on, reason=reason))
    return out

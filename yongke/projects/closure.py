"""Ending a project with money to give back: termination (终止), rescission (撤销) and the
clearing of a failed acceptance, the recovery ledger (amount due, due date, receipts) joined to
the project's payments, so the call's money always adds up.

What is recovered for each outcome is data (`data/rules.yaml`, `closure`): the unused 财政资金
(paid minus what the unit reports it spent of it), the misused money (found by the officer), or
everything paid. `rules.recovery_amount` computes it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.audit.services import audit_record
from yongke.projects import notify
from yongke.projects import rules as project_rules
from yongke.projects.models import Payment, Project, Recovery, Report

OUTCOME_KIND = {"termination": Recovery.Kind.TERMINATION, "revocation": Recovery.Kind.REVOCATION, "failed": Recovery.Kind.FAILED}


def paid_of(project: Project) -> int:
    return int(Payment.objects.filter(project=project).aggregate(s=Sum("amount"))["s"] or 0)


def reported_spent(project: Project) -> int:
    """The 财政资金 the unit reports it spent: the fiscal total of its latest submitted report's expenditure."""
    report = (
        Report.objects.filter(project=project, submitted_at__isnull=False).exclude(state=Report.State.DRAFT).order_by("-submitted_at", "-pk").first()
    )
    if report is None:
        return 0
    return sum(int(line.get("fiscal") or 0) for line in report.spent or [])


@transaction.atomic
def recovery_for_outcome(
    *, actor: Actor, project: Project, outcome: str, misused: int = 0, reason: str = "", now: dt.datetime | None = None
) -> Recovery | None:
    """Open the recovery an outcome calls for (termination, revocation, failed), by the rules'
    parts, due within the rules' days; None when nothing is to be returned. Audited; the unit is told."""
    now = now or timezone.now()
    rules = project_rules.postaward()
    parts = rules.recover[outcome]
    paid = paid_of(project)
    spent = reported_spent(project)
    unused, misused_part, due = project_rules.recovery_amount(parts, paid=paid, spent=spent, misused=misused)
    if due <= 0:
        return None
    source = rules.recover_sources[outcome]
    recovery = Recovery.objects.create(
        project=project,
        kind=OUTCOME_KIND[outcome],
        unused=unused,
        misused=misused_part,
        basis={"paid": paid, "spent": min(spent, paid), "parts": list(parts), "source": source},
        amount_due=due,
        due_on=timezone.localdate(now) + dt.timedelta(days=rules.recovery_due_days),
        reason=(reason or source)[:2000],
        recorded_by=user_of(actor),
        recorded_at=now,
    )
    audit_record(
        actor=actor,
        action="recovery_open",
        target_type="project",
        target_id=project.pk,
        data={"recovery": recovery.pk, "kind": outcome, "paid": paid, "unused": unused, "misused": misused_part, "due": due},
    )
    notify.project_event(
        actor=actor,
        project=project,
        template="recovery_due",
        to="unit",
        key_suffix=f"recovery:{recovery.pk}",
        params={"amount": f"{due:,}", "due_on": recovery.due_on.isoformat(), "reason": source},
    )
    return recovery

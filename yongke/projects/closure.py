"""Ending a project with money to give back: termination (终止), rescission (撤销) and the
clearing of a failed acceptance, the recovery ledger (amount due, due date, receipts) joined to
the project's payments, so the call's money always adds up.

What is recovered for each outcome is data (`data/rules.yaml`, `closure`): the unused 财政资金
(paid minus what the unit reports it spent of it), the misused money (found by the officer), or
everything paid. `rules.recovery_amount` computes it. A project recovers at most what it was
paid: an outcome that follows another (a failed project later rescinded) calls only for what the
earlier recoveries did not.

The money coming back is recorded by finance against its recovery (`recovery_receive`), each
receipt with a voucher number used once across payments and receipts; a recovery's `received`
and `received_on` are always those of its receipts. The state steps that open a recovery
(`project_terminate`, `project_rescind`) are in `services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.audit.services import audit_record
from yongke.core import errors
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.core.money import MAX_AMOUNT
from yongke.projects import notify
from yongke.projects import rules as project_rules
from yongke.projects.models import Payment, Project, Recovery, RecoveryReceipt, Report

OUTCOME_KIND = {"termination": Recovery.Kind.TERMINATION, "revocation": Recovery.Kind.REVOCATION, "failed": Recovery.Kind.FAILED}
VOUCHER_MAX = 64


def paid_of(project: Project) -> int:
    return int(Payment.objects.filter(project=project).aggregate(s=Sum("amount"))["s"] or 0)


def reported_spent(project: Project) -> int:
    """The 财政资金 the unit reports it spent: the fiscal total of its latest submitted report's
    expenditure — one submitted or checked; a report the officer returned does not count, nor
    what the unit types into it afterwards until it is submitted again."""
    report = (
        Report.objects.filter(project=project, submitted_at__isnull=False, state__in=(Report.State.SUBMITTED, Report.State.CHECKED))
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if report is None:
        return 0
    return sum(int(line.get("fiscal") or 0) for line in report.spent or [])


def already_due(project: Project) -> int:
    """What the project's recoveries opened so far call for."""
    return int(Recovery.objects.filter(project=project).aggregate(s=Sum("amount_due"))["s"] or 0)


def recovery_preview(project: Project, outcome: str, *, misused: int = 0, now: dt.datetime | None = None) -> dict[str, Any]:
    """What an outcome (termination, revocation, failed) would call for now, by the rules' parts —
    the one arithmetic `recovery_for_outcome` opens a recovery by: the grant, paid, spent as the
    unit reports it (at most paid), unused, misused (at most spent), what earlier recoveries of
    the project already call for, what is due (never more than paid in all), the rest of the
    grant that is stopped, the due date and the clause. Writes nothing."""
    rules = project_rules.postaward()
    parts = rules.recover[outcome]
    paid = paid_of(project)
    spent = reported_spent(project)
    unused, misused_part, due = project_rules.recovery_amount(parts, paid=paid, spent=spent, misused=misused)
    earlier = already_due(project)
    return {
        "outcome": outcome,
        "parts": list(parts),
        "granted": project.approved_amount,
        "paid": paid,
        "spent": min(spent, paid),
        "unused": unused,
        "misused": misused_part,
        "earlier": earlier,
        "due": max(min(due, paid - earlier), 0),
        "stopped": project.approved_amount - paid,
        "due_on": timezone.localdate(now or timezone.now()) + dt.timedelta(days=rules.recovery_due_days),
        "source": rules.recover_sources[outcome],
    }


@transaction.atomic
def recovery_for_outcome(
    *, actor: Actor, project: Project, outcome: str, misused: int = 0, reason: str = "", now: dt.datetime | None = None
) -> Recovery | None:
    """Open the recovery an outcome calls for (termination, revocation, failed), by the rules'
    parts, due within the rules' days, less what earlier recoveries of the project already call
    for (`recovery_preview`); None when nothing (more) is to be returned. Audited; the unit is told."""
    now = now or timezone.now()
    v = recovery_preview(project, outcome, misused=misused, now=now)
    if v["due"] <= 0:
        return None
    recovery = Recovery.objects.create(
        project=project,
        kind=OUTCOME_KIND[outcome],
        unused=v["unused"],
        misused=v["misused"],
        basis={"paid": v["paid"], "spent": v["spent"], "parts": v["parts"], "earlier_due": v["earlier"], "source": v["source"]},
        amount_due=v["due"],
        due_on=v["due_on"],
        reason=(reason or v["source"])[:2000],
        recorded_by=user_of(actor),
        recorded_at=now,
    )
    audit_record(
        actor=actor,
        action="recovery_open",
        target_type="project",
        target_id=project.pk,
        data={
            "recovery": recovery.pk,
            "kind": outcome,
            "paid": v["paid"],
            "unused": v["unused"],
            "misused": v["misused"],
            "earlier_due": v["earlier"],
            "due": v["due"],
            "due_on": recovery.due_on.isoformat(),
        },
    )
    notify.project_event(
        actor=actor,
        project=project,
        template="recovery_due",
        to="unit",
        key_suffix=f"recovery:{recovery.pk}",
        params={"amount": f"{v['due']:,}", "due_on": recovery.due_on.isoformat(), "reason": v["source"]},
    )
    return recovery


# --------------------------------------------------------------------------- the money coming back


def voucher_taken(voucher: str) -> bool:
    """Whether a voucher number is already recorded, by a payment, a receipt or a 后补助 claim's
    拨付 (each is used once)."""
    from yongke.awards.models import ClaimPayment

    return (
        Payment.objects.filter(voucher=voucher).exists()
        or RecoveryReceipt.objects.filter(voucher=voucher).exists()
        or ClaimPayment.objects.filter(voucher=voucher).exists()
    )


voucher_used = errors.voucher_used


def _require_finance(actor: Actor) -> None:
    scope = scope_of(actor)
    # The finance role itself: a superuser (the system administrator) holds every role elsewhere, never the money.
    if not (scope.is_system or Role.FINANCE in scope.roles):
        raise PermissionDenied("只有财务人员可以登记退回到账 / finance only", detail={"roles": [Role.FINANCE]})


def _clean_receipt(r: Recovery, amount: Any, received_on: Any, voucher: Any, now: dt.datetime) -> tuple[int, dt.date, str]:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise BadInput("amount: 退回金额应为正整数（元）/ whole yuan, positive", detail={"field": "amount"})
    left = r.amount_due - r.received
    if left <= 0:
        raise Refused(
            f"应退回的 {r.amount_due:,} 元已全部退回 / this recovery is settled",
            code="recovery_settled",
            detail={"recovery": r.pk, "amount_due": r.amount_due},
        )
    if amount > left:
        raise Refused(
            f"amount: 应退回 {r.amount_due:,} 元，已退回 {r.received:,} 元，本次最多 {left:,} 元 / more than what is left",
            code="over_due",
            detail={"field": "amount", "left": left},
        )
    if not isinstance(received_on, dt.date) or isinstance(received_on, dt.datetime):
        raise BadInput("received_on: 到账日期应为日期 / a date", detail={"field": "received_on"})
    if received_on > timezone.localdate(now):
        raise BadInput("received_on: 到账日期不能晚于今天 / not in the future", detail={"field": "received_on"})
    opened = timezone.localdate(r.recorded_at)
    if received_on < opened:
        raise BadInput(
            f"received_on: 到账日期不能早于退回决定日期 {opened.isoformat()} / before the recovery was opened",
            detail={"field": "received_on", "opened_on": opened.isoformat()},
        )
    voucher = str(voucher or "").strip()
    if not voucher or len(voucher) > VOUCHER_MAX:
        raise BadInput(f"voucher: 请填写凭证号（不超过{VOUCHER_MAX}个字符）/ the voucher number is required", detail={"field": "voucher"})
    if voucher_taken(voucher):
        raise voucher_used(voucher)
    return amount, received_on, voucher


@transaction.atomic
def recovery_receive(
    *, actor: Actor, recovery: Recovery, amount: int, received_on: dt.date, voucher: str, now: dt.datetime | None = None
) -> RecoveryReceipt:
    """Record money the unit returned against a recovery (finance): never more than what is
    left of it, dated from the day it was opened to today, with a voucher number used once
    across payments and receipts. The recovery's row is locked, so receipts at once are counted
    one after the other; its `received` and `received_on` are then those of its receipts."""
    _require_finance(actor)
    r = Recovery.objects.select_for_update(of=("self",)).select_related("project").get(pk=recovery.pk)
    now = now or timezone.now()
    amount, received_on, voucher = _clean_receipt(r, amount, received_on, voucher, now)
    receipt = RecoveryReceipt(
        recovery=r, amount=amount, received_on=received_on, voucher=voucher, recorded_by=user_of(actor), recorded_at=now
    )
    receipt.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            receipt.save()
    except IntegrityError:  # the same voucher recorded at the same moment by someone else
        raise voucher_used(voucher) from None
    totals = r.receipts.aggregate(s=Sum("amount"), d=Max("received_on"))
    r.received, r.received_on = int(totals["s"] or 0), totals["d"]
    r.save(update_fields=["received", "received_on"])
    left = r.amount_due - r.received
    audit_record(
        actor=actor,
        action="recovery_receive",
        target_type="project",
        target_id=r.project_id,
        data={
            "recovery": r.pk,
            "receipt": receipt.pk,
            "amount": amount,
            "voucher": voucher,
            "received_on": received_on.isoformat(),
            "received": r.received,
            "left": left,
        },
    )
    notify.project_event(
        actor=actor,
        project=r.project,
        template="recovery_received",
        to="unit",
        key_suffix=f"receipt:{receipt.pk}",
        params={"amount": f"{amount:,}", "left": f"{left:,}"},
    )
    return receipt

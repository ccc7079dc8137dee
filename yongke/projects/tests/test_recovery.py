"""The recovery ledger: finance records the money a unit returns against what it must return —
never more than what is left, dated from the day the recovery was opened to today, each voucher
once across payments and receipts — and the ledgers say what came back."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, NotFound, PermissionDenied, Refused
from yongke.projects import closure
from yongke.projects import selectors as sel
from yongke.projects import services as svc
from yongke.projects.models import Recovery, RecoveryReceipt
from yongke.projects.selectors import project_ledger
from yongke.projects.tests.closure_helpers import (
    FIRST,
    beijing,
    capture_announcements,
    funded,
    ledger_adds_up,
    module_world,
    pay,
    voucher,
)
from yongke.projects.tests.helpers import today

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture
def announced(monkeypatch):
    return capture_announcements(monkeypatch)


@pytest.fixture
def recovery(world) -> Recovery:
    """The recovery of a project terminated with 350,000 paid and nothing reported spent: all of it due."""
    p = funded(world)
    svc.project_terminate(actor=world.officer, project=p, comment="技术路线无法实现")
    return Recovery.objects.get(project=p)


def _receive(world, recovery, amount, *, on=None, voucher_no=None, actor=None):
    return closure.recovery_receive(
        actor=actor or world.finance, recovery=recovery, amount=amount, received_on=on or today(), voucher=voucher_no or voucher("RET")
    )


def _fresh(r: Recovery) -> Recovery:
    return Recovery.objects.get(pk=r.pk)


def test_a_receipt_is_counted_on_its_recovery_and_the_unit_is_told(world, recovery, announced):
    receipt = _receive(world, recovery, 100_000, voucher_no="JK2026-001")
    r = _fresh(recovery)
    assert (r.received, r.received_on, receipt.voucher) == (100_000, today(), "JK2026-001")
    event = AuditEvent.objects.get(target_type="project", target_id=str(r.project_id), action="recovery_receive")
    assert (event.data["amount"], event.data["left"], event.data["voucher"]) == (100_000, FIRST - 100_000, "JK2026-001")
    [told] = [e for e in announced if e["template"] == "recovery_received"]
    assert (told["params"]["amount"], told["params"]["left"]) == ("100,000", "250,000")
    assert told["to"] == {"organisation": r.project.organisation_id}


def test_receipts_add_up_and_the_latest_day_is_kept(world, recovery):
    later, sooner = today() + dt.timedelta(days=3), today() + dt.timedelta(days=1)
    with time_machine.travel(beijing(later), tick=False):
        _receive(world, recovery, 50_000, on=later)
        _receive(world, recovery, 70_000, on=sooner)
    r = _fresh(recovery)
    assert (r.received, r.received_on) == (120_000, later)
    assert r.received == sum(RecoveryReceipt.objects.filter(recovery=r).values_list("amount", flat=True))


def test_more_than_what_is_left_is_refused_and_what_is_left_is_taken(world, recovery):
    _receive(world, recovery, 300_000)
    with pytest.raises(Refused) as e:
        _receive(world, recovery, 50_001)
    assert (e.value.code, e.value.detail["left"]) == ("over_due", 50_000)
    _receive(world, recovery, 50_000)
    assert _fresh(recovery).received == FIRST
    with pytest.raises(Refused) as e:
        _receive(world, recovery, 1)
    assert e.value.code == "recovery_settled"


def test_a_voucher_is_used_once_across_receipts(world, recovery):
    _receive(world, recovery, 1_000, voucher_no="JK-SAME")
    with pytest.raises(Conflict) as e:
        _receive(world, recovery, 1_000, voucher_no="JK-SAME")
    assert e.value.code == "voucher_used"
    assert _fresh(recovery).received == 1_000


def test_a_payments_voucher_is_not_a_receipts(world, recovery):
    payment = recovery.project.payments.get()
    with pytest.raises(Conflict) as e:
        _receive(world, recovery, 1_000, voucher_no=payment.voucher)
    assert e.value.code == "voucher_used"


def test_a_receipts_voucher_is_not_a_payments(world, recovery):
    _receive(world, recovery, 1_000, voucher_no="JK-ONCE")
    other = funded(world, paid=0)
    with pytest.raises(Conflict) as e:
        svc.payment_record(actor=world.finance, project=other, tranche=1, amount=1_000, paid_on=today(), voucher="JK-ONCE")
    assert e.value.code == "voucher_used"
    assert project_ledger(other).paid == 0


@pytest.mark.parametrize("who", ["officer", "org_admin", "applicant", "auditor", "sysadmin"])
def test_only_finance_records_a_receipt(world, recovery, who):
    with pytest.raises(PermissionDenied):
        _receive(world, recovery, 1_000, actor=world.users[who])
    assert not RecoveryReceipt.objects.filter(recovery=recovery).exists()


def test_a_receipt_dated_tomorrow_is_refused(world, recovery):
    with pytest.raises(BadInput) as e:
        _receive(world, recovery, 1_000, on=today() + dt.timedelta(days=1))
    assert e.value.detail["field"] == "received_on"


def test_a_receipt_dated_before_the_recovery_was_opened_is_refused(world, recovery):
    with pytest.raises(BadInput) as e:
        _receive(world, recovery, 1_000, on=today() - dt.timedelta(days=1))
    assert e.value.detail == {"field": "received_on", "opened_on": today().isoformat()}


@pytest.mark.parametrize("amount", [0, -5, True, 2.5, "1000"])
def test_an_amount_that_is_not_whole_positive_yuan_is_refused(world, recovery, amount):
    with pytest.raises(BadInput) as e:
        _receive(world, recovery, amount)
    assert e.value.detail["field"] == "amount"


@pytest.mark.parametrize("given", ["", "   ", "x" * 65])
def test_a_voucher_is_required_and_short(world, recovery, given):
    with pytest.raises(BadInput) as e:
        _receive(world, recovery, 1_000, voucher_no=given or " ")
    assert e.value.detail["field"] == "voucher"


def test_the_ledger_says_what_came_back(world, recovery):
    _receive(world, recovery, 123_456)
    ledger = project_ledger(recovery.project)
    assert (ledger.paid, ledger.due_back, ledger.recovered, ledger.net) == (FIRST, FIRST, 123_456, FIRST - 123_456)
    assert ledger_adds_up(ledger)


# --------------------------------------------------------------------------- reading them


def test_the_unit_sees_its_recoveries_and_another_unit_does_not(world, recovery):
    assert [r.pk for r in sel.recoveries_of(world.org_admin, recovery.project)] == [recovery.pk]
    with pytest.raises(NotFound):
        sel.recoveries_of(world.stranger, recovery.project)
    with pytest.raises(NotFound):
        sel.recovery_get(world.stranger, recovery.pk)
    assert sel.recovery_get(world.finance, recovery.pk).pk == recovery.pk


def test_the_calls_recoveries_are_those_of_its_projects(world, recovery):
    assert recovery.pk in {r.pk for r in sel.recoveries_of_call(world.officer, recovery.project.call)}
    assert not sel.recoveries_of_call(world.other_officer, recovery.project.call).filter(pk=recovery.pk).exists()


def test_a_recovery_is_overdue_after_its_due_date_until_it_is_settled(world, recovery):
    due = recovery.due_on
    assert not sel.recoveries_overdue(world.finance, now=beijing(due)).filter(pk=recovery.pk).exists()
    late = beijing(due + dt.timedelta(days=1))
    assert sel.recoveries_overdue(world.finance, now=late).filter(pk=recovery.pk).exists()
    assert sel.recovery_overdue(recovery, now=late)
    _receive(world, recovery, FIRST)
    assert not sel.recoveries_overdue(world.finance, now=late).filter(pk=recovery.pk).exists()
    assert sel.recovery_left(_fresh(recovery)) == 0


def test_a_recovery_calls_for_every_payment_made(world):
    p = funded(world, paid=100_000)
    pay(world, p, 50_000)
    svc.project_terminate(actor=world.officer, project=p, comment="终止")
    assert Recovery.objects.get(project=p).amount_due == 150_000


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_records_a_receipt(world, recovery, nobody):
    with pytest.raises(PermissionDenied):
        closure.recovery_receive(actor=nobody, recovery=recovery, amount=1_000, received_on=today(), voucher="NOBODY")

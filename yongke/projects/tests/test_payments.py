"""Payments by finance: of a tranche whose condition is met, never more than what is left of the
tranche or the grant, to the unit's account in force, each voucher once; the ledgers of a
project and of a call always add up."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.projects import services as svc
from yongke.projects.models import Payment, Project, Tranche
from yongke.projects.selectors import call_ledger, project_ledger
from yongke.projects.tests.helpers import ACCOUNT, fresh, in_progress, sent, today, with_account
from yongke.testing import build_world

pytestmark = pytest.mark.django_db

# The default plan of a 500,000 yuan grant: 350,000 once signed, 150,000 after acceptance.
FIRST, REST = 350_000, 150_000


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def project(world):
    with_account(world)
    return in_progress(world)


def _pay(world, project, amount, *, tranche=1, voucher=None, actor=None, paid_on=None):
    return svc.payment_record(
        actor=actor or world.finance,
        project=project,
        tranche=tranche,
        amount=amount,
        paid_on=paid_on or today(),
        voucher=voucher or f"V{Payment.objects.count() + 1:04d}-{amount}",
    )


def _adds_up(ledger) -> bool:
    return ledger.granted == ledger.paid + ledger.outstanding + ledger.stopped


def test_a_payment_is_recorded_to_the_units_masked_account(world, project):
    payment = _pay(world, project, FIRST, voucher="CZ2026-001")
    assert (payment.amount, payment.tranche.order, payment.voucher) == (FIRST, 1, "CZ2026-001")
    assert payment.account_masked.endswith(ACCOUNT[-4:])
    assert ACCOUNT not in payment.account_masked
    event = AuditEvent.objects.get(target_type="project", target_id=str(project.pk), action="payment_record")
    assert event.data["voucher"] == "CZ2026-001"
    assert ACCOUNT not in str(event.data)


def test_the_acceptance_tranche_is_not_paid_before_acceptance(world, project):
    with pytest.raises(Refused) as e:
        _pay(world, project, REST, tranche=2)
    assert e.value.code == "condition_not_met"
    assert not Payment.objects.exists()


def test_the_acceptance_tranche_is_paid_once_accepted(world, project):
    Project.objects.filter(pk=project.pk).update(accepted_at=timezone.now())
    assert _pay(world, project, REST, tranche=2).amount == REST


def test_more_than_what_is_left_of_the_tranche_is_refused(world, project):
    _pay(world, project, 200_000)
    with pytest.raises(Refused) as e:
        _pay(world, project, FIRST - 200_000 + 1)
    assert e.value.code == "over_tranche"
    assert e.value.detail["left"] == FIRST - 200_000
    assert _pay(world, project, FIRST - 200_000).amount == FIRST - 200_000


def test_more_than_the_grant_is_refused_whatever_the_plan_says(world, project):
    Tranche.objects.filter(project=project, order=1).update(amount=600_000)  # a plan gone wrong
    with pytest.raises(Refused) as e:
        _pay(world, project, 500_001)
    assert e.value.code == "over_grant"
    assert project_ledger(project).paid == 0


def test_a_voucher_is_recorded_once(world, project):
    _pay(world, project, 100_000, voucher="CZ-1")
    with pytest.raises(Conflict) as e:
        _pay(world, project, 100_000, voucher="CZ-1")
    assert e.value.code == "voucher_used"
    assert project_ledger(project).paid == 100_000


def test_a_unit_with_no_bank_account_is_not_paid(world):
    p = in_progress(world)
    with pytest.raises(Refused) as e:
        _pay(world, p, 100_000)
    assert e.value.code == "no_bank_account"


@pytest.mark.parametrize("who", ["officer", "org_admin", "auditor", "sysadmin"])
def test_only_finance_records_a_payment(world, project, who):
    with pytest.raises(PermissionDenied):
        _pay(world, project, 100_000, actor=world.users[who])
    assert not Payment.objects.exists()


def test_a_project_not_yet_signed_is_not_paid(world):
    with_account(world)
    p = sent(world)
    with pytest.raises(Refused) as e:
        _pay(world, p, 100_000)
    assert e.value.code == "bad_state"


def test_a_payment_dated_tomorrow_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _pay(world, project, 100_000, paid_on=today() + dt.timedelta(days=1))
    assert e.value.detail["field"] == "paid_on"


def test_a_payment_dated_before_the_signature_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _pay(world, project, 100_000, paid_on=today() - dt.timedelta(days=1))
    assert e.value.detail["field"] == "paid_on"


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "100"])
def test_an_amount_that_is_not_whole_positive_yuan_is_refused(world, project, amount):
    with pytest.raises(BadInput):
        _pay(world, project, amount)


def test_the_ledger_adds_up_as_payments_are_made(world, project):
    assert project_ledger(project).as_dict() == {
        "granted": 500_000,
        "paid": 0,
        "outstanding": 500_000,
        "stopped": 0,
        "due_back": 0,
        "recovered": 0,
        "net": 0,
    }
    _pay(world, project, 123_457)
    ledger = project_ledger(project)
    assert (ledger.paid, ledger.outstanding) == (123_457, 376_543)
    assert _adds_up(ledger)


def test_a_terminated_project_is_paid_no_more_and_its_rest_is_stopped(world, project):
    _pay(world, project, FIRST)
    p = svc.project_terminate(actor=world.officer, project=project, comment="技术路线无法实现")
    ledger = project_ledger(p)
    assert (ledger.paid, ledger.outstanding, ledger.stopped) == (FIRST, 0, REST)
    assert _adds_up(ledger)
    Project.objects.filter(pk=p.pk).update(accepted_at=timezone.now())
    with pytest.raises(Refused) as e:
        _pay(world, fresh(p), REST, tranche=2)
    assert e.value.code == "bad_state"


def test_the_calls_ledger_is_the_sum_of_its_projects(world, project):
    other = in_progress(world, amount=300_000)
    _pay(world, project, FIRST)
    _pay(world, other, 100_000)
    svc.project_terminate(actor=world.officer, project=other, comment="终止")
    ledger = call_ledger(world.finance, world.call)
    assert {r["project"].pk for r in ledger["rows"]} == {project.pk, other.pk}
    total = ledger["total"]
    assert (total.granted, total.paid, total.outstanding, total.stopped) == (800_000, 450_000, 150_000, 200_000)
    assert _adds_up(total)


# --------------------------------------------------------------------------- at the same moment


@pytest.mark.suite("postgresql")  # SQLite serialises every writer: the race needs PostgreSQL
@pytest.mark.django_db(transaction=True)
def test_payments_at_the_same_moment_never_exceed_the_tranche() -> None:
    world = build_world()
    with_account(world)
    project = in_progress(world)
    amounts = [100_000] * 6  # 600,000 asked of a 350,000 tranche: three fit
    start = threading.Barrier(len(amounts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def pay(n: int, amount: int) -> None:
        try:
            start.wait()
            svc.payment_record(actor=world.finance, project=project, tranche=1, amount=amount, paid_on=today(), voucher=f"RACE-{n}")
            result = "paid"
        except Refused as e:
            result = e.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=pay, args=(n, a)) for n, a in enumerate(amounts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["over_tranche"] * 3 + ["paid"] * 3
    ledger = project_ledger(project)
    assert ledger.paid == 300_000
    assert ledger.paid == sum(Payment.objects.filter(project=project).values_list("amount", flat=True))
    assert _adds_up(ledger)


@pytest.mark.suite("postgresql")  # SQLite serialises every writer: the race needs PostgreSQL
@pytest.mark.django_db(transaction=True)
def test_one_voucher_recorded_for_two_projects_at_the_same_moment_is_recorded_once() -> None:
    world = build_world()
    with_account(world)
    projects = [in_progress(world), in_progress(world)]  # two projects: no lock of one project orders them
    start = threading.Barrier(len(projects))
    outcomes: list[str] = []

    def pay(project: Project) -> None:
        try:
            start.wait()
            svc.payment_record(actor=world.finance, project=project, tranche=1, amount=1_000, paid_on=today(), voucher="SAME")
            outcomes.append("paid")
        except Conflict as e:
            outcomes.append(e.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(p,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "voucher_used"]
    assert Payment.objects.filter(voucher="SAME").count() == 1


def _published_claim(world):
    """A 后补助 claim of the world's organisation in 公示, to be paid (拨付) to its account."""
    from yongke.testing import make_application_in, make_call

    return make_application_in("published", world=world, funding="post", call=make_call(directions=["35.1"]))


def _pay_claim(world, app, voucher):
    from yongke.applications.services import application_transition

    later = max(timezone.now(), app.objection_ends_at) + dt.timedelta(minutes=1)
    return application_transition(actor=world.finance, application=app, action="pay", now=later, voucher=voucher)[0]


def test_a_voucher_is_recorded_once_across_tranches_and_claims(world, project):
    """The same voucher register for a project's tranche and a 后补助 claim's 拨付: either way round."""
    _pay(world, project, 100_000, voucher="CZ-跨-1")
    claim = _published_claim(world)
    with pytest.raises(Conflict) as e:
        _pay_claim(world, claim, "CZ-跨-1")
    assert (e.value.code, e.value.detail["field"]) == ("voucher_used", "voucher")
    assert fresh_claim(claim).state == "published"
    paid = _pay_claim(world, claim, "CZ-跨-2")
    assert paid.state == "paid"
    with pytest.raises(Conflict) as e:
        _pay(world, project, 100_000, voucher="CZ-跨-2")
    assert e.value.code == "voucher_used"
    assert project_ledger(project).paid == 100_000


def fresh_claim(app):
    return type(app).objects.get(pk=app.pk)

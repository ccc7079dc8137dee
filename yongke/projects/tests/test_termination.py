"""Ending a funded project early: termination (终止) by the officer or on the unit's approved
request, and rescission (撤销). Payments stop, the rest of the grant is stopped, and the money to
recover adds up: paid = unused + spent; due = unused + misused for a termination, everything
paid for a rescission; a call's ledger is the sum of its projects'."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.orgs.models import CreditRecord
from yongke.projects import closure, credit
from yongke.projects import services as svc
from yongke.projects.models import ChangeRequest, Project, Recovery
from yongke.projects.rules import add_months
from yongke.projects.selectors import call_ledger, project_ledger
from yongke.projects.tests.closure_helpers import (
    FIRST,
    GRANT,
    REST,
    capture_announcements,
    funded,
    ledger_adds_up,
    module_world,
    pay,
    reported,
)
from yongke.projects.tests.helpers import fresh, opened, today
from yongke.testing import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture
def announced(monkeypatch):
    return capture_announcements(monkeypatch)


def _events(p: Project, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_type="project", target_id=str(p.pk), action=action))


# --------------------------------------------------------------------------- termination by the officer


def test_a_termination_recovers_the_unused_and_the_misused_money(world, announced):
    p = funded(world)
    reported(p, 200_000)
    svc.project_terminate(actor=world.officer, project=p, comment="技术路线无法实现", misused=50_000)
    p = fresh(p)
    assert (p.state, p.ended_at is not None) == ("terminated", True)
    [r] = Recovery.objects.filter(project=p)
    assert (r.kind, r.unused, r.misused, r.amount_due) == ("termination", 150_000, 50_000, 200_000)
    assert r.basis["paid"] == FIRST == r.unused + r.basis["spent"]  # paid = unused + spent
    assert r.amount_due == r.unused + r.misused  # due = unused + misused
    assert r.due_on > today()
    [step] = _events(p, "terminate")
    assert (step.from_state, step.to_state, step.comment) == ("in_progress", "terminated", "技术路线无法实现")
    assert (step.data["paid"], step.data["spent"], step.data["misused"]) == (FIRST, 200_000, 50_000)
    assert {e["template"] for e in announced} >= {"project_terminated", "recovery_due"}


def test_a_report_the_officer_returned_does_not_lower_what_a_termination_recovers(world):
    """Spent is the latest submitted report's (closure.md): figures in a report sent back (支出不实),
    and what the unit types into it before submitting it again, are not the unit's report."""
    from yongke.projects.models import Report

    p = funded(world)
    checked = reported(p, 100_000)
    Report.objects.filter(pk=checked.pk).update(state=Report.State.CHECKED)
    returned = reported(p, 0, kind=Report.Kind.FINAL)
    Report.objects.filter(pk=returned.pk).update(
        state=Report.State.RETURNED, spent=[{"category": "equipment", "fiscal": FIRST, "self_raised": 0}]
    )  # returned, then edited to say all was spent, and not submitted again
    assert closure.reported_spent(p) == 100_000  # the checked report's, not the returned one's
    svc.project_terminate(actor=world.officer, project=p, comment="终止")
    [r] = Recovery.objects.filter(project=p)
    assert (r.unused, r.amount_due) == (FIRST - 100_000, FIRST - 100_000)


def test_a_terminated_project_is_paid_no_more_and_the_rest_is_stopped(world):
    p = funded(world)
    svc.project_terminate(actor=world.officer, project=p, comment="终止")
    Project.objects.filter(pk=p.pk).update(accepted_at=timezone.now())  # even were its condition met
    with pytest.raises(Refused) as e:
        pay(world, fresh(p), REST, tranche=2)
    assert e.value.code == "bad_state"
    ledger = project_ledger(fresh(p))
    assert (ledger.paid, ledger.outstanding, ledger.stopped, ledger.due_back) == (FIRST, 0, REST, FIRST)
    assert ledger_adds_up(ledger)


def test_nothing_paid_means_nothing_to_recover(world):
    p = funded(world, paid=0)
    svc.project_terminate(actor=world.officer, project=p, comment="终止")
    assert not Recovery.objects.filter(project=p).exists()
    assert project_ledger(fresh(p)).stopped == GRANT


def test_misused_money_above_what_was_spent_is_refused_and_nothing_is_written(world):
    p = funded(world)
    reported(p, 100_000)
    with pytest.raises(BadInput) as e:
        svc.project_terminate(actor=world.officer, project=p, comment="终止", misused=100_001)
    assert (e.value.detail["field"], e.value.detail["spent"]) == ("misused", 100_000)
    assert fresh(p).state == "in_progress"
    assert not Recovery.objects.filter(project=p).exists()
    assert not _events(p, "terminate")


@pytest.mark.parametrize("misused", [-1, True, 1.5, "5"])
def test_a_misused_amount_that_is_not_whole_yuan_is_refused(world, misused):
    p = funded(world, paid=0)
    with pytest.raises(BadInput) as e:
        svc.project_terminate(actor=world.officer, project=p, comment="终止", misused=misused)
    assert e.value.detail["field"] == "misused"


def test_a_termination_needs_a_reason(world):
    p = funded(world, paid=0)
    with pytest.raises(BadInput) as e:
        svc.project_terminate(actor=world.officer, project=p, comment="  ")
    assert e.value.detail["field"] == "comment"


def test_a_termination_on_a_stale_version_is_refused(world):
    p = funded(world, paid=0)
    with pytest.raises(Conflict):
        svc.project_terminate(actor=world.officer, project=p, comment="终止", lock_version=p.lock_version - 1)
    assert fresh(p).state == "in_progress"


def test_a_task_book_being_drawn_up_is_not_terminated(world):
    with pytest.raises(Refused) as e:
        svc.project_terminate(actor=world.officer, project=opened(world), comment="终止")
    assert e.value.code == "bad_state"


def test_the_generic_step_does_not_terminate(world):
    p = funded(world, paid=0)
    with pytest.raises(Refused) as e:
        svc.project_transition(actor=world.officer, project=p, action="terminate", comment="终止")
    assert e.value.code == "step_by_service"


@pytest.mark.parametrize("who", ["org_admin", "finance", "other_officer", "recommender"])
def test_only_the_programmes_officer_terminates(world, who):
    p = funded(world)
    with pytest.raises(PermissionDenied):
        svc.project_terminate(actor=world.users[who], project=p, comment="终止")
    assert fresh(p).state == "in_progress"
    assert not Recovery.objects.filter(project=p).exists()


# --------------------------------------------------------------------------- the unit's request


def _requested(world, p: Project) -> ChangeRequest:
    cr = svc.change_request_create(actor=world.org_admin, project=p, kind="termination", reasons="中试验证技术路线不可行")
    return svc.change_request_opinion(actor=world.recommender, change=cr, agrees=True, opinion="同意")


def test_an_approved_termination_request_ends_the_project_the_same_way(world, announced):
    p = funded(world)
    reported(p, 300_000)
    cr = svc.change_request_decide(actor=world.officer, change=_requested(world, p), approve=True, comment="同意终止", misused=20_000)
    p = fresh(p)
    assert (cr.state, p.state, p.amendment) == ("approved", "terminated", 1)
    [r] = Recovery.objects.filter(project=p)
    assert (r.unused, r.misused, r.amount_due) == (50_000, 20_000, 70_000)
    [step] = _events(p, "terminate")
    assert (step.from_state, step.to_state, step.comment, step.data["change"]) == ("in_progress", "terminated", cr.reasons, cr.pk)
    assert {e["template"] for e in announced} >= {"change_approved", "project_terminated", "recovery_due"}


def test_misused_money_above_what_was_spent_undoes_the_decision(world):
    p = funded(world)
    cr = _requested(world, p)
    with pytest.raises(BadInput):
        svc.change_request_decide(actor=world.officer, change=cr, approve=True, misused=1)
    assert (ChangeRequest.objects.get(pk=cr.pk).state, fresh(p).state, fresh(p).amendment) == ("reviewed", "in_progress", 0)


def test_misused_money_goes_only_with_an_approved_termination(world):
    p = funded(world)
    cr = _requested(world, p)
    with pytest.raises(BadInput) as e:
        svc.change_request_decide(actor=world.officer, change=cr, approve=False, comment="继续实施", misused=1)
    assert e.value.detail["field"] == "misused"


# --------------------------------------------------------------------------- rescission


def test_a_rescission_recovers_everything_paid(world, announced):
    p = funded(world)
    reported(p, 300_000)
    svc.project_rescind(actor=world.officer, project=p, comment="任务书约定的条件未落实")
    p = fresh(p)
    assert p.state == "revoked"
    [r] = Recovery.objects.filter(project=p)
    assert (r.kind, r.amount_due, r.unused) == ("revocation", FIRST, 50_000)
    assert r.amount_due == r.basis["paid"]  # due = paid
    assert not CreditRecord.objects.filter(origin=credit.origin_of(p)).exists()  # no misconduct: no credit record
    ledger = project_ledger(p)
    assert (ledger.stopped, ledger.due_back) == (REST, FIRST)
    assert {e["template"] for e in announced} >= {"project_rescinded", "recovery_due"}


def test_a_rescission_for_misconduct_records_the_organisation_and_the_leader_for_five_years(world):
    p = funded(world)
    svc.project_rescind(actor=world.officer, project=p, comment="弄虚作假", misconduct=True)
    records = {r.consequence: r for r in CreditRecord.objects.filter(origin=credit.origin_of(p))}
    assert set(records) == {"revoked_misconduct", "revoked_misconduct_leader"}
    org, leader = records["revoked_misconduct"], records["revoked_misconduct_leader"]
    assert (org.organisation_id, org.person_id, leader.person_id) == (p.organisation_id, None, p.leader_id)
    for r in (org, leader):
        assert r.starts_on == today()
        assert r.ends_on == add_months(today(), 60) - dt.timedelta(days=1)
        assert "弄虚作假" in r.reason
        assert "五年内不得申报" in r.source


def test_a_failed_project_rescinded_recovers_in_all_what_was_paid(world):
    p = funded(world)
    reported(p, 250_000)
    Project.objects.filter(pk=p.pk).update(state="failed", ended_at=timezone.now())
    first = closure.recovery_for_outcome(actor=world.officer, project=fresh(p), outcome="failed")
    assert first is not None
    assert first.amount_due == 100_000  # the unused money
    svc.project_rescind(actor=world.officer, project=fresh(p), comment="验收不通过后查实虚报")
    due = sorted(Recovery.objects.filter(project=p).values_list("kind", "amount_due"))
    assert due == [("failed", 100_000), ("revocation", FIRST - 100_000)]
    assert project_ledger(fresh(p)).due_back == FIRST  # never more than was paid


def test_an_ended_project_is_not_rescinded(world):
    p = funded(world, paid=0)
    svc.project_terminate(actor=world.officer, project=p, comment="终止")
    with pytest.raises(Refused) as e:
        svc.project_rescind(actor=world.officer, project=fresh(p), comment="撤销")
    assert e.value.code == "bad_state"


def test_misconduct_must_be_yes_or_no(world):
    p = funded(world, paid=0)
    with pytest.raises(BadInput) as e:
        svc.project_rescind(actor=world.officer, project=p, comment="撤销", misconduct="yes")
    assert e.value.detail["field"] == "misconduct"


# --------------------------------------------------------------------------- the call's money adds up


def test_the_calls_ledger_is_the_sum_of_its_projects_whatever_their_end(world):
    call = make_call(directions=["1.1"])
    running = funded(world, call=call)
    closed = funded(world, call=call)
    Project.objects.filter(pk=closed.pk).update(state="closed", accepted_at=timezone.now())  # accepted, last tranche unpaid
    terminated = funded(world, call=call)
    reported(terminated, 100_000)
    svc.project_terminate(actor=world.officer, project=terminated, comment="终止", misused=10_000)
    rescinded = funded(world, call=call, paid=200_000)
    svc.project_rescind(actor=world.officer, project=rescinded, comment="撤销")
    failed = funded(world, call=call)
    Project.objects.filter(pk=failed.pk).update(state="failed", ended_at=timezone.now())
    [r] = Recovery.objects.filter(project=terminated)
    closure.recovery_receive(actor=world.finance, recovery=r, amount=60_000, received_on=today(), voucher="RET-LEDGER-1")

    ledger = call_ledger(world.finance, call)
    rows = {row["project"].pk: row["ledger"] for row in ledger["rows"]}
    assert rows[closed.pk].outstanding == REST  # a closed project's unpaid last tranche is still to be paid
    assert (rows[failed.pk].stopped, rows[terminated.pk].stopped, rows[rescinded.pk].stopped) == (REST, REST, GRANT - 200_000)
    assert (rows[terminated.pk].due_back, rows[terminated.pk].recovered) == (FIRST - 100_000 + 10_000, 60_000)
    assert rows[rescinded.pk].due_back == 200_000
    assert rows[running.pk].outstanding == REST
    total = ledger["total"]
    for field in ("granted", "paid", "outstanding", "stopped", "due_back", "recovered"):
        assert getattr(total, field) == sum(getattr(x, field) for x in rows.values()), field
    assert (total.granted, total.paid) == (5 * GRANT, 4 * FIRST + 200_000)
    assert ledger_adds_up(total)
    assert all(ledger_adds_up(x) for x in rows.values())
    assert all(x == project_ledger(Project.objects.get(pk=pk)) for pk, x in rows.items())


def test_the_preview_is_what_the_termination_then_opens(world):
    p = funded(world)
    reported(p, 120_000)
    preview = closure.recovery_preview(p, "termination", misused=20_000)
    assert not Recovery.objects.filter(project=p).exists()  # a preview writes nothing
    assert (preview["paid"], preview["spent"], preview["unused"], preview["misused"], preview["due"], preview["stopped"]) == (
        FIRST,
        120_000,
        230_000,
        20_000,
        250_000,
        REST,
    )
    svc.project_terminate(actor=world.officer, project=p, comment="终止", misused=20_000)
    r = Recovery.objects.get(project=p)
    assert (r.unused, r.misused, r.amount_due, r.due_on) == (preview["unused"], preview["misused"], preview["due"], preview["due_on"])

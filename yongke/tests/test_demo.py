"""`make run` loads the demo: it must load on a fresh database, every state of both
workflows present, the review round made with the demo expert invited, a project in every
step after 立项 — and load again."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from yongke.applications.models import Application
from yongke.cli.main import run


@pytest.fixture(autouse=True)
def _deliver_in_the_test(settings):
    # The demo's news (every application and project step) is delivered as the load commits, in
    # this thread: a worker thread still delivering when the test's database is torn down logs
    # errors about tables that are gone.
    settings.YONGKE_NOTIFY_BACKEND = "immediate"


@pytest.mark.django_db(transaction=True)
def test_the_demo_loads_on_a_fresh_database_and_again(capsys):
    assert run(["demo"]) == 0, capsys.readouterr().err
    first = json.loads(capsys.readouterr().out)
    assert first["applications_created"] >= 15
    states = set(Application.objects.values_list("state", flat=True))
    assert {"draft", "submitted", "expert_review", "funded", "published", "claimed", "paid"} <= states

    from yongke.review.models import ReviewAssignment

    assert ReviewAssignment.objects.filter(expert__user__username="expert").exists()
    _the_projects_are_in_every_step()

    assert run(["demo"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["applications_created"] == 0
    assert again["applications"] == first["applications"]


def _the_projects_are_in_every_step():
    from yongke.projects.models import ChangeRequest, Project

    projects = list(Project.objects.all())
    for p in projects:  # every one has its task book, drafted from the application
        assert p.application.state == "contracted"
        assert p.indicators.exists(), p.number
        assert p.budget_lines.exists(), p.number
        assert sum(t.amount for t in p.tranches.all()) == p.approved_amount, p.number
    by_state = {
        state: [p for p in projects if p.state == state]
        for state in ("drafting", "signing", "in_progress", "revoked", "terminated", "acceptance", "rectifying", "closed", "failed")
    }
    assert all(by_state.values()), {k: len(v) for k, v in by_state.items()}
    signing = by_state["signing"]
    assert any(p.unit_signed_at is None and p.sign_by > timezone.now() for p in signing)  # sent, time still running
    assert any(p.unit_signed_at is not None and p.countersigned_at is None for p in signing)  # awaiting the countersignature
    [paid] = [p for p in by_state["in_progress"] if p.payments.exists() and not p.reports.exists()]
    assert paid.versions.filter(number=0).exists()  # the original, kept at the countersignature
    assert paid.payments.get().account_masked.endswith("4567")
    [extended] = [p for p in by_state["in_progress"] if p.amendment == 1]
    change = extended.versions.get(number=1).change
    assert (change.kind, change.state) == (ChangeRequest.Kind.EXTENSION, ChangeRequest.State.APPROVED)
    assert extended.ends_on.isoformat() == change.payload["ends_on"]
    [revoked] = [p for p in by_state["revoked"] if p.countersigned_at is None]
    assert revoked.unit_signed_at is None
    assert revoked.sign_by < timezone.now()
    [terminated] = by_state["terminated"]
    assert terminated.changes.get(kind=ChangeRequest.Kind.TERMINATION).state == ChangeRequest.State.APPROVED
    assert terminated.payments.exists()
    assert terminated.recoveries.get().amount_due > 0  # the unused money is to come back
    _the_projects_after_signing(by_state)


def _the_projects_after_signing(by_state):
    from yongke.orgs.models import CreditRecord
    from yongke.projects.models import Acceptance, Report

    [midterm] = [p for p in by_state["in_progress"] if p.reports.exists()]
    assert midterm.reports.get().outcome == Report.Outcome.QUALIFIED
    assert midterm.midterm_passed_at
    [panel] = by_state["acceptance"]
    assert panel.acceptances.get().members.filter(expert__user__username="expert").exists()
    [closed] = by_state["closed"]
    assert closed.acceptances.get().verdict == Acceptance.Verdict.PASSED
    assert closed.accepted_at
    assert sum(pay.amount for pay in closed.payments.all()) == closed.approved_amount  # the last tranche paid on 通过
    [rectifying] = by_state["rectifying"]
    assert rectifying.reports.filter(kind=Report.Kind.RECTIFICATION).exists()
    [failed] = by_state["failed"]
    barred = CreditRecord.objects.get(person=failed.leader, consequence="acceptance_failed")
    assert barred.active_on(timezone.localdate())
    assert (barred.ends_on - barred.starts_on).days >= 3 * 365
    assert failed.recoveries.exists()
    [rescinded] = [p for p in by_state["revoked"] if p.countersigned_at is not None]
    recovery = rescinded.recoveries.get()
    assert recovery.amount_due == sum(pay.amount for pay in rescinded.payments.all())  # everything paid
    assert 0 < recovery.received < recovery.amount_due

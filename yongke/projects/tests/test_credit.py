"""Credit consequences as data: a failed acceptance bars the leader for three years, a rescission
for misconduct records the organisation and the leader for five, an overdue acceptance keeps the
unit from applying until it is done — each recorded with its reason, period and clause, enforced
at the next submission (showing all three to the applicant) and over when its period is."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from yongke.applications import services as app_services
from yongke.audit.models import AuditEvent
from yongke.core.errors import PermissionDenied, Refused
from yongke.orgs.models import CreditRecord
from yongke.projects import credit
from yongke.projects import services as svc
from yongke.projects.models import ProjectCallSettings
from yongke.projects.rules import add_months, final_report_due, postaward
from yongke.projects.tests.closure_helpers import beijing, capture_announcements, funded, module_world
from yongke.projects.tests.helpers import fresh, today
from yongke.testing import TEST, make_application, make_call

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture
def announced(monkeypatch):
    return capture_announcements(monkeypatch)


def _submit(world, app):
    return app_services.application_transition(actor=world.applicant, application=app, action="submit")


def _overdue_day(p) -> dt.date:
    """The first day the project's acceptance is overdue: the day after its final report was due."""
    return final_report_due(p.ends_on, postaward().final_report_months) + dt.timedelta(days=1)


# --------------------------------------------------------------------------- the consequences, as data


def test_a_failed_acceptance_bars_the_leader_for_three_years(world, announced):
    p = funded(world)
    record = credit.consequence_apply(actor=world.officer, project=p, code="acceptance_failed", reason="验收不通过")
    assert record is not None
    assert (record.person_id, record.organisation_id, record.consequence) == (p.leader_id, None, "acceptance_failed")
    assert (record.starts_on, record.ends_on) == (today(), add_months(today(), 36) - dt.timedelta(days=1))
    assert record.origin == f"project:{p.number}"
    assert "三年内不得申报" in record.source
    [told] = [e for e in announced if e["template"] == "credit_recorded"]
    assert told["params"]["until"] == f"{record.ends_on.isoformat()} 前"


def test_a_consequence_is_applied_once_per_project(world):
    p = funded(world)
    first = credit.consequence_apply(actor=world.officer, project=p, code="acceptance_failed", reason="验收不通过")
    again = credit.consequence_apply(actor=world.officer, project=p, code="acceptance_failed", reason="验收不通过")
    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert CreditRecord.objects.filter(origin=credit.origin_of(p)).count() == 1


def test_a_call_overrides_a_consequence_or_waives_it(world):
    p = funded(world)
    ProjectCallSettings.objects.update_or_create(
        call=p.call,
        defaults={
            "consequences": {
                "acceptance_failed": {"subject": "organisation", "years": 2, "source": "本批次：验收不通过的，承担单位两年内不得申报。"},
                "revoked_misconduct_leader": None,
            }
        },
    )
    record = credit.consequence_apply(actor=world.officer, project=p, code="acceptance_failed", reason="验收不通过")
    assert record is not None
    assert (record.organisation_id, record.ends_on) == (p.organisation_id, add_months(today(), 24) - dt.timedelta(days=1))
    assert record.source.startswith("本批次")
    svc.project_rescind(actor=world.officer, project=fresh(p), comment="弄虚作假", misconduct=True)
    assert set(CreditRecord.objects.filter(origin=credit.origin_of(p)).values_list("consequence", flat=True)) == {
        "acceptance_failed",
        "revoked_misconduct",
    }


# --------------------------------------------------------------------------- an overdue acceptance


def test_a_project_not_asked_for_acceptance_in_time_bars_its_unit_until_done(world):
    p = funded(world)
    with time_machine.travel(beijing(_overdue_day(p)), tick=False):
        [found] = credit.acceptance_overdue_scan(actor=world.officer)
        assert credit.acceptance_overdue_scan(actor=world.officer) == []  # once
    record = found.record
    assert (found.project.pk, found.due_on) == (p.pk, _overdue_day(p) - dt.timedelta(days=1))
    assert (record.organisation_id, record.person_id, record.consequence) == (p.organisation_id, None, "acceptance_overdue")
    assert (record.starts_on, record.ends_on) == (_overdue_day(p), None)
    assert "完成验收前不得申报" in record.source
    assert found.due_on.isoformat() in record.reason
    event = AuditEvent.objects.get(target_type="project", target_id=str(p.pk), action="acceptance_overdue")
    assert event.data["credit_record"] == record.pk


def test_a_project_on_its_last_day_to_ask_is_not_overdue(world):
    p = funded(world)
    with time_machine.travel(beijing(_overdue_day(p) - dt.timedelta(days=1)), tick=False):
        assert credit.acceptance_overdue_scan(actor=world.officer) == []


def test_the_scan_is_the_programmes_officers(world):
    p = funded(world)
    with time_machine.travel(beijing(_overdue_day(p)), tick=False):
        assert credit.acceptance_overdue_scan(actor=world.other_officer) == []  # programme 2's
        for nobody in (world.org_admin, world.finance, None, AnonymousUser()):
            with pytest.raises(PermissionDenied):
                credit.acceptance_overdue_scan(actor=nobody)
        assert [o.project.pk for o in credit.acceptance_overdue_scan(actor=TEST)] == [p.pk]


def test_a_call_may_waive_the_overdue_consequence(world):
    p = funded(world)
    ProjectCallSettings.objects.update_or_create(call=p.call, defaults={"consequences": {"acceptance_overdue": None}})
    with time_machine.travel(beijing(_overdue_day(p)), tick=False):
        assert credit.acceptance_overdue_scan(actor=world.officer) == []
    assert not CreditRecord.objects.filter(origin=credit.origin_of(p)).exists()


@pytest.mark.parametrize("end", ["terminate", "rescind", "accepted"])
def test_the_until_done_record_ends_when_the_project_stops_waiting(world, end):
    p = funded(world)
    day = _overdue_day(p)
    with time_machine.travel(beijing(day), tick=False):
        [found] = credit.acceptance_overdue_scan(actor=world.officer)
    later = beijing(day + dt.timedelta(days=20))
    with time_machine.travel(later, tick=False):
        if end == "terminate":
            svc.project_terminate(actor=world.officer, project=fresh(p), comment="逾期未验收，终止")
        elif end == "rescind":
            svc.project_rescind(actor=world.officer, project=fresh(p), comment="逾期未验收，撤销")
        else:  # the acceptance decided: what the acceptance service calls
            credit.consequence_end(actor=world.officer, project=p, code="acceptance_overdue", reason="已完成验收")
    record = CreditRecord.objects.get(pk=found.record.pk)
    assert record.ends_on == later.date() - dt.timedelta(days=1)
    assert not record.active_on(later.date())


# --------------------------------------------------------------------------- enforced at submission


def test_the_barred_leader_is_refused_at_the_next_submission_until_the_ban_is_over(world):
    p = funded(world)
    record = credit.consequence_apply(actor=world.officer, project=p, code="acceptance_failed", reason="验收不通过")
    assert record is not None
    assert record.ends_on is not None
    app = make_application(call=world.call, org=world.org, user=world.applicant, leader=p.leader)
    with pytest.raises(Refused) as e:
        _submit(world, app)
    message = e.value.message
    assert e.value.code == "blacklisted"
    assert f"项目负责人{p.leader.name}" in message
    assert "验收不通过" in message  # the reason
    assert p.number in message  # the project it stems from
    assert record.ends_on.isoformat() in message  # the period
    assert record.source in message  # the clause
    assert e.value.detail["ends_on"] == record.ends_on.isoformat()

    with time_machine.travel(beijing(record.ends_on), tick=False):  # the ban's last day
        later = make_application(call=make_call(), org=world.org, user=world.applicant, leader=p.leader)
        with pytest.raises(Refused) as e:
            _submit(world, later)
        assert e.value.code == "blacklisted"
    with time_machine.travel(beijing(record.ends_on + dt.timedelta(days=1)), tick=False):  # over
        submitted, _ = _submit(world, later)
        assert submitted.state == "submitted"


def test_a_unit_overdue_for_acceptance_may_not_apply_until_it_is_done(world):
    p = funded(world)
    day = _overdue_day(p)
    with time_machine.travel(beijing(day), tick=False):
        credit.acceptance_overdue_scan(actor=world.officer)
        app = make_application(call=make_call(), org=world.org, user=world.applicant)
        with pytest.raises(Refused) as e:
            _submit(world, app)
        assert e.value.code == "blacklisted"
        assert f"申报单位{world.org.name}" in e.value.message
        assert "办结" in e.value.message
        assert "until the matter is done" in e.value.message
        assert "完成验收前不得申报" in e.value.message
        assert e.value.detail["ends_on"] is None
    with time_machine.travel(beijing(day + dt.timedelta(days=5)), tick=False):
        credit.consequence_end(actor=world.officer, project=p, code="acceptance_overdue", reason="已完成验收")
        submitted, _ = _submit(world, app)
        assert submitted.state == "submitted"


def test_a_rescission_for_misconduct_bars_the_organisation_at_submission(world):
    p = funded(world)
    svc.project_rescind(actor=world.officer, project=p, comment="伪造佐证材料", misconduct=True)
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(Refused) as e:
        _submit(world, app)
    assert e.value.code == "blacklisted"
    assert "伪造佐证材料" in e.value.message
    assert "五年内不得申报" in e.value.message

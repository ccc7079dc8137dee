"""Signing the 任务书: a deadline set when it is sent (the call's days, 30 by default, to 24:00
Beijing time), the unit's signature with the stamped PDF, the countersignature keeping the
original; unsigned projects past the deadline revoked, audited and their units told."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from yongke.accounts.services import user_add
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Refused
from yongke.core.workdays import BEIJING, format_deadline
from yongke.notifications.models import Notification
from yongke.projects import services as svc
from yongke.projects.tests.helpers import fresh, in_progress, opened, sent, signed
from yongke.testing import PDF_BYTES, TEST, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def notices(settings, django_capture_on_commit_callbacks):
    """Notifications delivered as each step commits."""
    settings.YONGKE_NOTIFY_BACKEND = "immediate"

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING)


def _soon() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=2)


def _sign(world, project, *, now=None, content=PDF_BYTES):
    return svc.project_transition(actor=world.org_admin, project=project, action="sign", filename="任务书.pdf", content=content, now=now)


def test_sending_sets_the_deadline_to_24_00_beijing_time_of_the_30th_day(world):
    day = _soon()
    with time_machine.travel(_at(day, 10), tick=False):
        p = sent(world)
    assert p.sign_by == _at(day + dt.timedelta(days=31), 0)
    assert format_deadline(p.sign_by) == f"{(day + dt.timedelta(days=30)).isoformat()} 24:00"


def test_the_days_are_counted_from_the_beijing_day_not_the_utc_one(world):
    day = _soon()
    p = sent(world, now=_at(day, 0, 30))  # 16:30 UTC of the day before
    assert p.sign_by == _at(day + dt.timedelta(days=31), 0)


def test_a_call_may_give_its_projects_another_time_to_sign(world):
    svc.call_project_settings_set(actor=TEST, call=world.call, sign_days=10)
    day = _soon()
    p = sent(world, now=_at(day, 9))
    assert p.sign_by == _at(day + dt.timedelta(days=11), 0)


def test_the_unit_signs_before_the_deadline(world):
    p = sent(world, now=_at(_soon(), 9))
    last_minute = p.sign_by - dt.timedelta(minutes=1)
    with time_machine.travel(last_minute, tick=False):
        p = _sign(world, p)
    assert p.unit_signed_at == last_minute
    assert p.files.get(kind="signed_task_book").content_type == "application/pdf"


def test_signing_after_the_deadline_is_refused(world):
    p = sent(world, now=_at(_soon(), 9))
    with time_machine.travel(p.sign_by, tick=False), pytest.raises(Refused) as e:
        _sign(world, p)
    assert e.value.code == "sign_deadline_passed"
    assert fresh(p).unit_signed_at is None


def test_signing_needs_the_stamped_task_book_as_a_pdf(world):
    p = sent(world)
    with pytest.raises(BadInput) as e:
        _sign(world, p, content=b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    assert e.value.detail["field"] == "file"
    assert fresh(p).unit_signed_at is None


def test_an_applicant_of_the_unit_may_not_sign_for_it(world):
    p = sent(world)
    with pytest.raises(svc.PermissionDenied):
        svc.project_transition(actor=world.applicant, project=p, action="sign", content=PDF_BYTES)


def test_the_countersignature_waits_for_the_units(world):
    p = sent(world)
    with pytest.raises(Refused) as e:
        svc.project_transition(actor=world.officer, project=p, action="countersign")
    assert e.value.code == "unit_not_signed"


def test_the_countersignature_starts_the_project_and_keeps_the_original(world):
    p = in_progress(world)
    assert p.state == "in_progress"
    (original,) = p.versions.all()
    assert original.number == 0
    assert original.content["approved_amount"] == p.approved_amount


def test_the_unit_may_not_send_the_task_book_back_once_its_time_is_up(world):
    p = sent(world, now=_at(_soon(), 9))
    with pytest.raises(Refused) as e:
        svc.project_transition(actor=world.org_admin, project=p, action="reopen", comment="请修改", now=p.sign_by)
    assert e.value.code == "sign_deadline_passed"
    assert fresh(p).state == "signing"


def test_the_unit_may_send_the_task_book_back_in_time_and_the_officer_sends_it_again(world):
    p = sent(world, now=_at(_soon(), 9))
    p = svc.project_transition(actor=world.org_admin, project=p, action="reopen", comment="考核指标有误")
    assert (p.state, p.sign_by) == ("drafting", None)
    assert sent(world, p).state == "signing"


def test_the_scan_revokes_exactly_the_overdue_unsigned_projects(world, notices):
    day = _soon()
    overdue = sent(world, now=_at(day, 9))
    in_time = sent(world, now=_at(day + dt.timedelta(days=5), 9))
    signed_only = signed(world, now=_at(day, 9))  # signed by the unit, not yet countersigned
    with time_machine.travel(overdue.sign_by + dt.timedelta(minutes=1), tick=False):
        revoked = notices(svc.projects_revoke_unsigned, actor=world.officer)
    assert [p.pk for p in revoked] == [overdue.pk]
    assert fresh(overdue).state == "revoked"
    assert fresh(in_time).state == "signing"
    assert fresh(signed_only).state == "signing"
    event = AuditEvent.objects.get(target_type="project", target_id=str(overdue.pk), action="revoke")
    assert (event.from_state, event.to_state) == ("signing", "revoked")
    assert "逾期未签订任务书" in event.comment
    told = Notification.objects.filter(template="project_revoked")
    assert {n.user_id for n in told} == {world.org_admin.pk, world.applicant.pk}
    assert all(overdue.number in n.body for n in told)


def test_the_scan_before_the_deadline_revokes_nothing(world):
    p = sent(world, now=_at(_soon(), 9))
    with time_machine.travel(p.sign_by - dt.timedelta(seconds=1), tick=False):
        assert svc.projects_revoke_unsigned(actor=world.officer) == []
    assert fresh(p).state == "signing"


def test_the_scan_of_an_officer_of_another_programme_leaves_the_project(world):
    p = sent(world, now=_at(_soon(), 9))
    assert svc.projects_revoke_unsigned(actor=world.other_officer, now=p.sign_by) == []
    assert fresh(p).state == "signing"


def test_a_unit_is_reminded_once_per_deadline(world, notices):
    p = sent(world, now=_at(_soon(), 9))
    week_before = p.sign_by - dt.timedelta(days=6)
    first = notices(svc.signing_reminders, actor=world.officer, now=week_before)
    again = notices(svc.signing_reminders, actor=world.officer, now=week_before + dt.timedelta(days=1))
    assert [r["project"] for r in first] == [p.pk]
    assert again == []
    assert Notification.objects.filter(template="sign_reminder", user=world.org_admin).count() == 1


def test_a_new_deadline_brings_a_new_reminder(world, notices):
    p = sent(world, now=_at(_soon(), 9))
    notices(svc.signing_reminders, actor=world.officer, now=p.sign_by - dt.timedelta(days=3))
    p = svc.project_transition(actor=world.officer, project=p, action="reopen", comment="调整拨款计划")
    p = sent(world, p, now=_at(_soon() + dt.timedelta(days=10), 9))
    notices(svc.signing_reminders, actor=world.officer, now=p.sign_by - dt.timedelta(days=3))
    assert Notification.objects.filter(template="sign_reminder", user=world.org_admin).count() == 2


def test_no_reminder_before_the_reminder_window(world):
    p = sent(world, now=_at(_soon(), 9))
    assert svc.signing_reminders(actor=world.officer, now=p.sign_by - dt.timedelta(days=8)) == []


def test_an_officer_is_reminded_only_of_the_projects_of_their_programmes(world):
    p = sent(world, now=_at(_soon(), 9))
    assert svc.signing_reminders(actor=world.other_officer, now=p.sign_by - dt.timedelta(days=1)) == []


def test_the_officer_may_revoke_a_project_being_drawn_up_with_a_reason(world):
    p = opened(world)
    with pytest.raises(BadInput):
        svc.project_transition(actor=world.officer, project=p, action="revoke")
    p = svc.project_transition(actor=world.officer, project=p, action="revoke", comment="单位放弃")
    assert p.state == "revoked"
    assert p.ended_at is not None


def test_a_member_of_the_unit_who_is_the_admin_of_another_may_not_sign_for_it(world):
    p = sent(world)
    user_add(actor=TEST, username=world.applicant.username, role="org_admin", organisation=world.other_org)
    dual = User.objects.get(pk=world.applicant.pk)
    with pytest.raises(svc.PermissionDenied):
        svc.project_transition(actor=dual, project=p, action="sign", filename="任务书.pdf", content=PDF_BYTES)
    assert fresh(p).unit_signed_at is None

"""`yongke notify deadlines`: the applicants of a call closing within N days who still have an
unsubmitted application there are reminded — once per call per user, however often it runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from yongke.cli.main import run
from yongke.core.errors import PermissionDenied
from yongke.notifications.events import deadline_reminders
from yongke.notifications.models import Kind, Notification
from yongke.testing import TEST, make_application, make_application_in, make_call


def notify(capsys, *argv: str) -> tuple[int, dict, str]:
    code = run(["notify", "deadlines", *argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


@pytest.fixture
def closing(world):
    """A call closing in two days, with a draft of the world's organisation in it."""
    call = make_call(days=2, name="年中批次")
    make_application(call=call, org=world.org, user=world.applicant)
    return call


def test_the_verb_reminds_each_applicant_of_the_call_closing(world, closing, immediate, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code, out, err = notify(capsys)
    assert code == 0, err
    assert out["days"] == 3
    assert out["calls"] == [
        {
            "call": closing.pk,
            "name": "年中批次",
            "closes_at": timezone.localtime(closing.closes_at).strftime("%Y-%m-%d %H:%M"),
            "reminded": 2,
        }
    ]
    assert out["reminded"] == 2
    entries = Notification.objects.filter(kind=Kind.DEADLINE)
    assert {n.user for n in entries} == {world.applicant, world.org_admin}
    assert {n.title for n in entries} == {"申报即将截止：年中批次"}
    assert len(mail.outbox) == 2


def test_running_it_twice_sends_nothing_new(world, closing, immediate, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(capsys)
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = notify(capsys)
    assert code == 0
    assert out["reminded"] == 0
    assert out["calls"][0]["reminded"] == 0
    assert Notification.objects.filter(kind=Kind.DEADLINE).count() == 2
    assert len(mail.outbox) == 2


def test_a_new_member_of_the_organisation_is_reminded_on_the_next_run(
    world, closing, immediate, capsys, django_capture_on_commit_callbacks
):
    from yongke.testing import make_user

    with django_capture_on_commit_callbacks(execute=True):
        notify(capsys)
    newcomer = make_user("applicant", organisation=world.org)
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys)
    assert out["reminded"] == 1
    assert Notification.objects.filter(kind=Kind.DEADLINE, user=newcomer).count() == 1


def test_a_call_closing_later_is_not_yet_reminded(world, immediate, capsys, django_capture_on_commit_callbacks):
    make_application(call=world.call, org=world.org, user=world.applicant)  # the world's call closes in 10 days
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys)
    assert out == {"days": 3, "calls": [], "reminded": 0}
    assert not Notification.objects.exists()


def test_the_number_of_days_is_a_setting(world, immediate, capsys, settings, django_capture_on_commit_callbacks):
    settings.YONGKE_DEADLINE_DAYS = 12
    make_application(call=world.call, org=world.org, user=world.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys)
    assert out["days"] == 12
    assert [c["call"] for c in out["calls"]] == [world.call.pk]


def test_the_days_option_overrides_the_setting(world, closing, immediate, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys, "--days", "1")
    assert out == {"days": 1, "calls": [], "reminded": 0}


def test_an_organisation_that_has_submitted_is_not_reminded(world, immediate, capsys, django_capture_on_commit_callbacks):
    call = make_call(days=2)
    make_application_in("submitted", world=world, call=call)
    make_application(call=call, org=world.other_org, user=world.stranger)
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys)
    assert out["reminded"] == 1
    assert [n.user for n in Notification.objects.all()] == [world.stranger]


def test_a_closed_call_is_not_reminded(world, closing, immediate, capsys, django_capture_on_commit_callbacks):
    from yongke.applications.services import call_close

    call_close(actor=TEST, call=closing)  # the call opens every programme's directions: no single officer's
    with django_capture_on_commit_callbacks(execute=True):
        _, out, _ = notify(capsys)
    assert out["calls"] == []


def test_bad_days_are_refused_with_exit_2(world, capsys):
    code, out, err = notify(capsys, "--days", "0")
    assert code == 2
    assert "days" in err
    assert out == {}


def test_an_applicant_may_not_send_deadline_reminders(world, closing):
    with pytest.raises(PermissionDenied):
        deadline_reminders(actor=world.applicant)


def test_the_verb_as_an_applicant_is_refused(world, closing, capsys):
    code, _, err = notify(capsys, "--as", world.applicant.username)
    assert code == 2
    assert "officers only" in err


def test_reminders_are_queued_not_sent_by_the_scan(world, closing, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out = deadline_reminders(actor=world.officer, now=timezone.now() + dt.timedelta(hours=1))
    assert out[0]["reminded"] == 2
    assert len(queue.waiting) == 1
    assert not Notification.objects.exists()
    queue.run()
    assert Notification.objects.filter(kind=Kind.DEADLINE).count() == 2

"""The deadline judged at the request's arrival, and calls kept to their programme's officers."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
import time_machine
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from yongke.accounts.services import token_create
from yongke.applications import services as svc
from yongke.applications.models import Application, Call
from yongke.cli.main import run
from yongke.core.arrival import arrival_time, arrived
from yongke.core.errors import PermissionDenied, Refused
from yongke.testing import TEST, build_world, make_application, make_call, make_user

pytestmark = pytest.mark.django_db

DEADLINE = dt.datetime(2026, 6, 30, 9, 0, tzinfo=dt.UTC)  # 17:00 北京时间


@pytest.fixture
def world():
    with time_machine.travel(DEADLINE - dt.timedelta(days=3), tick=False):
        w = build_world()
        w.call = make_call(opens_at=DEADLINE - dt.timedelta(days=5), closes_at=DEADLINE)
        return w


def _draft(world) -> Application:
    with time_machine.travel(DEADLINE - dt.timedelta(days=1), tick=False):
        return make_application(call=world.call, org=world.org, user=world.applicant)


def _lock_taken_later(monkeypatch, traveller, seconds: float = 1.0) -> None:
    """Every row lock is taken `seconds` later (50 people queue on the same call in the last second)."""
    original = QuerySet.select_for_update

    def slow(self, *args, **kwargs):
        traveller.shift(dt.timedelta(seconds=seconds))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", slow)


def _submit_over_api(world, app, at: dt.datetime, monkeypatch):
    token = token_create(actor=world.applicant, user=world.applicant, name="deadline")
    client = Client()
    with time_machine.travel(at, tick=False) as traveller:
        _lock_taken_later(monkeypatch, traveller)
        return client.post(
            f"/api/v1/applications/{app.pk}/transitions",
            data={"action": "submit"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )


def test_a_submission_arriving_half_a_second_before_the_deadline_is_accepted_though_locked_after_it(world, monkeypatch):
    app = _draft(world)
    response = _submit_over_api(world, app, DEADLINE - dt.timedelta(seconds=0.5), monkeypatch)
    assert response.status_code == 200, response.content[:300]
    app.refresh_from_db()
    assert app.state == "submitted"
    assert app.submissions.get().submitted_at == DEADLINE - dt.timedelta(seconds=0.5)  # the arrival, not the lock


def test_a_submission_arriving_after_the_deadline_is_refused(world, monkeypatch):
    app = _draft(world)
    response = _submit_over_api(world, app, DEADLINE + dt.timedelta(seconds=0.1), monkeypatch)
    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "deadline_passed"
    app.refresh_from_db()
    assert app.state == "draft"


def test_the_service_judges_at_its_start_outside_a_request(world, monkeypatch):
    app = _draft(world)
    with time_machine.travel(DEADLINE - dt.timedelta(seconds=0.5), tick=False) as traveller:
        _lock_taken_later(monkeypatch, traveller)
        app, changed = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert changed
    assert app.state == "submitted"


def test_the_arrival_is_kept_for_the_request_only(world):
    with time_machine.travel(DEADLINE, tick=False), arrived(DEADLINE - dt.timedelta(hours=1)):
        assert arrival_time() == DEADLINE - dt.timedelta(hours=1)
    with time_machine.travel(DEADLINE, tick=False):
        assert arrival_time() == DEADLINE


def test_a_cli_submission_is_judged_at_the_commands_start(world, monkeypatch, capsys):
    app = _draft(world)
    with time_machine.travel(DEADLINE - dt.timedelta(seconds=0.5), tick=False) as traveller:
        _lock_taken_later(monkeypatch, traveller)
        code = run(["app", "submit", str(app.pk), "--as", world.applicant.username])
    assert code == 0, capsys.readouterr().err
    app.refresh_from_db()
    assert app.state == "submitted"


def test_a_cli_submission_started_after_the_deadline_is_refused(world, capsys):
    app = _draft(world)
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=1), tick=False):
        code = run(["app", "submit", str(app.pk), "--as", world.applicant.username])
    assert code == 1
    assert "截止" in capsys.readouterr().err
    app.refresh_from_db()
    assert app.state == "draft"


def test_a_draft_created_by_a_request_that_arrived_before_the_deadline_is_accepted(world):
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=0.5), tick=False), arrived(DEADLINE - dt.timedelta(seconds=0.5)):
        app = make_application(call=world.call, org=world.org, user=world.applicant)
    assert app.state == "draft"
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=0.5), tick=False), pytest.raises(Refused):
        make_application(call=world.call, org=world.org, user=world.applicant)


# --------------------------------------------------------------------------- calls belong to their programmes' officers


def _open(actor, directions):
    return svc.call_open(actor=actor, name="批次", closes_at=timezone.now() + dt.timedelta(days=9), directions=directions)


def test_an_officer_opens_a_call_of_their_programme_only(world):
    own = make_user("officer", programme="1")
    call = _open(own, ["1.1"])
    assert Call.objects.filter(pk=call.pk).exists()
    with pytest.raises(PermissionDenied) as e:
        _open(own, ["1.1", "14.1"])  # 14.1 is programme 2's
    assert e.value.detail["programmes"] == ["2"]
    with pytest.raises(PermissionDenied):
        _open(own, None)  # all the guide's directions
    assert Call.objects.filter(name="批次").count() == 1


def test_an_officer_of_every_programme_opens_any_call(world):
    call = _open(make_user("officer", programme="*"), None)
    assert len(call.directions) > 10


def test_an_officer_of_another_programme_may_not_close_or_edit_a_call(world):
    call = make_call(directions=["14.1"])
    other = make_user("officer", programme="1")
    with pytest.raises(PermissionDenied):
        svc.call_close(actor=other, call=call)
    with pytest.raises(PermissionDenied):
        svc.call_update(actor=other, call=call, changes={"name": "改名"})
    call.refresh_from_db()
    assert call.closed_at is None
    assert call.name != "改名"
    own = make_user("officer", programme="2")
    assert svc.call_update(actor=own, call=call, changes={"name": "改名"}).name == "改名"
    assert svc.call_close(actor=own, call=call).closed_at is not None


def test_an_officer_may_not_add_another_programmes_direction_to_their_call(world):
    call = make_call(directions=["1.1"])
    own = make_user("officer", programme="1")
    with pytest.raises(PermissionDenied):
        svc.call_update(actor=own, call=call, changes={"directions": ["1.1", "14.1"]})
    call.refresh_from_db()
    assert call.directions == ["1.1"]


@pytest.mark.parametrize("role", ["sysadmin", "security", "auditor", "finance"])
def test_administrators_open_and_close_no_call(world, role):
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        _open(user, ["1.1"])
    with pytest.raises(PermissionDenied):
        svc.call_close(actor=user, call=world.call)
    assert svc.call_close(actor=TEST, call=world.call).closed_at is not None


# --------------------------------------------------------------------------- behind the proxy


def _submit_through_proxy(world, app, *, sent: dt.datetime, handled: dt.datetime, peer: str = "10.0.0.5"):
    """The proxy received the request at `sent`; gunicorn's worker reached it at `handled`."""
    token = token_create(actor=world.applicant, user=world.applicant, name="deadline")
    with time_machine.travel(handled, tick=False):
        return Client(REMOTE_ADDR=peer).post(
            f"/api/v1/applications/{app.pk}/transitions",
            data={"action": "submit"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_X_REQUEST_START=f"t={sent.timestamp():.3f}",
        )


def test_a_submission_the_proxy_received_before_the_deadline_is_accepted_though_handled_after(world, settings):
    settings.YONGKE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    app = _draft(world)
    response = _submit_through_proxy(world, app, sent=DEADLINE - dt.timedelta(seconds=2), handled=DEADLINE + dt.timedelta(seconds=7))
    assert response.status_code == 200, response.content[:300]
    app.refresh_from_db()
    assert app.state == "submitted"
    assert app.submissions.get().submitted_at == DEADLINE - dt.timedelta(seconds=2)


def test_the_proxy_header_from_an_untrusted_peer_is_ignored(world, settings):
    settings.YONGKE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    app = _draft(world)
    response = _submit_through_proxy(
        world, app, sent=DEADLINE - dt.timedelta(seconds=2), handled=DEADLINE + dt.timedelta(seconds=7), peer="192.0.2.9"
    )
    assert response.status_code == 422
    app.refresh_from_db()
    assert app.state == "draft"


def test_no_trusted_proxy_no_header_believed(world, settings):
    settings.YONGKE_TRUSTED_PROXIES = []
    app = _draft(world)
    response = _submit_through_proxy(world, app, sent=DEADLINE - dt.timedelta(seconds=2), handled=DEADLINE + dt.timedelta(seconds=1))
    assert response.status_code == 422


def test_a_proxy_time_older_than_the_limit_is_ignored(world, settings):
    settings.YONGKE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.YONGKE_REQUEST_START_MAX_SECONDS = 300
    app = _draft(world)
    response = _submit_through_proxy(world, app, sent=DEADLINE - dt.timedelta(minutes=10), handled=DEADLINE + dt.timedelta(seconds=1))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("t=1782810000.250", dt.datetime(2026, 6, 30, 9, 0, 0, 250000, tzinfo=dt.UTC)),  # nginx ${msec}
        ("1782810000250", dt.datetime(2026, 6, 30, 9, 0, 0, 250000, tzinfo=dt.UTC)),  # milliseconds
        ("t=1782810000250000", dt.datetime(2026, 6, 30, 9, 0, 0, 250000, tzinfo=dt.UTC)),  # microseconds
        ("t=1782810060", DEADLINE + dt.timedelta(seconds=30)),  # later than now: now
        ("t=abc", None),
        ("t=nan", None),
        ("", None),
        ("t=-5", None),
    ],
)
def test_the_proxy_time_is_read_in_its_usual_forms(raw, expected):
    from yongke.core.arrival import proxy_start

    now = DEADLINE + dt.timedelta(seconds=30)
    trusted = [ipaddress.ip_network("127.0.0.1/32")]
    assert proxy_start(raw, "127.0.0.1", trusted, now, 300) == expected
    assert proxy_start(raw, "127.0.0.2", trusted, now, 300) is None

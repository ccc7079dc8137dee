"""The security administrator's verbs on `yongke user`: `mfa-reset` removes the devices, `unlock`
clears django-axes' failed sign-ins so the user can sign in again, `mfa-status` and `locked`
report; each write is audited with its reason. `System("cli")` by default; `--as` must name a
security administrator; an unknown user is exit 2 naming `username`; never a traceback."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

import yongke.cli.security
from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.audit.models import AuditEvent
from yongke.cli.main import run
from yongke.testing import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _no_migrate_each_time(monkeypatch):
    """The test database is migrated once; the verbs skip `migrate` on each run."""
    monkeypatch.setattr(yongke.cli.security, "django_setup", lambda **_: None)


def ok(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def bad(capsys, *argv) -> str:
    capsys.readouterr()  # what the set-up printed (the sign-in attempts' log records) is not the command's
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert out == ""
    return err


def _enrol(user) -> None:
    device = mfa.totp_begin(actor=System("test"), user=user)
    mfa.totp_confirm(actor=System("test"), user=user, code=f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")


def _lock_out(user) -> None:
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})
    assert client.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429


@pytest.fixture
def officer():
    return make_user("officer", programme="*")


def test_mfa_reset_removes_the_devices_and_is_audited(capsys, officer):
    _enrol(officer)
    assert mfa.has_device(officer)
    out = ok(capsys, "user", "mfa-reset", officer.username, "--reason", "手机丢失")
    assert out == {"username": officer.username, "removed": 2}
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticDevice.objects.filter(user=officer).exists()
    event = AuditEvent.objects.get(action="mfa.reset", target_id=officer.username)
    assert (event.actor_name, event.comment, event.data["removed"]) == ("system:cli", "手机丢失", 2)


def test_unlock_clears_the_failures_and_the_user_signs_in_again(capsys):
    user = make_user("applicant", organisation=make_org())
    _lock_out(user)
    assert ok(capsys, "user", "mfa-status", user.username)["locked_out"] is True
    locked = ok(capsys, "user", "locked")
    assert [r["username"] for r in locked["locked"]] == [user.username]
    assert locked["locked"][0]["failures"] == 5
    out = ok(capsys, "user", "unlock", user.username, "--reason", "本人来电核实")
    assert out == {"username": user.username, "removed": 1}
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert ok(capsys, "user", "locked") == {"locked": [], "count": 0}
    r = Client().post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    event = AuditEvent.objects.get(action="lockout.cleared", target_id=user.username)
    assert (event.actor_name, event.comment, event.data["removed"]) == ("system:cli", "本人来电核实", 1)


def test_mfa_status_reports_enrolment_recovery_codes_and_obligation(capsys, officer, settings):
    settings.YONGKE_MFA_REQUIRED = True
    before = ok(capsys, "user", "mfa-status", officer.username)
    assert before == {"username": officer.username, "enrolled": False, "recovery_codes_left": 0, "required": True, "locked_out": False}
    _enrol(officer)
    after = ok(capsys, "user", "mfa-status", officer.username)
    assert (after["enrolled"], after["recovery_codes_left"], after["required"]) == (True, 10, True)
    applicant = make_user("applicant", organisation=make_org())
    assert ok(capsys, "user", "mfa-status", applicant.username)["required"] is False


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "mfa-reset", "nobody", "--reason", "核实"],
        ["user", "unlock", "nobody", "--reason", "核实"],
        ["user", "mfa-status", "nobody"],
    ],
)
def test_an_unknown_user_is_exit_2_naming_username(capsys, argv):
    err = bad(capsys, *argv)
    assert "username" in err
    assert "nobody" in err
    assert not AuditEvent.objects.filter(target_id="nobody").exists()


def test_as_a_security_administrator_acts_as_them(capsys, officer):
    security = make_user("security")
    _enrol(officer)
    ok(capsys, "user", "mfa-reset", officer.username, "--reason", "手机丢失", "--as", security.username)
    assert AuditEvent.objects.get(action="mfa.reset", target_id=officer.username).actor_name == security.username
    assert ok(capsys, "user", "locked", "--as", security.username)["count"] == 0


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "officer"])
def test_as_anyone_else_is_refused_and_changes_nothing(capsys, officer, role):
    _enrol(officer)
    other = make_user(role, programme="*" if role == "officer" else "")
    user = make_user("applicant", organisation=make_org())
    _lock_out(user)
    for argv in (
        ["user", "mfa-reset", officer.username, "--reason", "试图重置"],
        ["user", "unlock", user.username, "--reason", "试图解锁"],
        ["user", "mfa-status", officer.username],
        ["user", "locked"],
        ["user", "mfa-reset", "nobody", "--reason", "试图重置"],  # refused before the lookup: no hint who exists
    ):
        err = bad(capsys, *argv, "--as", other.username)
        assert "安全管理员" in err
    assert mfa.has_device(officer)
    assert AccessAttempt.objects.filter(username=user.username).exists()
    assert not AuditEvent.objects.filter(action__in=["mfa.reset", "lockout.cleared"]).exists()


def test_a_blank_reason_is_refused(capsys, officer):
    _enrol(officer)
    err = bad(capsys, "user", "mfa-reset", officer.username, "--reason", "  ")
    assert "--reason" in err
    assert mfa.has_device(officer)


def test_a_missing_reason_is_a_usage_error(capsys, officer):
    assert "--reason" in bad(capsys, "user", "unlock", officer.username)

"""The security administrator's API (安全管理员): its permission matrix over every operation × every
caller (the roles of the API world, the officer of another programme and the security
administrator), and the journeys — a locked-out user listed, unlocked and signing in again; a
lost authenticator reset; staff without a second factor listed; each write audited with its reason.

Only the security administrator may: every other role is 403 (never 404, even for a user who does
not exist), no credentials 401.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.api.security import router
from yongke.api.tests.conftest import ROLES
from yongke.audit.models import AuditEvent
from yongke.testing import PASSWORD, make_org, make_user

A = "/api/v1"
TOKEN = f"{A}/auth/token"
CALLERS = (*ROLES, "other_officer", "security")

OPS = {
    "security_locked": lambda w: ("GET", f"{A}/security/locked", None),
    "security_without_mfa": lambda w: ("GET", f"{A}/security/without-mfa", None),
    "security_mfa_reset": lambda w: ("POST", f"{A}/security/users/{w.expert.username}/mfa-reset", {"reason": "手机丢失"}),
    "security_unlock": lambda w: ("POST", f"{A}/security/users/{w.expert.username}/unlock", {"reason": "本人来电核实"}),
}
#            anonymous org_admin applicant recommender officer finance expert auditor sysadmin other_officer security
ONLY_SECURITY = ("401", "403", "403", "403", "403", "403", "403", "403", "403", "403", "200")
EXPECT = dict.fromkeys(OPS, ONLY_SECURITY)
CODES = {401: "unauthenticated", 403: "permission_denied", 404: "not_found"}


@pytest.fixture(scope="module")
def security_token(world, django_db_blocker):
    """A security administrator with a bearer token, for this module."""
    from yongke.accounts.services import token_create

    with django_db_blocker.unblock():
        user = make_user("security")
        world.tokens["security"] = token_create(actor=user, user=user, name="tests")
    yield user
    world.tokens.pop("security", None)


def _cases():
    for op, row in EXPECT.items():
        for role, status in zip(CALLERS, row, strict=True):
            yield pytest.param(op, role, int(status), id=f"{op}-{role}")


def test_every_operation_of_the_router_is_in_the_matrix():
    names = {op.view_func.__name__ for view in router.path_operations.values() for op in view.operations}
    assert names == set(OPS) == set(EXPECT)


@pytest.mark.parametrize(("op", "role", "status"), list(_cases()))
def test_security_permission_matrix(api, world, security_token, op, role, status):
    method, path, json = OPS[op](world)
    client = api.as_(role)
    response = client.get(path) if method == "GET" else client.post(path, json)
    assert response.status_code == status, response.content[:500]
    body = response.json()
    if status >= 400:
        assert set(body) == {"code", "message", "detail"}
        assert body["code"] == CODES[status]
    elif method == "POST":
        assert body["username"] == world.expert.username


# --------------------------------------------------------------------------- journeys


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def _token(username: str, **extra):
    return Client().post(TOKEN, {"username": username, "password": PASSWORD, **extra}, content_type="application/json")


def test_a_locked_out_user_is_listed_unlocked_and_signs_in_again(api, world, security_token):
    user = make_user("applicant", organisation=make_org())
    for _ in range(5):
        Client().post(TOKEN, {"username": user.username, "password": "wrong-password"}, content_type="application/json")
    assert _token(user.username).json()["code"] == "locked_out"
    security = api.as_("security")
    locked = security.get(f"{A}/security/locked").json()
    row = next(i for i in locked["items"] if i["username"] == user.username)
    assert row["failures"] == 5
    assert row["last_attempt"].endswith("+08:00")
    r = security.post(f"{A}/security/users/{user.username}/unlock", {"reason": "本人来电核实"})
    assert r.status_code == 200, r.content
    assert r.json() == {"username": user.username, "removed": 1}
    assert user.username not in {i["username"] for i in security.get(f"{A}/security/locked").json()["items"]}
    assert _token(user.username).status_code == 200
    event = AuditEvent.objects.get(action="lockout.cleared", target_id=user.username)
    assert (event.actor_name, event.comment) == (security_token.username, "本人来电核实")


def test_a_lost_authenticator_is_reset_and_the_user_enrols_again(api, world, security_token, settings):
    settings.YONGKE_MFA_REQUIRED = True
    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=System("test"), user=officer)
    mfa.totp_confirm(actor=System("test"), user=officer, code=_code(device))
    assert _token(officer.username).json()["code"] == "otp_required"
    r = api.as_("security").post(f"{A}/security/users/{officer.username}/mfa-reset", {"reason": "手机丢失"})
    assert r.status_code == 200, r.content
    assert r.json() == {"username": officer.username, "removed": 2}  # the authenticator and the recovery codes
    assert not mfa.has_device(officer)
    assert mfa.recovery_left(officer) == 0
    assert _token(officer.username).json()["code"] == "mfa_enrol_required"
    event = AuditEvent.objects.get(action="mfa.reset", target_id=officer.username)
    assert (event.comment, event.data["removed"]) == ("手机丢失", 2)


def test_staff_without_a_second_factor_are_listed_until_they_enrol(api, world, security_token):
    officer = make_user("officer", programme="*")
    applicant = make_user("applicant", organisation=make_org())

    def listed() -> dict[str, list[str]]:
        items = api.as_("security").get(f"{A}/security/without-mfa?page_size=100").json()["items"]
        return {i["username"]: i["roles"] for i in items}

    assert listed()[officer.username] == ["officer"]
    assert applicant.username not in listed()
    device = mfa.totp_begin(actor=System("test"), user=officer)
    mfa.totp_confirm(actor=System("test"), user=officer, code=_code(device))
    assert officer.username not in listed()


def test_an_unknown_user_is_a_404_naming_username_for_security_only(api, world, security_token):
    for op in ("mfa-reset", "unlock"):
        r = api.as_("security").post(f"{A}/security/users/nobody-here/{op}", {"reason": "核实"})
        assert (r.status_code, r.json()["detail"]["field"]) == (404, "username")
        other = api.as_("sysadmin").post(f"{A}/security/users/nobody-here/{op}", {"reason": "核实"})
        assert (other.status_code, other.json()["code"]) == (403, "permission_denied")
    assert not AuditEvent.objects.filter(target_id="nobody-here").exists()


def test_a_reason_is_required(api, world, security_token):
    for body in ({}, {"reason": ""}):
        r = api.as_("security").post(f"{A}/security/users/{world.expert.username}/mfa-reset", body)
        assert (r.status_code, r.json()["detail"]["field"]) == (400, "reason")
    assert not AuditEvent.objects.filter(action="mfa.reset", target_id=world.expert.username).exists()


def test_a_refused_reset_changes_nothing(api, world, security_token):
    device = mfa.totp_begin(actor=System("test"), user=world.expert)
    mfa.totp_confirm(actor=System("test"), user=world.expert, code=_code(device))
    r = api.as_("sysadmin").post(f"{A}/security/users/{world.expert.username}/mfa-reset", {"reason": "试图重置"})
    assert r.status_code == 403
    assert mfa.has_device(world.expert)
    assert not AuditEvent.objects.filter(action="mfa.reset").exists()

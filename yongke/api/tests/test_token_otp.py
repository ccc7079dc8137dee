"""`POST /api/v1/auth/token` and the second factor: a user with an authenticator (or whose role
requires one) sends `otp` after the password — a TOTP code or one recovery code; missing is
401 otp_required, wrong 401 otp_invalid (audited), throttled 429 otp_throttled, and a user who
must enrol but has not is 403 mfa_enrol_required naming the portal page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.accounts.models import ApiToken
from yongke.audit.models import AuditEvent
from yongke.testing import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token"
SYSTEM = System("test")


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(_code(device)) + 1) % 1_000_000:06d}"


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """Enrolled as in the portal (a confirmed authenticator and recovery codes); the code used to
    confirm is forgotten so that the current one can be given again."""
    device = mfa.totp_begin(actor=SYSTEM, user=user)
    _, codes = mfa.totp_confirm(actor=SYSTEM, user=user, code=_code(device))
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return device, codes


def _post(user, **extra):
    return Client().post(TOKEN, {"username": user.username, "password": PASSWORD, **extra}, content_type="application/json")


@pytest.fixture
def officer():
    return make_user("officer", programme="*")


@pytest.fixture
def mfa_required(settings):
    settings.YONGKE_MFA_REQUIRED = True


def test_an_enrolled_user_without_otp_is_told_to_send_one(officer):
    _enrolled(officer)
    r = _post(officer)
    assert r.status_code == 401
    assert r.json()["code"] == "otp_required"
    assert r.json()["detail"] == {"field": "otp"}
    assert not ApiToken.objects.filter(user=officer).exists()


def test_a_blank_otp_is_missing_too(officer):
    _enrolled(officer)
    r = _post(officer, otp="   ")
    assert (r.status_code, r.json()["code"]) == (401, "otp_required")


def test_the_current_totp_code_gets_a_token_that_works(officer):
    device, _ = _enrolled(officer)
    r = _post(officer, otp=_code(device))
    assert r.status_code == 200, r.content
    token = r.json()["token"]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()["username"] == officer.username
    assert AuditEvent.objects.filter(action="mfa.verified", target_id=officer.username).exists()


def test_a_wrong_code_is_refused_and_audited(officer):
    device, _ = _enrolled(officer)
    r = _post(officer, otp=_wrong(device))
    assert r.status_code == 401
    assert (r.json()["code"], r.json()["detail"]["field"]) == ("otp_invalid", "otp")
    assert AuditEvent.objects.filter(action="mfa.verify_failed", target_id=officer.username).exists()
    assert not ApiToken.objects.filter(user=officer).exists()


def test_a_recovery_code_works_once(officer):
    _, codes = _enrolled(officer)
    assert _post(officer, otp=codes[0].upper()).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.recovery_used", target_id=officer.username).exists()
    again = _post(officer, otp=codes[0])
    assert (again.status_code, again.json()["code"]) == (401, "otp_invalid")
    assert ApiToken.objects.filter(user=officer).count() == 1


def test_a_throttled_authenticator_is_a_429_even_for_the_right_code(officer):
    device, _ = _enrolled(officer)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5, throttling_failure_timestamp=timezone.now())
    r = _post(officer, otp=_code(device))
    assert r.status_code == 429
    body = r.json()
    assert (body["code"], body["detail"]["field"]) == ("otp_throttled", "otp")
    assert 1 <= body["detail"]["retry_after"] <= 16
    assert AuditEvent.objects.filter(action="mfa.verify_failed", target_id=officer.username, data__throttled=True).exists()
    assert not ApiToken.objects.filter(user=officer).exists()


def test_the_first_wrong_code_is_invalid_not_throttled(officer):
    """django-otp throttles a device after its first failure; the answer to that failure is still 401."""
    device, _ = _enrolled(officer)
    assert _post(officer, otp=_wrong(device)).json()["code"] == "otp_invalid"
    assert _post(officer, otp=_code(device)).json()["code"] == "otp_throttled"


def test_a_recovery_code_still_works_while_the_authenticator_is_throttled(officer):
    device, codes = _enrolled(officer)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5, throttling_failure_timestamp=timezone.now())
    assert _post(officer, otp=codes[1]).status_code == 200


def test_a_role_that_requires_a_second_factor_must_enrol_first(officer, mfa_required):
    r = _post(officer)
    assert r.status_code == 403
    body = r.json()
    assert body["code"] == "mfa_enrol_required"
    assert body["detail"] == {"field": "otp", "page": "/mfa/enrol/"}
    assert "/mfa/enrol/" in body["message"]
    assert not ApiToken.objects.filter(user=officer).exists()


def test_an_applicant_without_an_authenticator_needs_no_code(mfa_required):
    applicant = make_user("applicant", organisation=make_org())
    assert _post(applicant).status_code == 200


def test_an_applicant_who_enrolled_must_give_the_code(mfa_required):
    applicant = make_user("applicant", organisation=make_org())
    device, _ = _enrolled(applicant)
    assert _post(applicant).json()["code"] == "otp_required"
    assert _post(applicant, otp=_code(device)).status_code == 200


def test_with_the_obligation_on_an_enrolled_officer_gets_a_token_with_the_code(officer, mfa_required):
    device, _ = _enrolled(officer)
    assert _post(officer, otp=_code(device)).status_code == 200


def test_a_wrong_password_stays_a_bad_credentials_401_whatever_the_otp(officer):
    device, _ = _enrolled(officer)
    r = Client().post(
        TOKEN, {"username": officer.username, "password": "wrong-password", "otp": _code(device)}, content_type="application/json"
    )
    assert (r.status_code, r.json()["code"]) == (401, "bad_credentials")
    assert not AuditEvent.objects.filter(action__startswith="mfa.verif", target_id=officer.username).exists()


def test_the_otp_is_checked_only_after_the_lockout(officer):
    device, _ = _enrolled(officer)
    client = Client()
    for _ in range(5):
        client.post(TOKEN, {"username": officer.username, "password": "wrong-password"}, content_type="application/json")
    r = client.post(TOKEN, {"username": officer.username, "password": PASSWORD, "otp": _code(device)}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (429, "locked_out")


def test_an_overlong_otp_is_bad_input(officer):
    _enrolled(officer)
    r = _post(officer, otp="1" * 65)
    assert (r.status_code, r.json()["detail"]["field"]) == (400, "otp")


def test_the_openapi_document_shows_otp_and_its_answers():
    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/auth/token"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "otp" in doc["components"]["schemas"][ref]["properties"]
    assert "otp" not in doc["components"]["schemas"][ref].get("required", [])
    responses = op["responses"]
    assert "otp_required" in responses["401"]["description"]
    assert "otp_invalid" in responses["401"]["description"]
    assert "mfa_enrol_required" in responses["403"]["description"]
    assert "otp_throttled" in responses["429"]["description"]
    assert responses["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")

"""Passkeys beside the authenticator app: who may add one, what the endpoints answer to a bad or
foreign request, removal and the security administrator's reset, the audit, the settings, and
the script's messages in Chinese. The ceremony with a real (virtual) authenticator is in
test_browser_passkeys.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from yongke.accounts import mfa, passkeys
from yongke.accounts.actors import System
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.portal.tests.test_mfa_pages import _code
from yongke.tests.world import make_user

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
HOST = "localhost:8000"  # the default passkey origin (http://localhost:8000, settings)
BEGIN_REG = "/mfa/passkey/registration/begin/"
COMPLETE_REG = "/mfa/passkey/registration/complete/"
BEGIN_AUTH = "/mfa/passkey/authentication/begin/"
COMPLETE_AUTH = "/mfa/passkey/authentication/complete/"


@pytest.fixture
def mfa_on(settings):
    settings.YONGKE_MFA_REQUIRED = True


def _enrolled(role: str = "officer"):
    user = make_user(role, programme="*") if role == "officer" else make_user(role)
    device = mfa.totp_begin(actor=System("test"), user=user)
    mfa.totp_confirm(actor=System("test"), user=user, code=_code(device))
    return user, TOTPDevice.objects.get(user=user, confirmed=True)


def _credential(user, name: str = "笔记本指纹", raw: bytes = b"cred-1") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(user=user, name=name, credential_id=raw, public_key=b"\x01" * 77, confirmed=True)


def _verified_client(client, user, device):
    client.force_login(user, backend=BACKEND)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the enrolment's code was this time step's
    r = client.post("/mfa/verify/", {"code": _code(device), "next": "/"})
    assert r.status_code == 302, r.content
    return client


def _post_json(client, url, body=None, raw: bytes | None = None):
    return client.post(url, data=raw if raw is not None else json.dumps(body or {}), content_type="application/json", HTTP_HOST=HOST)


# --------------------------------------------------------------------------- who may add one


def test_a_passkey_is_added_only_beside_the_authenticator_app(client):
    expert = make_user("expert")
    client.force_login(expert, backend=BACKEND)
    r = _post_json(client, BEGIN_REG)
    assert r.status_code == 400
    assert r.json()["code"] == "authenticator_first"
    assert "请先绑定验证器应用" in r.json()["detail"]
    assert "otp_webauthn_register_state" not in client.session
    with pytest.raises(BadInput):
        passkeys.may_register(actor=expert, user=expert)


def test_a_signed_in_user_who_has_not_given_the_code_cannot_add_a_passkey(client, mfa_on):
    officer, _device = _enrolled()
    client.force_login(officer, backend=BACKEND)  # the password only
    r = _post_json(client, BEGIN_REG)
    assert r.status_code == 302
    assert r["Location"].startswith("/mfa/verify/")
    assert "otp_webauthn_register_state" not in client.session


def test_a_verified_user_gets_the_registration_options_for_this_site(client, mfa_on):
    officer, device = _enrolled()
    _verified_client(client, officer, device)
    r = _post_json(client, BEGIN_REG)
    assert r.status_code == 200
    options = r.json()
    assert options["rp"] == {"id": "localhost", "name": "邕科 Yongke"}
    assert options["user"]["name"] == officer.username
    assert options["challenge"]
    assert "otp_webauthn_register_state" in client.session


def test_a_registration_answer_that_is_not_one_is_refused_audited_and_stores_nothing(client, mfa_on):
    officer, device = _enrolled()
    _verified_client(client, officer, device)
    assert _post_json(client, BEGIN_REG).status_code == 200
    r = _post_json(client, COMPLETE_REG, {"id": "x", "rawId": "x", "response": {}, "type": "public-key"})
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]
    assert WebAuthnCredential.objects.filter(user=officer).count() == 0
    assert AuditEvent.objects.filter(action="mfa.enrol_failed", target_id=officer.username, data__device="passkey").exists()
    # The challenge was used up: the same answer again finds no ceremony under way.
    again = _post_json(client, COMPLETE_REG, {"id": "x"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_state"


# --------------------------------------------------------------------------- verification


def test_after_the_password_the_passkey_is_asked_for_and_a_bad_answer_is_refused(client, mfa_on):
    officer, _device = _enrolled()
    _credential(officer)
    client.force_login(officer, backend=BACKEND)
    page = client.get("/mfa/verify/", HTTP_HOST=HOST)
    assert page.status_code == 200
    assert b"passkey-verification-button" in page.content
    assert b'id="otp_webauthn_config"' in page.content
    r = _post_json(client, BEGIN_AUTH)
    assert r.status_code == 200
    allowed = r.json()["allowCredentials"]
    assert len(allowed) == 1
    assert allowed[0]["type"] == "public-key"
    for body in (b"{not json", b"[]", json.dumps({"id": "AAAA", "rawId": "AAAA", "response": {"clientDataJSON": 5}}).encode()):
        _post_json(client, BEGIN_AUTH)
        bad = _post_json(client, COMPLETE_AUTH, raw=body)
        assert 400 <= bad.status_code < 500, (body, bad.status_code)
        assert "detail" in bad.json()
    assert AuditEvent.objects.filter(action="mfa.verify_failed", target_id=officer.username, data__device="passkey").count() == 3
    assert client.get("/officer/")["Location"].startswith("/mfa/verify/")  # still not verified


def test_the_verify_page_offers_no_passkey_where_the_browser_cannot_use_one(client, mfa_on):
    officer, _device = _enrolled()
    _credential(officer)
    client.force_login(officer, backend=BACKEND)
    page = client.get("/mfa/verify/", HTTP_HOST="127.0.0.1")  # an IP address is no passkey origin
    assert b"passkey-verification-button" not in page.content
    plain, _d = _enrolled("finance")
    client.force_login(plain, backend=BACKEND)
    assert b"passkey-verification-button" not in client.get("/mfa/verify/", HTTP_HOST=HOST).content


def test_no_passkey_sign_in_without_the_password(client):
    r = _post_json(client, BEGIN_AUTH)
    assert r.status_code == 403
    assert r.json()["code"] == "passwordless_login_disabled"
    assert "otp_webauthn_authentication_state" not in client.session


# --------------------------------------------------------------------------- the list, removal, reset


def test_the_status_page_lists_ones_own_passkeys_and_removes_one(client, mfa_on):
    officer, device = _enrolled()
    mine = _credential(officer, "办公室安全密钥")
    other, _d = _enrolled("finance")
    theirs = _credential(other, "别人的密钥", raw=b"cred-2")
    _verified_client(client, officer, device)
    page = client.get("/mfa/", HTTP_HOST=HOST)
    assert "办公室安全密钥" in page.content.decode()
    assert "别人的密钥" not in page.content.decode()
    assert b"passkey-register-button" in page.content
    # Another user's passkey cannot be removed by naming its id.
    r = client.post("/mfa/passkey/remove/", {"credential": theirs.pk}, HTTP_HOST=HOST)
    assert r.status_code == 302
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    r = client.post("/mfa/passkey/remove/", {"credential": mine.pk}, HTTP_HOST=HOST)
    assert r.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed", target_id=officer.username, data__name="办公室安全密钥").exists()


def test_removal_names_the_field_and_touches_nobody_elses():
    officer, _device = _enrolled()
    other = make_user("expert")
    theirs = _credential(other)
    with pytest.raises(BadInput) as e:
        passkeys.remove(actor=officer, user=officer, credential_id="abc")
    assert e.value.detail["field"] == "credential"
    with pytest.raises(NotFound):
        passkeys.remove(actor=officer, user=officer, credential_id=theirs.pk)
    with pytest.raises(PermissionDenied):
        passkeys.remove(actor=officer, user=other, credential_id=theirs.pk)
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_the_security_administrators_reset_removes_passkeys_too():
    officer, _device = _enrolled()
    _credential(officer)
    assert mfa.mfa_reset(actor=make_user("security"), user=officer) == 3  # authenticator, recovery codes, passkey
    assert not passkeys.has_passkey(officer)


def test_codes_that_wait_out_their_throttle_say_so_though_a_passkey_exists():
    from django.utils import timezone
    from django_otp.plugins.otp_static.models import StaticDevice

    officer, _device = _enrolled()
    _credential(officer)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=officer).update(throttling_failure_count=10, throttling_failure_timestamp=timezone.now())
    assert mfa.code_throttled(officer)  # a passkey has no throttle, and is no code


# --------------------------------------------------------------------------- settings and messages


def _settings_in_subprocess(env: dict[str, str]) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.OTP_WEBAUTHN_ALLOWED_ORIGINS, s.OTP_WEBAUTHN_RP_ID]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YONGKE_WEBAUTHN") and k != "YONGKE_SITE_URL"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "yongke.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_passkey_origin_follows_the_site_address():
    assert _settings_in_subprocess({}) == [["http://localhost:8000"], "localhost"]
    assert _settings_in_subprocess({"YONGKE_SITE_URL": "https://kj.example.gov.cn"}) == [["https://kj.example.gov.cn"], "kj.example.gov.cn"]
    listed = {
        "YONGKE_WEBAUTHN_ORIGINS": "https://kj.example.gov.cn,https://www.kj.example.gov.cn/",
        "YONGKE_WEBAUTHN_RP_ID": "kj.example.gov.cn",
    }
    assert _settings_in_subprocess(listed) == [["https://kj.example.gov.cn", "https://www.kj.example.gov.cn"], "kj.example.gov.cn"]


def test_the_passkey_scripts_speak_chinese(client):
    r = client.get("/mfa/passkey/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    text = r.content.decode()  # the catalogue's strings are escaped as JSON is
    assert f'"Verify with Passkey": {json.dumps("使用通行密钥验证")}' in text
    assert f'"Registration successful!": {json.dumps("已添加通行密钥。")}' in text

"""The second factor in the portal: enrolment for a role that needs it, verification, recovery codes."""

from __future__ import annotations

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.audit.models import AuditEvent
from yongke.tests.world import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_on(settings):
    settings.YONGKE_MFA_REQUIRED = True


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_officer_without_device_is_sent_to_enrolment_then_verified(client, mfa_on):
    officer = make_user("officer", programme="*")
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    r = client.get("/officer/")
    assert r.status_code == 302
    assert r["Location"].startswith("/mfa/enrol/")
    page = client.get("/mfa/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    r = client.post("/mfa/enrol/", {"code": _code(device), "next": "/officer/"})
    assert r.status_code == 200
    assert len(r.context["codes"]) == 10
    assert AuditEvent.objects.filter(action="mfa.enrolled", target_id=officer.username).exists()
    assert client.get("/officer/").status_code != 302


def test_wrong_code_refused_and_audited_recovery_single_use(client, mfa_on):
    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=System("test"), user=officer)
    _, codes = mfa.totp_confirm(actor=System("test"), user=officer, code=_code(device))
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/officer/")["Location"].startswith("/mfa/verify/")
    assert client.post("/mfa/verify/", {"code": "000000"}).status_code == 400
    assert AuditEvent.objects.filter(action="mfa.verify_failed", target_id=officer.username).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert client.post("/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert AuditEvent.objects.filter(action="mfa.recovery_used").exists()
    client.logout()
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post("/mfa/verify/", {"code": codes[0]}).status_code == 400


def test_only_security_admin_resets(mfa_on):
    from yongke.core.errors import PermissionDenied

    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=System("test"), user=officer)
    mfa.totp_confirm(actor=System("test"), user=officer, code=_code(device))
    with pytest.raises(PermissionDenied):
        mfa.mfa_reset(actor=make_user("sysadmin"), user=officer)
    assert mfa.mfa_reset(actor=make_user("security"), user=officer) == 2
    assert not mfa.has_device(officer)
    assert AuditEvent.objects.filter(action="mfa.reset", target_id=officer.username).exists()


def test_a_wrong_enrolment_code_makes_the_device_wait_and_says_so(mfa_on):
    from yongke.core.errors import BadInput

    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=officer, user=officer)
    with pytest.raises(BadInput) as wrong:
        mfa.totp_confirm(actor=officer, user=officer, code="000000")
    assert "验证码错误" in wrong.value.message
    with pytest.raises(BadInput) as throttled:  # the right code at once: the device still waits
        mfa.totp_confirm(actor=officer, user=officer, code=_code(device))
    assert "错误次数过多" in throttled.value.message
    assert throttled.value.detail["field"] == "code"
    assert not mfa.has_device(officer)


def test_every_public_page_answers_a_signed_in_user_before_the_second_factor(client, mfa_on):
    """What anybody may read stays readable between the password and the code; the rest waits."""
    from django.test import Client
    from django.urls import URLPattern, URLResolver, get_resolver

    from yongke.tests.world import make_guide

    make_guide()

    def routes(patterns=None, prefix=""):
        for p in get_resolver().url_patterns if patterns is None else patterns:
            if isinstance(p, URLResolver):
                yield from routes(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=System("test"), user=officer)
    mfa.totp_confirm(actor=System("test"), user=officer, code=_code(device))
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    anonymous = Client()
    public = []
    for route in routes():
        if "<" in route or route.startswith(("^", "static", "api/", "admin/", "accounts/logout", "accounts/login")):
            continue
        if anonymous.get("/" + route).status_code == 200:
            public.append(route)
            assert client.get("/" + route).status_code == 200, route
    assert {"", "match/", "publicity/", "accepted/", "register/", "accounts/password-reset/"} <= set(public)
    assert client.get("/officer/")["Location"].startswith("/mfa/verify/")

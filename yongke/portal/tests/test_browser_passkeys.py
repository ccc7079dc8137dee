"""Passkeys in a real browser, with Chromium's virtual authenticator (the DevTools WebAuthn
domain) standing in for a fingerprint reader: an officer who has the authenticator app adds a
passkey on 第二因素, signs out, signs in with the password and verifies with the passkey instead
of a code; the library's real ceremony runs end to end (challenge, signature, origin, relying
party), and each step is audited."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Page, expect

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.audit.models import AuditEvent
from yongke.portal.tests.conftest import portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures
from yongke.portal.tests.test_mfa_pages import _code


def test_an_officer_adds_a_passkey_and_verifies_with_it(page: Page, live_server, transactional_db, settings):  # noqa: F811
    settings.YONGKE_MFA_REQUIRED = True
    # The live server's own origin (http://localhost:<port>): browsers take passkeys on localhost.
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    assert live_server.url.startswith("http://localhost:")
    portal_world()
    officer = User.objects.get(username="officer")
    pending = mfa.totp_begin(actor=System("test"), user=officer)
    mfa.totp_confirm(actor=System("test"), user=officer, code=_code(pending))
    device = TOTPDevice.objects.get(user=officer, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    sign_in(page, "officer")
    expect(page).to_have_url(re.compile(r"/mfa/verify/"))
    expect(page.locator("#passkey-verification-button")).to_have_count(0)  # no passkey yet
    page.fill("#id_code", _code(device))
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/mfa/verify/"))

    page.goto("/mfa/")
    expect(page.locator(".passkeys-none")).to_be_visible()
    page.click("#passkey-register-button")
    expect(page.locator("table.passkeys tbody tr")).to_have_count(1)  # the page reloads with it
    shot(page, "mfa-03-passkey-added")
    axe(page, live_server)
    credential = WebAuthnCredential.objects.get(user=officer)
    expect(page.locator("table.passkeys tbody td").first).to_have_text(credential.name)
    assert credential.name == "通行密钥 1"  # the virtual authenticator gives no name of its own
    assert AuditEvent.objects.filter(action="mfa.enrolled", target_id="officer", to_state="passkey").exists()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1
    sign_out(page)

    sign_in(page, "officer")
    expect(page).to_have_url(re.compile(r"/mfa/verify/"))
    expect(page.locator("#passkey-verification-button")).to_be_visible()
    shot(page, "mfa-04-verify-with-passkey")
    axe(page, live_server)
    page.click("#passkey-verification-button")
    # Where the sign-in was going (/home/, which sends an officer on): verified, the officer's pages answer.
    expect(page).to_have_url(re.compile(r"/officer/$"))
    used = AuditEvent.objects.filter(action="mfa.verified", target_id="officer", data__device="passkey")
    assert used.count() == 1
    assert used.get().data["credential"] == credential.pk
    credential.refresh_from_db()
    assert credential.last_used_at is not None

    # Removed, it is offered no more. The session was verified with it, so it is verified no more:
    # the code is asked for at once.
    page.goto("/mfa/")
    page.once("dialog", lambda d: d.accept())
    page.click("table.passkeys button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("已删除通行密钥")
    expect(page).to_have_url(re.compile(r"/mfa/verify/"))
    expect(page.locator("#passkey-verification-button")).to_have_count(0)
    assert not WebAuthnCredential.objects.filter(user=officer).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.fill("#id_code", _code(device))
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/mfa/$"))
    expect(page.locator(".passkeys-none")).to_be_visible()

"""The second factor in a real browser: an officer (a role that must use one) signs in, is sent
to bind an authenticator, types the secret's code, keeps the recovery codes, works; signs in
again and is asked for a code, a wrong one refused, a recovery code accepted once."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Page, expect

from yongke.portal.tests.conftest import portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures


def _code(secret: str) -> str:
    from django_otp.oath import TOTP

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_an_officer_binds_an_authenticator_and_signs_in_with_it(page: Page, live_server, transactional_db, settings):  # noqa: F811
    settings.YONGKE_MFA_REQUIRED = True
    portal_world()
    sign_in(page, "officer")
    expect(page).to_have_url(re.compile(r"/mfa/enrol/"))
    expect(page.locator("h1")).to_contain_text("绑定验证器")
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "mfa-01-enrol")
    axe(page, live_server)
    # Anything else waits for the second factor.
    page.goto("/officer/")
    expect(page).to_have_url(re.compile(r"/mfa/enrol/\?next=%2Fofficer%2F"))

    page.fill("#id_code", "000000")
    page.click("main form button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("验证码错误")
    page.wait_for_timeout(1500)  # a failure makes the device wait a second before the next code
    page.fill("#id_code", _code(page.locator("#secret").inner_text()))
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("恢复码")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shot(page, "mfa-02-recovery-codes")
    axe(page, live_server)
    page.click("text=我已保存，继续")
    expect(page).to_have_url(re.compile(r"/officer/"))
    sign_out(page)

    sign_in(page, "officer")
    expect(page).to_have_url(re.compile(r"/mfa/verify/"))
    axe(page, live_server)
    page.fill("#id_code", "123456")
    page.click("main form button[type=submit]")
    expect(page.locator("[role=alert]")).to_be_visible()
    page.fill("#id_code", codes[0])
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/mfa/"))
    page.goto("/mfa/")
    expect(page.locator("main")).to_contain_text("剩余 9 个恢复码")
    sign_out(page)

    sign_in(page, "officer")
    page.fill("#id_code", codes[0])  # used: refused
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/mfa/verify/"))
    expect(page.locator("[role=alert]")).to_be_visible()

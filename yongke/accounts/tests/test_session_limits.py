"""Sessions end after idle minutes (staff sooner than applicants) and after an absolute
lifetime; private responses and API responses are never cached; production headers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client, override_settings

from yongke.accounts.session import KEY
from yongke.testing import make_org, make_user

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _at(minutes: float):
    return time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False)


def _home_status(c: Client) -> int:
    return c.get("/notifications/").status_code


def test_an_officer_idle_for_31_minutes_is_signed_out_with_a_message_on_the_login_page():
    c = _signed_in(make_user("officer", programme="*"))
    with _at(0):
        assert _home_status(c) == 200
    with _at(29):
        assert _home_status(c) == 200  # activity moves the idle clock on
    with _at(58):
        assert _home_status(c) == 200
    with _at(89.5):
        r = c.get("/notifications/")
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in c.session
    page = c.get(r["Location"])
    assert "您已长时间未操作" in page.content.decode()


def test_an_applicant_keeps_the_session_for_two_hours_idle_but_not_longer():
    org = make_org()
    c = _signed_in(make_user("applicant", organisation=org))
    with _at(0):
        assert _home_status(c) == 200
    with _at(119):
        assert _home_status(c) == 200
    with _at(240):
        assert _home_status(c) == 302


@override_settings(YONGKE_SESSION_IDLE_MINUTES=5)
def test_the_idle_limit_comes_from_the_settings():
    c = _signed_in(make_user("finance"))
    with _at(0):
        assert _home_status(c) == 200
    with _at(6):
        assert _home_status(c) == 302


def test_the_absolute_lifetime_ends_an_active_session():
    c = _signed_in(make_user("officer", programme="*"))
    for minutes in range(0, 12 * 60, 20):  # busy all day, never idle
        with _at(minutes):
            assert _home_status(c) == 200, minutes
    with _at(12 * 60 + 1):
        r = c.get("/notifications/")
    assert r.status_code == 302
    assert any("最长有效时间" in str(m) for m in get_messages(r.wsgi_request))


def test_an_htmx_request_of_an_idle_session_is_redirected_by_htmx():
    c = _signed_in(make_user("officer", programme="*"))
    with _at(0):
        c.get("/notifications/")
    with _at(45):
        r = c.get("/notifications/", headers={"HX-Request": "true"})
    assert r.status_code == 204
    assert r["HX-Redirect"].startswith("/accounts/login/")


def test_a_new_user_on_the_same_browser_starts_a_new_clock():
    c = _signed_in(make_user("officer", programme="*"))
    with _at(0):
        c.get("/notifications/")
    other = make_user("auditor")
    c.force_login(other)
    with _at(20):
        assert _home_status(c) == 200
        assert c.session[KEY]["user"] == other.pk  # (the session's expiry is in travelled time)


def test_a_signed_in_page_and_an_api_response_are_not_stored():
    c = _signed_in(make_user("officer", programme="*"))
    page = c.get("/notifications/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page["Pragma"] == "no-cache"
    api = Client().get("/api/v1/openapi.json")
    assert api.status_code == 200
    assert api["Cache-Control"] == "no-store"
    assert api["Pragma"] == "no-cache"


def test_a_public_page_keeps_its_caching():
    r = Client().get("/match/")
    assert r.status_code == 200
    assert "no-store" not in r.get("Cache-Control", "")
    assert "Pragma" not in r


@override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    DEBUG=False,
)
def test_production_responses_carry_hsts_csp_and_secure_cookies():
    plain = Client().get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    r = Client().get("/accounts/login/", secure=True)
    assert r.status_code == 200
    assert r["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = r["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]  # only style="" attributes are allowed inline
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"
    cookie = r.cookies["csrftoken"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"

"""Token and session authentication, CSRF for session writes, and /me."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from yongke.accounts.models import ApiToken

A = "/api/v1"


def test_a_token_is_issued_for_a_username_and_password_and_works(api, world):
    r = api.post(f"{A}/auth/token", {"username": world.users["recommender"].username, "password": "pw-Test-1234", "name": "脚本"})
    assert r.status_code == 200, r.content
    token = r.json()["token"]
    me = Client().get(f"{A}/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["roles"] == ["recommender"]
    assert me["scope"]["units"] == ["450103"]


def test_a_wrong_password_is_a_401(api, world):
    r = api.post(f"{A}/auth/token", {"username": world.users["officer"].username, "password": "wrong"})
    assert r.status_code == 401
    assert r.json()["code"] == "bad_credentials"


def test_a_revoked_token_no_longer_works(api, world):
    ApiToken.objects.filter(user=world.users["auditor"]).update(revoked_at=timezone.now())
    assert api.as_("auditor").get(f"{A}/me").status_code == 401


def test_the_browser_session_works_and_needs_csrf_for_writes(world, db):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["applicant"])
    assert browser.get(f"{A}/me").json()["username"] == world.users["applicant"].username
    payload = {"lock_version": world.draft_a.lock_version, "summary": "会话修改"}
    refused = browser.patch(f"{A}/applications/{world.draft_a.pk}", payload, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    browser.get(f"{A}/docs")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    ok = browser.patch(f"{A}/applications/{world.draft_a.pk}", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200
    assert ok.json()["summary"] == "会话修改"


def test_a_token_needs_no_csrf(world, db):
    client = Client(enforce_csrf_checks=True)
    r = client.patch(
        f"{A}/applications/{world.draft_a.pk}",
        {"lock_version": world.draft_a.lock_version, "summary": "令牌修改"},
        content_type="application/json",
        **world.headers("applicant"),
    )
    assert r.status_code == 200


def test_an_anonymous_post_is_told_to_authenticate_not_about_csrf(world, db):
    r = Client(enforce_csrf_checks=True).post(f"{A}/applications", {}, content_type="application/json")
    assert r.status_code == 401


def test_me_lists_roles_and_scopes(api, world):
    me = api.as_("org_admin").get(f"{A}/me").json()
    assert me["roles"] == ["org_admin"]
    assert me["scope"]["organisations"] == [world.org.pk] == me["scope"]["admin_of"]
    assert api.as_("sysadmin").get(f"{A}/me").json()["scope"]["sees_everything"] is False  # 三权分立: only the system does

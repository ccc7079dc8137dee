"""API tokens: they expire, are limited per user, listed and revoked (API, portal, CLI), revoked
on a role change, and their issue, revocation and use are audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from yongke.accounts.models import ApiToken
from yongke.accounts.services import token_create, user_add
from yongke.audit.models import AuditEvent
from yongke.cli.main import run
from yongke.core.errors import Refused
from yongke.testing import PASSWORD, TEST, make_org, make_user

pytestmark = pytest.mark.django_db
ME = "/api/v1/me"


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def user():
    return make_user("applicant", organisation=make_org())


def test_a_token_expires_after_the_configured_days(user, settings):
    settings.YONGKE_TOKEN_DAYS = 30
    key = token_create(actor=user, user=user, name="脚本")
    token = ApiToken.objects.get(user=user)
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert Client().get(ME, **_bearer(key)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = Client().get(ME, **_bearer(key))
    assert r.status_code == 401
    assert r.json()["code"] == "token_expired"
    assert "过期" in r.json()["message"]


def test_a_revoked_token_is_refused_saying_so(user):
    key = token_create(actor=user, user=user, name="脚本")
    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    r = Client().get(ME, **_bearer(key))
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")


def test_an_unknown_token_is_a_plain_401():
    assert Client().get(ME, **_bearer("yk_never-issued")).status_code == 401


def test_issuing_beyond_the_limit_is_refused(user, settings):
    settings.YONGKE_TOKENS_PER_USER = 2
    token_create(actor=user, user=user, name="a")
    token_create(actor=user, user=user, name="b")
    with pytest.raises(Refused) as e:
        token_create(actor=user, user=user, name="c")
    assert e.value.code == "token_limit"
    assert ApiToken.objects.filter(user=user).count() == 2


def test_the_token_endpoint_answers_the_limit_with_422(user, settings):
    settings.YONGKE_TOKENS_PER_USER = 1
    token_create(actor=user, user=user, name="a")
    r = Client().post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (422, "token_limit")


def test_issue_is_audited(user):
    token_create(actor=user, user=user, name="脚本")
    event = AuditEvent.objects.get(action="token_create")
    assert event.data["user"] == user.username


def test_a_use_is_audited_once_per_ten_minutes_with_the_address(user):
    key = token_create(actor=user, user=user, name="脚本")
    for _ in range(3):
        Client().get(ME, REMOTE_ADDR="10.0.0.7", **_bearer(key))
    token = ApiToken.objects.get(user=user)
    assert token.last_used_address == "10.0.0.7"
    assert AuditEvent.objects.filter(action="token_use").count() == 1
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=11))
    Client().get(ME, REMOTE_ADDR="10.0.0.7", **_bearer(key))
    assert AuditEvent.objects.filter(action="token_use").count() == 2


def test_the_api_lists_and_revokes_the_callers_tokens(user):
    key = token_create(actor=user, user=user, name="一")
    token_create(actor=user, user=user, name="二")
    listed = Client().get("/api/v1/auth/tokens", **_bearer(key)).json()
    assert {t["name"] for t in listed} == {"一", "二"}
    assert all("key_hash" not in t for t in listed)
    other = ApiToken.objects.get(name="二")
    r = Client().post(f"/api/v1/auth/tokens/{other.pk}/revoke", **_bearer(key))
    assert r.json()["state"] == "revoked"
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert AuditEvent.objects.filter(action="token_revoke", target_id=str(other.pk)).exists()


def test_the_api_does_not_revoke_someone_elses_token(user):
    key = token_create(actor=user, user=user, name="mine")
    stranger = make_user("applicant", organisation=make_org())
    token_create(actor=stranger, user=stranger, name="theirs")
    theirs = ApiToken.objects.get(user=stranger)
    assert Client().post(f"/api/v1/auth/tokens/{theirs.pk}/revoke", **_bearer(key)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_role_grant_revokes_the_tokens(user):
    key = token_create(actor=user, user=user, name="脚本")
    user_add(actor=TEST, username=user.username, role="expert")
    assert Client().get(ME, **_bearer(key)).json()["code"] == "token_revoked"


def test_a_role_removal_revokes_the_tokens(user):
    from yongke.accounts.services import role_remove

    key = token_create(actor=user, user=user, name="脚本")
    assert role_remove(actor=TEST, user=user, role="applicant") == 1
    assert Client().get(ME, **_bearer(key)).status_code == 401


def test_the_portal_security_page_lists_and_revokes(client, user):
    token_create(actor=user, user=user, name="我的脚本")
    client.force_login(user)
    assert "我的脚本" in client.get("/account/security/").content.decode()
    token = ApiToken.objects.get(user=user)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_cli_lists_and_revokes(user, capsys):
    token_create(actor=user, user=user, name="a")
    token_create(actor=user, user=user, name="b")
    capsys.readouterr()
    assert run(["token", "list", "--user", user.username]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["state"] for t in out["tokens"]] == ["active", "active"]
    first = out["tokens"][0]["id"]
    assert run(["token", "revoke", "--id", str(first)]) == 0
    assert ApiToken.objects.get(pk=first).revoked_at is not None
    capsys.readouterr()
    assert run(["token", "revoke", "--user", user.username, "--all"]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_count"] == 1
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_the_cli_refuses_a_revoke_without_a_target(user, capsys):
    assert run(["token", "revoke", "--user", user.username]) == 2
    assert run(["token", "revoke", "--id", "999999"]) == 2

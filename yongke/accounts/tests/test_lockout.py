"""Sign-in lockout (django-axes): per account and per address, on the portal and the token
endpoint, a Chinese 429, a cool-off that grows, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from yongke.accounts.lockout import cool_off, lockouts_in_last_day
from yongke.audit.models import AuditEvent
from yongke.testing import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def user():
    return make_user("applicant", organisation=make_org())


def _fail(client: Client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "wrong-password"}, **extra)


def test_five_failures_lock_the_account_even_with_the_right_password(client, user):
    _fail(client, user.username, 5)
    r = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert r.status_code == 429
    assert "登录失败次数过多" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(client, user):
    _fail(client, user.username, 4)
    r = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302


def test_the_account_is_locked_from_another_address_too(user):
    _fail(Client(REMOTE_ADDR="10.0.0.1"), user.username, 5)
    r = Client(REMOTE_ADDR="10.0.0.2").post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert r.status_code == 429


def test_an_address_trying_many_accounts_is_locked(user):
    attacker = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        attacker.post(LOGIN, {"username": f"guess{n}", "password": "x"})
    assert attacker.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.10").post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 302


def test_the_token_endpoint_is_locked_with_a_json_429(user):
    api = Client()
    for _ in range(5):
        api.post(TOKEN, {"username": user.username, "password": "wrong-password"}, content_type="application/json")
    r = api.post(TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "locked_out"
    assert "登录失败次数过多" in body["message"]
    assert "token" not in body


def test_the_portal_and_the_api_count_together(client, user):
    _fail(client, user.username, 5)
    r = Client().post(TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429


def test_a_lockout_is_audited_once(client, user):
    _fail(client, user.username, 7)
    events = AuditEvent.objects.filter(action="login_locked_out")
    assert events.count() == 1
    assert events.get().data["username"] == user.username


def test_the_cool_off_doubles_with_each_lockout_of_the_day(settings):
    from axes.models import AccessFailureLog
    from django.utils import timezone

    settings.YONGKE_LOCKOUT_MINUTES = 15

    class Req:
        axes_ip_address = "10.1.1.1"
        yongke_axes_username = "li"

    assert cool_off(Req()) == dt.timedelta(minutes=15)
    for _ in range(3):
        AccessFailureLog.objects.create(
            username="li", ip_address="10.2.2.2", user_agent="x", http_accept="x", path_info="/", locked_out=True
        )
    assert lockouts_in_last_day(username="li", ip_address=None) == 3
    assert cool_off(Req()) == dt.timedelta(minutes=60)
    AccessFailureLog.objects.update(attempt_time=timezone.now() - dt.timedelta(days=2))
    assert cool_off(Req()) == dt.timedelta(minutes=15)
    for _ in range(20):
        AccessFailureLog.objects.create(
            username="li", ip_address="10.2.2.2", user_agent="x", http_accept="x", path_info="/", locked_out=True
        )
    assert cool_off(Req()) == dt.timedelta(days=1)

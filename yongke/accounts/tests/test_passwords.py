"""Passwords: the validators everywhere a password is set, change and reset through Django's
views (tokens revoked, the current session kept), 三权分立 of the administrator roles."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client

from yongke.accounts.models import ApiToken
from yongke.accounts.services import token_create, user_add
from yongke.audit.models import AuditEvent
from yongke.cli.main import run
from yongke.core.errors import BadInput, Refused
from yongke.testing import PASSWORD, TEST, make_org, make_user

pytestmark = pytest.mark.django_db
STRONG = "Lichee-harbour-27"


@pytest.mark.parametrize("weak", ["12345678", "password", "1", "1234567890123", "zhangsan-01"])
def test_user_add_refuses_a_weak_password(weak):
    with pytest.raises(BadInput) as e:
        user_add(actor=TEST, username="zhangsan", password=weak, role="expert")
    assert e.value.detail["field"] == "password"
    assert " / " in e.value.message  # Chinese, then English


def test_the_message_is_chinese_then_english():
    with pytest.raises(BadInput) as e:
        user_add(actor=TEST, username="zhangsan", password="12345678", role="expert")
    assert "密码" in e.value.message.split(" / ")[0]
    assert "password" in e.value.message.split(" / ")[1].lower()


def test_a_strong_password_and_a_bulk_hash_are_accepted():
    assert user_add(actor=TEST, username="li", password=STRONG, role="expert").check_password(STRONG)
    hashed = user_add(actor=TEST, username="wang", password_hash=make_password("1"), role="expert")
    assert hashed.check_password("1")


def test_the_cli_refuses_a_weak_password_with_exit_2(capsys):
    assert run(["user", "add", "--username", "zhao", "--role", "expert", "--password", "1"]) == 2
    err = capsys.readouterr().err
    assert "密码" in err
    assert "Traceback" not in err


def test_the_registration_page_shows_the_validators_in_chinese(client, db):
    page = client.post("/register/", {"username": "someone", "password1": "1234567890", "password2": "1234567890"})
    html = page.content.decode()
    assert "这个密码太常见了" in html or "密码全是数字" in html


# --------------------------------------------------------------------------- change and reset


def test_password_change_revokes_tokens_and_keeps_the_session(client):
    user = make_user("applicant", organisation=make_org())
    key = token_create(actor=user, user=user, name="脚本")
    other = Client()
    other.force_login(user)
    client.force_login(user)
    r = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert ApiToken.objects.get(user=user).revoked_reason == "password_change"
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/account/security/").status_code == 200  # this session stays
    assert other.get("/account/security/").status_code == 302  # the other one ends
    assert AuditEvent.objects.filter(action="password_change", target_id=str(user.pk)).exists()


def test_password_change_refuses_a_weak_password_in_chinese(client):
    user = make_user("applicant", organisation=make_org())
    client.force_login(user)
    html = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    ).content.decode()
    assert "密码" in html
    assert "太短" in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_by_an_email_link(client):
    user = make_user("applicant", organisation=make_org())
    user.email = "li@example.com"
    user.save()
    client.post("/accounts/password-reset/", {"email": "li@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    r = client.post(form_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert AuditEvent.objects.filter(action="password_reset", target_id=str(user.pk)).exists()


def test_the_pages_link_to_change_and_reset(client):
    assert "/accounts/password-reset/" in client.get("/accounts/login/").content.decode()


# --------------------------------------------------------------------------- 三权分立


@pytest.mark.parametrize(
    ("first", "second"), [("sysadmin", "auditor"), ("security", "sysadmin"), ("auditor", "expert"), ("finance", "security")]
)
def test_admin_roles_are_held_alone(first, second):
    user_add(actor=TEST, username="x", password=STRONG, role=first)
    with pytest.raises(Refused):
        user_add(actor=TEST, username="x", role=second)


def test_workflow_roles_combine():
    user_add(actor=TEST, username="x", password=STRONG, role="expert")
    assert user_add(actor=TEST, username="x", role="finance").role_grants.count() == 2


def test_a_sysadmin_is_staff_but_not_superuser():
    user = user_add(actor=TEST, username="root", password=STRONG, role="sysadmin")
    assert user.is_staff
    assert not user.is_superuser


def test_only_a_sysadmin_grants_roles():
    from yongke.core.errors import PermissionDenied

    security = user_add(actor=TEST, username="sec", password=STRONG, role="security")
    with pytest.raises(PermissionDenied):
        user_add(actor=security, username="y", password=STRONG, role="expert")
    admin = user_add(actor=TEST, username="root", password=STRONG, role="sysadmin")
    user_add(actor=admin, username="y", password=STRONG, role="expert")
    event = AuditEvent.objects.filter(action="user_add", actor_name="root").get()
    assert event.data["role"] == "expert"
    assert "scope" in event.data

"""A role changed in the Django admin revokes the account's API tokens, exactly as the
`role_grant` / `role_remove` services do (`tokens_revoke` in the audit log, reason role_change):
a grant added, changed or deleted in the role-grant admin, or deleted from the user's page."""

from __future__ import annotations

import pytest
from django.test import Client

from yongke.accounts.models import ApiToken, Role, RoleGrant
from yongke.accounts.services import token_create
from yongke.audit.models import AuditEvent
from yongke.testing import make_org, make_user

pytestmark = pytest.mark.django_db


def _sysadmin() -> tuple[Client, object]:
    admin_user = make_user("sysadmin")
    client = Client()
    client.force_login(admin_user)
    return client, admin_user


def _with_tokens(user, n: int = 2) -> None:
    for i in range(n):
        token_create(actor=user, user=user, name=f"脚本{i}")


def _active(user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def _revoked_as_role_change(user, by) -> bool:
    tokens = ApiToken.objects.filter(user=user)
    entry = AuditEvent.objects.filter(action="tokens_revoke", target_type="user", target_id=str(user.pk)).last()
    return (
        all(t.revoked_reason == "role_change" for t in tokens)
        and entry is not None
        and entry.actor_name == by.username
        and entry.data["reason"] == "role_change"
    )


def test_a_grant_added_in_the_admin_revokes_the_accounts_tokens():
    client, admin_user = _sysadmin()
    officer = make_user("officer", programme="1")
    _with_tokens(officer)
    response = client.post("/admin/accounts/rolegrant/add/", {"user": officer.pk, "role": Role.OFFICER, "programme": "2", "unit": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RoleGrant.objects.filter(user=officer, programme="2").exists()
    assert _active(officer) == 0
    assert _revoked_as_role_change(officer, admin_user)


def test_a_grant_changed_in_the_admin_revokes_the_tokens_of_both_accounts():
    client, admin_user = _sysadmin()
    first, second = make_user("officer", programme="1"), make_user("expert")
    _with_tokens(first)
    _with_tokens(second)
    grant = RoleGrant.objects.get(user=first)
    url = f"/admin/accounts/rolegrant/{grant.pk}/change/"
    response = client.post(url, {"user": first.pk, "role": Role.OFFICER, "programme": "3", "unit": ""})
    assert response.status_code == 302
    assert RoleGrant.objects.get(pk=grant.pk).programme == "3"
    assert _active(first) == 0
    assert _active(second) == 2
    _with_tokens(first, 1)
    response = client.post(url, {"user": second.pk, "role": Role.OFFICER, "programme": "3", "unit": ""})
    assert response.status_code == 302
    assert _active(first) == 0  # the grant moved away from it
    assert _active(second) == 0  # and to it
    assert _revoked_as_role_change(second, admin_user)


def test_a_grant_saved_unchanged_revokes_nothing():
    client, _ = _sysadmin()
    officer = make_user("officer", programme="1")
    _with_tokens(officer)
    grant = RoleGrant.objects.get(user=officer)
    response = client.post(
        f"/admin/accounts/rolegrant/{grant.pk}/change/", {"user": officer.pk, "role": Role.OFFICER, "programme": "1", "unit": ""}
    )
    assert response.status_code == 302
    assert _active(officer) == 2


def test_a_grant_deleted_in_the_admin_revokes_the_accounts_tokens():
    client, admin_user = _sysadmin()
    applicant = make_user("applicant", organisation=make_org())
    _with_tokens(applicant)
    grant = RoleGrant.objects.get(user=applicant)
    response = client.post(f"/admin/accounts/rolegrant/{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert _active(applicant) == 0
    assert _revoked_as_role_change(applicant, admin_user)


def test_grants_deleted_by_the_list_action_revoke_every_accounts_tokens():
    client, _ = _sysadmin()
    a, b, bystander = make_user("finance"), make_user("auditor"), make_user("finance")
    for u in (a, b, bystander):
        _with_tokens(u)
    chosen = RoleGrant.objects.filter(user__in=[a, b])
    response = client.post(
        "/admin/accounts/rolegrant/",
        {"action": "delete_selected", "_selected_action": [g.pk for g in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert _active(a) == 0
    assert _active(b) == 0
    assert _active(bystander) == 2


def test_a_grant_deleted_from_the_users_page_revokes_its_tokens():
    client, admin_user = _sysadmin()
    user = make_user("officer", programme="1")
    grant = RoleGrant.objects.get(user=user)
    _with_tokens(user)
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "role_grants-TOTAL_FORMS": "1",
        "role_grants-INITIAL_FORMS": "1",
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
        "role_grants-0-id": str(grant.pk),
        "role_grants-0-user": str(user.pk),
        "role_grants-0-DELETE": "on",
    }
    response = client.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert _active(user) == 0
    assert _revoked_as_role_change(user, admin_user)


def test_a_role_grant_in_a_stale_admin_session_waits_for_the_password(settings):
    """Role changes ask for a fresh authentication like money actions (docs/mfa.md); the form is
    carried through it, and nothing changes before."""
    import time

    from yongke.accounts import mfa
    from yongke.testing import PASSWORD

    settings.YONGKE_REAUTH_MINUTES = 10
    client, _admin = _sysadmin()
    session = client.session
    session[mfa.AUTH_AT_SESSION_KEY] = time.time() - 3600
    session.save()
    officer = make_user("officer", programme="1")
    _with_tokens(officer)
    form = {"user": officer.pk, "role": Role.OFFICER, "programme": "2", "unit": "", "_save": "保存"}
    held = client.post("/admin/accounts/rolegrant/add/", form)
    assert held.status_code == 403
    assert 'name="programme" value="2"' in held.content.decode()
    assert not RoleGrant.objects.filter(user=officer, programme="2").exists()
    assert _active(officer) == 2
    assert client.get("/admin/accounts/rolegrant/").status_code == 200  # reading is not held up
    done = client.post("/admin/accounts/rolegrant/add/", {**form, "_reauth": "1", "_reauth_password": PASSWORD})
    assert done.status_code == 302
    assert RoleGrant.objects.filter(user=officer, programme="2").exists()
    assert _active(officer) == 0

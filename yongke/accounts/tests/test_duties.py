"""三权分立: the system, security and audit administrators apart, none of them taking a workflow
step; Django's superuser flag grants nothing; the admin site is the system administrator's."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from yongke.accounts.admin import RoleGrantForm
from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import ADMIN_ROLES, WORKFLOW_ROLES, require_role, roles_compatible, scope_of
from yongke.applications import services as app_services
from yongke.applications.models import Application
from yongke.applications.selectors import application_for, applications_visible_to, audit_events_visible_to
from yongke.core.errors import NotFound, PermissionDenied
from yongke.testing import advance, build_world, make_application, make_user

# --------------------------------------------------------------------------- the rule (pure)


@pytest.mark.parametrize("admin_role", ADMIN_ROLES)
@pytest.mark.parametrize("workflow_role", WORKFLOW_ROLES)
def test_no_administrator_holds_a_workflow_role(admin_role, workflow_role):
    assert roles_compatible({admin_role, workflow_role}) is not None


def test_the_three_administrators_are_three_people():
    for a in ADMIN_ROLES:
        for b in ADMIN_ROLES:
            assert (roles_compatible({a, b}) is None) == (a == b)
    assert "三权分立" in roles_compatible({Role.SYSADMIN, Role.AUDITOR})


def test_workflow_roles_combine_but_who_approves_does_not_pay():
    assert roles_compatible(set(WORKFLOW_ROLES) - {Role.FINANCE}) is None
    assert roles_compatible(set(WORKFLOW_ROLES) - {Role.OFFICER}) is None
    assert roles_compatible(set()) is None
    why = roles_compatible({Role.OFFICER, Role.FINANCE})
    assert why is not None
    assert "审批与拨付不相容" in why


@pytest.mark.django_db
def test_a_finance_user_is_not_made_an_officer_too():
    from yongke.accounts.services import user_add
    from yongke.core.errors import YongkeError
    from yongke.testing import TEST

    user = make_user("finance")
    with pytest.raises(YongkeError) as e:
        user_add(actor=TEST, username=user.username, role=Role.OFFICER, programme="1")  # a role added to an account
    assert "审批与拨付不相容" in e.value.message
    assert not RoleGrant.objects.filter(user=user, role=Role.OFFICER).exists()


# --------------------------------------------------------------------------- the scope


@pytest.mark.django_db
def test_a_superuser_holds_no_role():
    root = User.objects.create_superuser("root", "root@example.org", "pw-Test-1234")
    scope = scope_of(root)
    assert not scope.has(Role.OFFICER, Role.FINANCE, Role.SYSADMIN, Role.AUDITOR)
    assert not scope.sees_everything
    assert not scope.officer_for("1")
    with pytest.raises(PermissionDenied):
        require_role(root, Role.OFFICER)


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "security", "superuser"])
def test_administrators_read_no_application(world, who):
    user = _admin_user(world, who)
    app = advance(make_application(call=world.call, org=world.org, user=world.applicant), world, "submit")
    assert not applications_visible_to(user).exists()
    with pytest.raises(NotFound):
        application_for(user, app.pk)


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "security", "superuser"])
def test_administrators_take_no_workflow_step(world, who):
    user = _admin_user(world, who)
    draft = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(PermissionDenied):
        app_services.application_update(actor=user, application=draft, lock_version=draft.lock_version, changes={"summary": "改"})
    with pytest.raises(PermissionDenied):
        app_services.application_transition(actor=user, application=draft, action="submit")
    submitted = advance(make_application(call=world.call, org=world.org, user=world.applicant), world, "submit", "recommend", "accept")
    for action in ("return", "fund"):
        with pytest.raises(PermissionDenied):
            app_services.application_transition(actor=user, application=submitted, action=action, comment="意见", amount=500_000)
    assert Application.objects.get(pk=draft.pk).state == "draft"
    assert Application.objects.get(pk=submitted.pk).state == submitted.state


def test_only_the_auditor_reads_the_audit_log(world):
    assert audit_events_visible_to(world.auditor).exists()
    for user in (world.sysadmin, make_user("security"), world.officer, _admin_user(world, "superuser")):
        with pytest.raises(PermissionDenied):
            audit_events_visible_to(user)


def _admin_user(world, who: str) -> User:
    if who == "superuser":
        return User.objects.create_superuser(f"root{User.objects.count()}", "", "pw-Test-1234")
    return getattr(world, who, None) or make_user(who)


# --------------------------------------------------------------------------- the admin site


@pytest.mark.django_db
def test_only_a_sysadmin_enters_the_admin():
    client = Client()
    client.force_login(make_user("sysadmin"))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/accounts/rolegrant/").status_code == 200
    for user in (
        User.objects.create_superuser("root", "", "pw-Test-1234"),  # a superuser without the role
        make_user("security"),
        make_user("auditor"),
        make_user("officer", programme="*"),
    ):
        user.is_staff = True
        user.save()
        other = Client()
        other.force_login(user)
        assert other.get("/admin/").status_code == 302  # to the admin's sign-in
        assert other.get("/admin/auth/user/").status_code == 302


def test_the_admin_registers_no_workflow_model():
    registered = {m._meta.app_label for m in admin.site._registry}
    assert registered.isdisjoint({"applications", "awards", "review", "projects", "orgs"})
    assert {"auth", "accounts", "guide"} <= registered
    assert "objection" not in {m._meta.model_name for m in admin.site._registry}


@pytest.mark.django_db
def test_a_role_granted_in_the_admin_keeps_the_duties_apart():
    officer = make_user("officer", programme="1")
    form = RoleGrantForm(data={"user": officer.pk, "role": Role.SYSADMIN, "unit": "", "programme": ""})
    assert not form.is_valid()
    assert "三权分立" in form.errors["role"][0]
    admin_user = make_user("sysadmin")
    assert not RoleGrantForm(data={"user": admin_user.pk, "role": Role.AUDITOR, "unit": "", "programme": ""}).is_valid()
    assert not RoleGrantForm(data={"user": admin_user.pk, "role": Role.FINANCE, "unit": "", "programme": ""}).is_valid()
    ok = RoleGrantForm(data={"user": officer.pk, "role": Role.OFFICER, "unit": "", "programme": "2"})
    assert ok.is_valid(), ok.errors
    ok.save()
    assert RoleGrant.objects.filter(user=officer, role=Role.OFFICER).count() == 2


@pytest.mark.django_db
def test_the_admin_refuses_an_incompatible_grant_over_http():
    client = Client()
    client.force_login(make_user("sysadmin"))
    finance = make_user("finance")
    response = client.post("/admin/accounts/rolegrant/add/", {"user": finance.pk, "role": Role.AUDITOR, "unit": "", "programme": ""})
    assert response.status_code == 200  # the form again, with the error
    assert "三权分立".encode() in response.content
    assert not RoleGrant.objects.filter(user=finance, role=Role.AUDITOR).exists()

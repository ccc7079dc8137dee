"""Who acts: the System actor needs a reason and is named by it; nobody holds no role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from yongke.accounts.actors import System
from yongke.accounts.selectors import require_role, scope_of
from yongke.accounts.services import token_create
from yongke.audit.models import AuditEvent
from yongke.core.errors import PermissionDenied
from yongke.orgs.services import organisation_upsert
from yongke.orgs.validators import uscc_with_check
from yongke.testing import make_org, make_user


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_system_actor_without_a_reason_is_refused(reason):
    with pytest.raises(ValueError, match="reason"):
        System(reason)


def test_a_system_actor_is_named_by_its_reason():
    assert System("nightly import").username == "system:nightly import"


@pytest.mark.django_db
def test_the_audit_log_names_the_system_actor_by_its_reason():
    organisation_upsert(
        actor=System("nightly import"),
        data={"uscc": uscc_with_check("91450103MA5L77771"), "name": "系统导入公司", "kind": "enterprise", "district": "450103"},
    )
    assert AuditEvent.objects.get(action="organisation_create").actor_name == "system:nightly import"


@pytest.mark.django_db
def test_an_audit_event_by_the_system_links_no_user():
    organisation_upsert(
        actor=System("nightly import"),
        data={"uscc": uscc_with_check("91450103MA5L77772"), "name": "系统导入公司", "kind": "enterprise", "district": "450103"},
    )
    assert AuditEvent.objects.get(action="organisation_create").actor is None


@pytest.mark.django_db
def test_the_audit_log_names_a_user_by_their_username():
    officer = make_user("officer", programme="*", username="wang")
    organisation_upsert(
        actor=officer, data={"uscc": uscc_with_check("91450103MA5L77773"), "name": "登记公司", "kind": "enterprise", "district": "450103"}
    )
    event = AuditEvent.objects.get(action="organisation_create")
    assert event.actor_name == "wang"
    assert event.actor == officer


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_holds_a_role(nobody):
    with pytest.raises(PermissionDenied):
        require_role(nobody, "officer", "sysadmin")


def test_the_system_holds_every_role():
    assert require_role(System("cli"), "sysadmin").is_system is True


@pytest.mark.django_db
def test_an_inactive_user_holds_no_role():
    officer = make_user("officer", programme="*")
    officer.is_active = False
    assert scope_of(officer).has("officer") is False


@pytest.mark.django_db
def test_a_user_may_create_their_own_token():
    user = make_user("applicant", organisation=make_org())
    assert token_create(actor=user, user=user, name="mine").startswith("yk_")


@pytest.mark.django_db
def test_a_user_may_not_create_a_token_for_another_user():
    user, other = make_user("applicant", organisation=make_org()), make_user("applicant", organisation=make_org())
    with pytest.raises(PermissionDenied):
        token_create(actor=user, user=other, name="theirs")

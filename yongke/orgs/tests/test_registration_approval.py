"""Verified registration: a registered organisation waits, with its licence, for its recommending
unit or an officer; pending it cannot apply; a code registered once is not claimed again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from yongke.applications import services as applications
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.orgs.models import Organisation
from yongke.orgs.registration import registration_approve, registration_reject, registrations_pending_for
from yongke.orgs.services import organisation_register
from yongke.orgs.validators import uscc_with_check
from yongke.testing import PDF_BYTES, make_call, make_guide, make_org, make_user

pytestmark = pytest.mark.django_db
STRONG = "Lichee-harbour-27"


def _register(n: int = 1, *, district: str = "450103", zone: str = "", licence: bytes = PDF_BYTES):
    return organisation_register(
        organisation={
            "uscc": uscc_with_check(f"91450103MA5R{n:05d}"),
            "name": f"注册{n}公司",
            "kind": "enterprise",
            "district": district,
            "zone": zone,
        },
        username=f"reg{n}",
        password=STRONG,
        full_name="王五",
        licence_name="licence.pdf",
        licence=licence,
    )


def _form(n: int = 1, **over):
    data = {
        "name": f"页面注册{n}公司",
        "uscc": uscc_with_check(f"91450103MA5T{n:05d}"),
        "kind": "enterprise",
        "district": "450103",
        "zone": "",
        "username": f"page{n}",
        "full_name": "王五",
        "password1": STRONG,
        "password2": STRONG,
        "licence": SimpleUploadedFile("licence.pdf", PDF_BYTES, content_type="application/pdf"),
    }
    data.update(over)
    return data


def test_a_registration_is_pending_with_its_licence():
    org, _user = _register()
    assert org.status == Organisation.Status.PENDING
    assert org.licence.read() == PDF_BYTES


def test_a_registration_without_a_licence_is_refused():
    with pytest.raises(BadInput) as e:
        _register(licence=b"not a licence")
    assert e.value.detail["field"] == "licence"
    assert not Organisation.objects.exists()


def test_a_pending_organisation_cannot_create_an_application():
    make_guide()
    call = make_call()
    org, user = _register()
    with pytest.raises(Refused) as e:
        applications.application_create(actor=user, call=call, direction="1.1", organisation=org, title="未审核项目")
    assert e.value.code == "registration_pending"


def test_the_recommending_unit_of_its_district_approves():
    make_guide()
    call = make_call()
    org, user = _register(district="450103")
    recommender = make_user("recommender", unit="450103")
    assert list(registrations_pending_for(recommender)) == [org]
    registration_approve(actor=recommender, organisation=org)
    org.refresh_from_db()
    assert (org.status, org.reviewed_by) == (Organisation.Status.ACTIVE, recommender)
    assert AuditEvent.objects.filter(action="registration_approve", target_id=str(org.pk)).exists()
    assert applications.application_create(actor=user, call=call, direction="1.1", organisation=org, title="审核后的项目").pk


def test_another_units_recommender_may_not_approve():
    org, _ = _register(district="450103")
    other = make_user("recommender", unit="450107")
    assert not registrations_pending_for(other).exists()
    with pytest.raises(PermissionDenied):
        registration_approve(actor=other, organisation=org)


def test_an_organisation_in_a_zone_belongs_to_the_zones_unit():
    org, _ = _register(district="450107", zone="GXQ")
    assert registrations_pending_for(make_user("recommender", unit="GXQ")).get() == org
    assert not registrations_pending_for(make_user("recommender", unit="450107")).exists()


def test_an_applicant_may_not_approve_its_own_registration():
    org, user = _register()
    with pytest.raises(PermissionDenied):
        registration_approve(actor=user, organisation=org)


def test_an_officer_rejects_with_a_reason_and_the_accounts_are_disabled():
    org, user = _register()
    officer = make_user("officer", programme="*")
    with pytest.raises(BadInput):
        registration_reject(actor=officer, organisation=org, reason=" ")
    registration_reject(actor=officer, organisation=org, reason="营业执照与单位名称不符")
    org.refresh_from_db()
    user.refresh_from_db()
    assert (org.status, org.review_reason, user.is_active) == (Organisation.Status.REJECTED, "营业执照与单位名称不符", False)


def test_a_decided_registration_is_not_decided_again():
    from yongke.core.errors import Conflict

    org, _ = _register()
    officer = make_user("officer", programme="*")
    registration_approve(actor=officer, organisation=org)
    with pytest.raises(Conflict):
        registration_reject(actor=officer, organisation=org, reason="x")


def test_a_registered_code_cannot_be_claimed_again():
    from yongke.core.errors import Conflict

    existing = make_org()
    with pytest.raises(Conflict):
        organisation_register(
            organisation={"uscc": existing.uscc, "name": "冒名", "kind": "enterprise"},
            username="thief",
            password=STRONG,
            licence=PDF_BYTES,
        )


def test_registration_never_takes_over_an_existing_account():
    from yongke.core.errors import Conflict

    victim = make_user("officer", programme="*")
    with pytest.raises(Conflict):
        organisation_register(
            organisation={"uscc": uscc_with_check("91450103MA5R77777"), "name": "冒名", "kind": "enterprise"},
            username=victim.username,
            password=STRONG,
            licence=PDF_BYTES,
        )
    assert not victim.role_grants.filter(role="org_admin").exists()


def test_a_pending_admin_cannot_add_members():
    from yongke.orgs.services import member_create

    org, user = _register()
    with pytest.raises(Refused):
        member_create(actor=user, organisation=org, username="m1", password=STRONG, full_name="成员")


# --------------------------------------------------------------------------- the pages


def test_the_page_registers_pending_and_shows_the_banner(client):
    r = client.post("/register/", _form(), follow=True)
    assert r.status_code == 200
    org = Organisation.objects.get(uscc=_form()["uscc"])
    assert org.status == Organisation.Status.PENDING
    client.logout()
    page = client.post("/accounts/login/", {"username": "page1", "password": STRONG}, follow=True).content.decode()
    assert "等待推荐单位审核" in page


def test_the_page_requires_the_licence(client):
    data = _form()
    del data["licence"]
    html = client.post("/register/", data).content.decode()
    assert "请上传营业执照" in html
    assert not Organisation.objects.exists()


def test_registration_is_rate_limited_per_address(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.YONGKE_REGISTRATIONS_PER_HOUR = 2
    for n in (1, 2):
        client.post("/register/", _form(n))
        client.logout()
    r = client.post("/register/", _form(3))
    assert r.status_code == 429
    assert "注册过于频繁" in r.content.decode()
    assert Organisation.objects.count() == 2
    cache.clear()


def test_a_recommender_approves_on_the_page(client):
    org, _ = _register()
    recommender = make_user("recommender", unit="450103")
    client.force_login(recommender)
    assert org.name in client.get("/registrations/").content.decode()
    assert client.get(f"/registrations/{org.pk}/licence/").status_code == 200
    client.post(f"/registrations/{org.pk}/decide/", {"decision": "approve", "reason": ""})
    org.refresh_from_db()
    assert org.status == Organisation.Status.ACTIVE


def test_a_reject_on_the_page_needs_a_reason(client):
    org, _ = _register()
    client.force_login(make_user("officer", programme="*"))
    client.post(f"/registrations/{org.pk}/decide/", {"decision": "reject", "reason": ""})
    org.refresh_from_db()
    assert org.status == Organisation.Status.PENDING
    assert User.objects.filter(username="reg1", is_active=True).exists()

"""Signing in, each role's landing page, registration and member accounts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yongke.accounts.models import Role, RoleGrant
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.testing import PASSWORD, PDF_BYTES


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("applicant", "/my/applications/"),
        ("ent_admin", "/my/applications/"),
        ("qingxiu", "/recommend/"),
        ("officer", "/officer/"),
        ("finance", "/finance/"),
        ("auditor", "/audit/"),
        ("admin", "/admin/"),  # accounts and reference data: no workflow page (三权分立)
        ("expert", "/expert/"),
    ],
)
def test_each_role_lands_on_its_work(client, world, username, landing):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


def test_login_page_is_chinese_and_refuses_a_wrong_password(client, world):
    page = client.post("/accounts/login/", {"username": "applicant", "password": "wrong"})
    assert "请输入一个正确的" in page.content.decode()


def test_pages_of_a_role_are_refused_to_others(client, world):
    client.force_login(world.applicant)
    assert client.get("/officer/").status_code == 403
    assert client.get("/audit/").status_code == 403
    client.logout()
    assert client.get("/officer/").status_code == 302


def _registration(**over):
    data = {
        "name": "南宁注册测试科技有限公司",
        "uscc": uscc_with_check("91450103MA5R00010"),
        "kind": "enterprise",
        "district": "450103",
        "zone": "",
        "industry": "C3976",
        "address": "南宁市青秀区",
        "username": "newadmin",
        "full_name": "王五",
        "email": "",
        "password1": "a-Strong-pass-1",
        "password2": "a-Strong-pass-1",
        "licence": SimpleUploadedFile("licence.pdf", PDF_BYTES, content_type="application/pdf"),  # the registration's evidence
    }
    data.update(over)
    return data


def test_uscc_is_checked_as_it_is_typed(client, db):
    good = uscc_with_check("91450103MA5R00010")
    assert "格式和校验码正确" in client.get("/register/check-uscc/", {"uscc": good}).content.decode()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "校验码错误" in client.get("/register/check-uscc/", {"uscc": bad}).content.decode()
    assert "长度应为18位" in client.get("/register/check-uscc/", {"uscc": good[:10]}).content.decode()


def test_registration_creates_the_organisation_and_its_admin_and_signs_in(client, world):
    response = client.post("/register/", _registration(), follow=True)
    assert response.redirect_chain[-1][0] == "/my/applications/"
    org = Organisation.objects.get(name="南宁注册测试科技有限公司")
    assert RoleGrant.objects.filter(user__username="newadmin", role=Role.ORG_ADMIN, organisation=org).exists()


def test_registration_never_takes_over_a_registered_organisation(client, world):
    page = client.post("/register/", _registration(uscc=world.org.uscc, name="冒名单位"))
    assert "已注册" in page.content.decode()
    world.org.refresh_from_db()
    assert world.org.name == "南宁市测试新能源有限公司"
    assert not RoleGrant.objects.filter(user__username="newadmin").exists()


def test_registration_reports_a_bad_code_beside_the_field(client, db):
    good = uscc_with_check("91450103MA5R00010")
    page = client.post("/register/", _registration(uscc=good[:-1] + ("0" if good[-1] != "0" else "1")))
    assert "校验码错误" in page.content.decode()
    assert not Organisation.objects.exists()


def test_org_admin_creates_a_member_who_may_lead_projects(client, world):
    client.force_login(world.org_admin)
    id_number = id_with_check("45010219850101123")
    response = client.post(
        f"/org/members/?org={world.org.pk}",
        {"username": "member1", "full_name": "李四", "password": "Lichee-harbour-27", "id_number": id_number, "title": "高级工程师"},
        follow=True,
    )
    assert "已创建成员账户 member1" in response.content.decode()
    assert RoleGrant.objects.filter(user__username="member1", role=Role.APPLICANT, organisation=world.org).exists()
    person = Person.objects.get(user__username="member1")
    assert person.organisation == world.org
    assert person.id_number_masked in response.content.decode()


def test_a_member_cannot_create_accounts(client, world):
    client.force_login(world.applicant)
    assert client.get("/org/members/").status_code == 403

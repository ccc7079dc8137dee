"""Who keeps the registry: officers and admins; an organisation's own people register only its members."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.core.errors import PermissionDenied
from yongke.orgs import services
from yongke.orgs.models import CreditRecord, Organisation, OrgAttribute, Person
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.testing import make_org, make_user

pytestmark = pytest.mark.django_db

NEW_ORG = {"uscc": uscc_with_check("91450103MA5L88881"), "name": "申请人自建公司", "kind": "enterprise", "district": "450103"}


@pytest.fixture
def applicant():
    org = make_org()
    return make_user("applicant", organisation=org), org


def test_an_applicant_may_not_create_an_organisation(applicant):
    user, _ = applicant
    with pytest.raises(PermissionDenied):
        services.organisation_upsert(actor=user, data=NEW_ORG)
    assert not Organisation.objects.filter(uscc=NEW_ORG["uscc"]).exists()


def test_an_applicant_may_not_update_their_own_organisation(applicant):
    user, org = applicant
    with pytest.raises(PermissionDenied):
        services.organisation_upsert(
            actor=user, data={"uscc": org.uscc, "name": "改名公司", "kind": "enterprise", "district": org.district}
        )
    assert Organisation.objects.get(pk=org.pk).name == org.name


def test_an_applicant_may_not_set_an_attribute_of_their_organisation(applicant):
    user, org = applicant
    with pytest.raises(PermissionDenied):
        services.org_attribute_set(actor=user, organisation=org, name="hte_certified", value=True, valid_from=dt.date(2022, 1, 1))
    assert not OrgAttribute.objects.filter(organisation=org).exists()


def test_an_applicant_may_not_add_a_credit_record(applicant):
    user, _ = applicant
    rival = make_org()
    with pytest.raises(PermissionDenied):
        services.credit_record_add(actor=user, organisation=rival, reason="恶意举报", starts_on=dt.date(2022, 1, 1))
    assert not CreditRecord.objects.exists()


def test_an_applicant_may_not_import_organisations(applicant, tmp_path):
    user, _ = applicant
    path = tmp_path / "orgs.csv"
    path.write_text(f"统一社会信用代码,单位名称,单位类型,注册地\n{NEW_ORG['uscc']},导入公司,企业,450103\n", encoding="utf-8-sig")
    with pytest.raises(PermissionDenied):
        services.organisation_import(actor=user, path=path)
    assert not Organisation.objects.filter(uscc=NEW_ORG["uscc"]).exists()


def test_an_officer_may_create_an_organisation():
    officer = make_user("officer", programme="1")
    org, created = services.organisation_upsert(actor=officer, data=NEW_ORG)
    assert created is True
    assert org.name == NEW_ORG["name"]


def test_an_applicant_may_register_a_person_of_their_own_organisation(applicant):
    user, org = applicant
    person = services.person_create(actor=user, name="本单位人员", id_number=id_with_check("45010219800101881"), organisation=org)
    assert person.organisation == org


def test_an_applicant_may_not_register_a_person_of_another_organisation(applicant):
    user, _ = applicant
    other = make_org()
    with pytest.raises(PermissionDenied):
        services.person_create(actor=user, name="他单位人员", id_number=id_with_check("45010219800101882"), organisation=other)
    assert not Person.objects.filter(organisation=other).exists()


def test_an_applicant_may_not_register_a_person_of_no_organisation(applicant):
    user, _ = applicant
    with pytest.raises(PermissionDenied):
        services.person_create(actor=user, name="无单位人员", id_number=id_with_check("45010219800101883"))
    assert not Person.objects.exists()

"""A look-up by ID number finds a person under every configured field key: after a new key is
put first and before `yongke crypto rotate` has run, the duplicate check of `person_create`
and `expert_import` still find the people registered under the old key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from yongke.core import crypto
from yongke.core.errors import Conflict
from yongke.orgs.models import Person
from yongke.orgs.services import person_create
from yongke.orgs.validators import id_with_check
from yongke.review.models import Expert
from yongke.review.services import expert_import
from yongke.testing import TEST, make_org, make_user

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
NUMBER = id_with_check("45010219750505123")


def _registered_under_the_old_key(settings) -> Person:
    settings.YONGKE_FIELD_KEYS = [OLD]
    person = person_create(actor=TEST, name="李四", id_number=NUMBER, organisation=make_org())
    settings.YONGKE_FIELD_KEYS = [NEW, OLD]  # the new key first, no rotation yet
    assert person.id_number_hash != crypto.lookup_hash(NUMBER)
    return person


def test_person_create_refuses_a_number_registered_under_an_older_key(settings):
    _registered_under_the_old_key(settings)
    with pytest.raises(Conflict) as e:
        person_create(actor=TEST, name="李四", id_number=NUMBER, organisation=make_org())
    assert e.value.code == "person_exists"
    assert Person.objects.count() == 1


def test_a_person_registered_after_the_key_change_gets_the_new_keys_hash(settings):
    settings.YONGKE_FIELD_KEYS = [NEW, OLD]
    person = person_create(actor=TEST, name="王五", id_number=id_with_check("45010219750505124"))
    assert person.id_number_hash == crypto.lookup_hash(id_with_check("45010219750505124"))


def test_expert_import_finds_the_person_registered_under_an_older_key(settings, tmp_path):
    person = _registered_under_the_old_key(settings)
    table = tmp_path / "experts.csv"
    table.write_text(f"姓名,身份证号码,职称,专业领域,最多评审数\n李四,{NUMBER},教授,C3976,5\n", encoding="utf-8")
    report = expert_import(actor=make_user("officer", programme="*"), path=table)
    assert report["applied"] is True
    assert Person.objects.count() == 1
    assert Expert.objects.get().person == person

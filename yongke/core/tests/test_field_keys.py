"""The field key: several keys (the first encrypts, all decrypt), the old SECRET_KEY-derived key
still read, and `yongke crypto rotate` moving every value, and its look-up hash, to the first key."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from yongke.cli.main import run
from yongke.core import crypto
from yongke.orgs.models import BankAccount, Person
from yongke.orgs.selectors import person_id_number_for
from yongke.orgs.services import bank_account_set
from yongke.orgs.validators import id_with_check
from yongke.testing import TEST, make_org, make_person, make_user

A, B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_the_first_key_encrypts_and_every_key_decrypts(settings):
    settings.YONGKE_FIELD_KEYS = [A]
    token = crypto.encrypt("450103199001011234")
    settings.YONGKE_FIELD_KEYS = [B, A]
    assert crypto.decrypt(token) == "450103199001011234"
    assert not crypto.is_current(token)
    assert Fernet(B.encode()).decrypt(crypto.encrypt("x").encode()) == b"x"
    settings.YONGKE_FIELD_KEYS = [B]
    with pytest.raises(ValueError, match="无法解密"):
        crypto.decrypt(token)


def test_a_value_encrypted_under_the_secret_key_stays_readable_but_is_never_written(settings):
    old = Fernet(crypto.legacy_key(settings.SECRET_KEY)).encrypt(b"450103199001011234").decode()
    settings.YONGKE_FIELD_KEYS = [A]
    assert crypto.decrypt(old) == "450103199001011234"
    with pytest.raises(Exception):  # noqa: B017, PT011 - cryptography's InvalidToken
        Fernet(crypto.legacy_key(settings.SECRET_KEY)).decrypt(crypto.encrypt("y").encode())


def test_the_secret_key_changing_leaves_the_data_readable(settings):
    settings.YONGKE_FIELD_KEYS = [A]
    token = crypto.encrypt("450103199001011234")
    digest = crypto.lookup_hash("450103199001011234")
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert crypto.decrypt(token) == "450103199001011234"
    assert crypto.lookup_hash("450103199001011234") == digest


def test_a_bad_key_is_refused_with_a_message():
    with pytest.raises(ValueError, match="第 2 个密钥不是 Fernet 密钥"):
        crypto.parse_keys(f"{A},not-a-key")
    assert crypto.parse_keys(f" {B} , {A} ") == [B, A]


def test_no_key_at_all_is_improperly_configured(settings):
    settings.YONGKE_FIELD_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="YONGKE_FIELD_KEY"):
        crypto.encrypt("x")


def _rotate(*argv: str, capsys) -> dict:
    assert run(["crypto", "rotate", *argv]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.django_db
def test_rotate_moves_people_and_bank_accounts_to_the_first_key(settings, capsys):
    settings.YONGKE_FIELD_KEYS = [A]
    org = make_org()
    people = [make_person(org) for _ in range(3)]
    numbers = {p.pk: crypto.decrypt(p.id_number_encrypted) for p in people}
    admin = make_user("org_admin", organisation=org)
    bank_account_set(actor=admin, organisation=org, bank="北部湾银行", name=org.name, number="6222020200001234567")
    viewer = admin  # the organisation's admin reads its people's full ID numbers

    settings.YONGKE_FIELD_KEYS = [B, A]  # the new key first: everything stays readable
    assert all(person_id_number_for(p, viewer) == numbers[p.pk] for p in Person.objects.filter(pk__in=numbers))

    out = _rotate("--batch", "2", capsys=capsys)
    assert out["people"] == {"seen": 3, "rewritten": 3, "duplicates": [], "unreadable": []}
    assert out["bank_accounts"] == {"seen": 1, "rewritten": 1, "unreadable": []}

    settings.YONGKE_FIELD_KEYS = [B]  # the old key gone
    for p in Person.objects.filter(pk__in=numbers):
        assert person_id_number_for(p, viewer) == numbers[p.pk]
        assert p.id_number_hash == crypto.lookup_hash(numbers[p.pk])  # found by ID number again
    assert crypto.decrypt(BankAccount.objects.get(organisation=org).number_encrypted) == "6222020200001234567"

    again = _rotate(capsys=capsys)  # idempotent
    assert again["people"]["rewritten"] == 0
    assert again["bank_accounts"]["rewritten"] == 0


@pytest.mark.django_db
def test_rotate_reads_the_data_of_the_secret_key_era(settings, capsys):
    settings.YONGKE_FIELD_KEYS = [A]
    person = make_person(make_org())
    legacy = Fernet(crypto.legacy_key(settings.SECRET_KEY)).encrypt(b"450103199001011234").decode()
    Person.objects.filter(pk=person.pk).update(id_number_encrypted=legacy)
    out = _rotate(capsys=capsys)
    assert out["people"]["rewritten"] == 1
    settings.SECRET_KEY = "a-new-secret-key-" * 4
    assert crypto.decrypt(Person.objects.get(pk=person.pk).id_number_encrypted) == "450103199001011234"


@pytest.mark.django_db
def test_rotate_needs_the_security_administrator(settings, capsys):
    make_user("officer", programme="*", username="offi")
    assert run(["crypto", "rotate", "--as", "offi"]) == 2
    assert "安全管理员" in capsys.readouterr().err
    make_user("security", username="sec")
    assert _rotate("--as", "sec", capsys=capsys)["people"]["seen"] == 0
    assert run(["crypto", "rotate", "--batch", "0"]) == 2


@pytest.mark.django_db
def test_person_create_still_finds_a_duplicate_after_rotation(settings, capsys):
    from yongke.core.errors import Conflict
    from yongke.orgs.services import person_create

    settings.YONGKE_FIELD_KEYS = [A]
    idn = id_with_check("45010319900101234")
    person_create(actor=TEST, name="张三", id_number=idn)
    settings.YONGKE_FIELD_KEYS = [B, A]
    _rotate(capsys=capsys)
    with pytest.raises(Conflict):
        person_create(actor=TEST, name="张三", id_number=idn)

"""The organisation registry: upserts, dated attributes, people, credit, imports."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from yongke.cli.main import run
from yongke.core.errors import BadInput, Conflict
from yongke.orgs import selectors, services
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.testing import TEST, make_org, make_user

pytestmark = pytest.mark.django_db


def test_dated_attributes_become_guide_facts_only_while_they_hold(guide):
    org = make_org()
    services.org_attribute_set(
        actor=TEST, organisation=org, name="hte_certified", value=True, valid_from=dt.date(2022, 1, 1), valid_to=dt.date(2024, 12, 31)
    )
    assert selectors.organisation_facts(org, on=dt.date(2023, 6, 1), facts=guide.facts)["hte_certified"] is True
    assert selectors.organisation_facts(org, on=dt.date(2025, 1, 1), facts=guide.facts)["hte_certified"] is False


def test_an_organisation_in_a_nanning_district_is_registered_in_nanning(guide):
    org = make_org(district="450103")
    assert selectors.organisation_facts(org, on=dt.date(2023, 6, 1), facts=guide.facts)["registered_in_nanning"] is True


def test_an_organisation_outside_nanning_is_not_registered_in_nanning(guide):
    org = make_org(district="")
    assert selectors.organisation_facts(org, on=dt.date(2023, 1, 1), facts=guide.facts)["registered_in_nanning"] is False


def test_zone_recommends_before_district():
    assert make_org(district="450107", zone="GXQ").recommending_unit == "GXQ"


def test_without_a_zone_the_district_recommends():
    assert make_org(district="450107").recommending_unit == "450107"


@pytest.fixture
def registered():
    """A person registered with their own expert account; returns (person, their user, the ID number)."""
    owner = make_user("expert")
    number = id_with_check("45010219800101123")
    return services.person_create(actor=TEST, name="李四", id_number=number, user=owner), owner, number


def test_id_numbers_are_stored_encrypted(registered):
    person, _, number = registered
    raw = Person.objects.values_list("id_number_encrypted", flat=True).get(pk=person.pk)
    assert number not in raw


def test_id_numbers_are_shown_masked(registered):
    person, _, number = registered
    assert person.id_number_masked == number[:4] + "*" * 10 + number[-4:]


def test_a_stranger_sees_only_the_masked_id_number(registered):
    person, _, _ = registered
    stranger = make_user("applicant", organisation=make_org())
    assert selectors.person_id_number_for(person, stranger) == person.id_number_masked


@pytest.mark.parametrize("who", ["owner", "officer"])
def test_the_person_and_officers_see_the_full_id_number(registered, who):
    person, owner, number = registered
    # An officer sees it only for a person applying to their programme (yongke/review/tests/test_blind_leaks.py).
    viewer = owner if who == "owner" else make_user("officer", programme="1")
    assert selectors.person_id_number_for(person, viewer) == (number if who == "owner" else person.id_number_masked)


def test_the_same_id_number_cannot_be_registered_twice():
    number = id_with_check("45010219800101124")
    services.person_create(actor=TEST, name="甲", id_number=number)
    with pytest.raises(Conflict):
        services.person_create(actor=TEST, name="乙", id_number=number)
    assert list(Person.objects.values_list("name", flat=True)) == ["甲"]


def test_bad_uscc_is_refused_naming_the_field():
    with pytest.raises(BadInput) as e:
        services.organisation_upsert(actor=TEST, data={"uscc": "91450103MA5L123450", "name": "x", "kind": "enterprise"})
    assert e.value.detail["field"] == "uscc"


def _csv(tmp_path, rows):
    p = tmp_path / "orgs.csv"
    p.write_text("统一社会信用代码,单位名称,单位类型,注册地,开发区\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8-sig")
    return p


def test_import_is_all_or_nothing_with_a_per_row_report(tmp_path, capsys):
    good = uscc_with_check("91450103MA5L00001")
    rows = [
        [good, "甲公司", "企业", "青秀区", ""],
        ["91450103MA5L000020", "乙公司", "enterprise", "450103", ""],
        [uscc_with_check("91450107MA5L00003"), "丙公司", "企业", "450107", "火星区"],
    ]
    path = _csv(tmp_path, rows)
    code = run(["org", "import", str(path)])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert code == 2
    assert report["applied"] is False
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "uscc"), (4, "zone")]
    assert "第3行" in err
    assert Organisation.objects.count() == 0


def test_import_dry_run_writes_nothing_then_import_writes_all(tmp_path, capsys):
    rows = [[uscc_with_check(f"91450103MA5L0001{i}"), f"公司{i}", "企业", "青秀区", "高新区" if i == 1 else ""] for i in range(3)]
    path = _csv(tmp_path, rows)
    assert run(["org", "import", str(path), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 3
    assert Organisation.objects.count() == 0
    assert run(["org", "import", str(path)]) == 0
    assert Organisation.objects.count() == 3
    assert Organisation.objects.get(name="公司1").zone == "GXQ"


def test_import_reads_xlsx(tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "单位名称", "单位类型", "注册地"])
    wb.active.append([uscc_with_check("91450103MA5L00099"), "表格公司", "企业", "450103"])
    path = tmp_path / "orgs.xlsx"
    wb.save(path)
    assert run(["org", "import", str(path)]) == 0
    assert Organisation.objects.filter(name="表格公司").exists()


def test_validate_uscc_command_exit_codes(capsys):
    assert run(["org", "validate-uscc", uscc_with_check("N1450103MA5L12345")]) == 0
    assert run(["org", "validate-uscc", "91450103MA5L12345"]) == 1
    out = capsys.readouterr().out
    assert "wrong_length" in out

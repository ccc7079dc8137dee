"""The `yongke` command: JSON out, exit 0/1/2, one-line messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yongke.cli.main import run
from yongke.guide.tests.folder import copy_guide, edit_guide


def call(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, content) -> str:
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(p)


def broken_copy(tmp_path: Path, old: str, new: str) -> str:
    """A copy of the bundled guide folder with one edit."""
    folder = copy_guide(tmp_path)
    edit_guide(folder, old, new)
    return str(folder)


def test_validate_reports_the_whole_guide(capsys):
    code, out, err = call(capsys, "guide", "validate")
    assert code == 0, err
    body = json.loads(out)
    assert (body["programmes"], body["projects"], body["directions"]) == (4, 38, 65)
    assert body["sources_verbatim"] is True
    assert body["cases"] > 65 * 2


def test_validate_says_the_whole_published_text_is_covered(capsys):
    code, out, _ = call(capsys, "guide", "validate")
    body = json.loads(out)
    assert code == 0
    assert body["text_covered"] is True
    assert body["uncovered"] == []


def test_validate_fails_a_guide_that_leaves_part_of_a_clause_unquoted(capsys, tmp_path):
    # The rule still quotes verbatim, but only the start of its clause: the rest is encoded nowhere.
    g = broken_copy(
        tmp_path, "source: （2）实施期间，新增产值或新增销售收入达到5000万元以上。", "source: （2）实施期间，新增产值或新增销售收入"
    )
    code, out, err = call(capsys, "guide", "validate", g)
    body = json.loads(out)
    assert code == 1
    assert body["ok"] is False
    assert any("达到5000万元以上" in passage for passage in body["uncovered"])
    assert err.count("\n") == 1


def test_validate_names_file_and_line_of_a_yaml_syntax_error(capsys, tmp_path):
    bad = write(tmp_path, "bad.yaml", "version: '2022'\ntitle: x\nfacts: {a: [1, 2\n")
    code, _, err = call(capsys, "guide", "validate", bad)
    assert code == 2
    assert f"{bad}:" in err
    assert "syntax error" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_validate_refuses_a_source_that_is_not_verbatim(capsys, tmp_path):
    g = broken_copy(
        tmp_path, "source: （2）实施期间，新增产值或新增销售收入达到5000万元以上。", "source: （2）实施期间，新增产值达到5000万元以上。"
    )
    code, _, err = call(capsys, "guide", "validate", g)
    assert code == 2
    assert "source" in err
    assert "verbatim" in err


def test_validate_refuses_an_unknown_fact_in_an_expression(capsys, tmp_path):
    g = broken_copy(tmp_path, "expr: kpi_new_revenue >= 50000000", "expr: kpi_new_revenu >= 50000000")
    code, _, err = call(capsys, "guide", "validate", g)
    assert code == 2
    assert "kpi_new_revenu" in err


def test_validate_refuses_a_case_whose_verdict_is_wrong(capsys, tmp_path):
    g = broken_copy(tmp_path, "kpi_new_revenue: 49999999", "kpi_new_revenue: 50000000")
    code, _, err = call(capsys, "guide", "validate", g)
    assert code == 2
    assert "期望" in err


def test_facts_lists_every_declared_fact(capsys):
    code, out, _ = call(capsys, "guide", "facts")
    body = json.loads(out)
    names = {f["name"] for f in body["facts"]}
    assert code == 0
    assert {"kpi_new_revenue", "requested_amount", "self_raised_amount"} <= names
    money = [f for f in body["facts"] if f["type"] == "money"]
    assert money
    assert all(f["unit"] == "元" for f in money)


def test_export_has_the_documented_shape(capsys):
    code, out, _ = call(capsys, "guide", "export", "--format", "json")
    body = json.loads(out)
    assert code == 0
    assert body["version"] == "2022"
    d = body["programmes"][0]["projects"][0]["directions"][0]
    assert d["id"] == "1.1"
    assert {"id", "name", "rules"} <= set(d)
    assert {"id", "kind", "expr", "message", "source"} <= set(d["rules"][0])


def test_export_refuses_an_unknown_format(capsys):
    code, _, err = call(capsys, "guide", "export", "--format", "xml")
    assert code == 2
    assert "xml" in err


def test_check_eligible_exits_0(capsys, tmp_path):
    f = write(tmp_path, "a.json", {"direction": "1.1", "facts": {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}})
    code, out, _ = call(capsys, "check", f)
    body = json.loads(out)
    assert code == 0
    assert body["verdict"] == "eligible"
    assert body["direction"] == "1.1"
    assert all({"id", "kind", "result", "message", "source"} <= set(r) for r in body["rules"])


def test_check_not_eligible_exits_1_and_names_the_clause(capsys, tmp_path):
    f = write(tmp_path, "a.json", {"direction": "1.1", "facts": {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 49_999_999}})
    code, out, _ = call(capsys, "check", f)
    body = json.loads(out)
    assert code == 1
    assert body["verdict"] == "not_eligible"
    failing = [r for r in body["rules"] if r["result"] == "fail"]
    assert failing[0]["source"].startswith("（2）实施期间")


def test_check_incomplete_exits_1(capsys, tmp_path):
    f = write(tmp_path, "a.json", {"direction": "1.1", "facts": {}})
    code, out, _ = call(capsys, "check", f)
    assert code == 1
    assert json.loads(out)["verdict"] == "incomplete"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"direction": "1.1", "facts": {"kpi_invention_patent_applications": "three"}}, "kpi_invention_patent_applications"),
        ({"direction": "1.1", "facts": {"kpi_new_revenue": -5}}, "kpi_new_revenue"),
        ({"direction": "1.1", "facts": {"no_such_fact": 1}}, "no_such_fact"),
        ({"direction": "99.9", "facts": {}}, "99.9"),
        ({"direction": "1.1", "facts": [], "extra": 1}, "extra"),
        ({"facts": {}}, "direction"),
        ({"direction": "1.1", "facts": []}, "facts"),
        ({"direction": 1.1, "facts": {}}, "direction"),
    ],
)
def test_check_bad_input_exits_2_naming_it(capsys, tmp_path, payload, needle):
    f = write(tmp_path, "a.json", payload)
    code, out, err = call(capsys, "check", f)
    assert code == 2
    assert needle in err
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_check_names_file_and_line_of_a_json_syntax_error(capsys, tmp_path):
    f = write(tmp_path, "a.json", '{\n  "direction": "1.1",\n  "facts": {,}\n}')
    code, _, err = call(capsys, "check", f)
    assert code == 2
    assert f"{f}:3" in err


def test_check_missing_file_exits_2(capsys, tmp_path):
    code, _, err = call(capsys, "check", str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json" in err


def test_unknown_command_exits_2_with_one_line(capsys):
    code, _, err = call(capsys, "frobnicate")
    assert code == 2
    assert err.count("\n") == 1


@pytest.mark.django_db
def test_guide_load_is_idempotent(capsys):
    code, out, _ = call(capsys, "guide", "load")
    first = json.loads(out)
    code2, out2, _ = call(capsys, "guide", "load")
    second = json.loads(out2)
    assert code == code2 == 0
    assert first["created"] is True
    assert second["created"] is False
    assert first["digest"] == second["digest"]
    assert first["directions"] == 65


@pytest.mark.django_db
def test_loading_a_broken_guide_leaves_the_database_as_it_was(capsys, tmp_path):
    from yongke.guide import models as m

    call(capsys, "guide", "load")
    before = (m.GuideVersion.objects.count(), m.Rule.objects.count(), m.Fact.objects.count())
    g = broken_copy(tmp_path, "kpi_new_revenue >= 50000000", "kpi_new_revenue >= ")
    code, _, err = call(capsys, "guide", "load", g)
    assert code == 2
    assert "expression" in err
    assert (m.GuideVersion.objects.count(), m.Rule.objects.count(), m.Fact.objects.count()) == before


@pytest.mark.django_db
def test_check_can_use_a_loaded_version(capsys, tmp_path):
    call(capsys, "guide", "load")
    f = write(tmp_path, "a.json", {"direction": "1.1", "version": "2022", "facts": {"kpi_ip_grants": 6, "kpi_new_revenue": 50_000_000}})
    code, out, _ = call(capsys, "check", f)
    assert code == 0
    assert json.loads(out)["verdict"] == "eligible"
    f2 = write(tmp_path, "b.json", {"direction": "1.1", "version": "1999", "facts": {}})
    code, _, err = call(capsys, "check", f2)
    assert code == 2
    assert "1999" in err

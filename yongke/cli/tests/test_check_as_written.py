"""`yongke check` judges the facts as written: a figure just below a threshold written with more
digits than a float holds is not rounded into a pass, a key given twice and a revision without
its version are bad input naming them, and the commitments' real sizes (120万羽, 1500000人次,
100.5 m²) are read, not refused."""

from __future__ import annotations

import json

import pytest

from yongke.cli.main import run

REVENUE_OK = {"kpi_invention_patent_applications": 3}


def _check(tmp_path, capsys, text: str) -> tuple[int, str, str]:
    target = tmp_path / "in.json"
    target.write_text(text, encoding="utf-8")
    code = run(["check", str(target)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("direction", "fact", "written"),
    [
        ("1.1", "kpi_new_revenue", "49999999.999999999"),  # 达到5000万元以上
        ("1.1", "kpi_invention_patent_applications", "2.9999999999999999"),  # 申请发明专利3件（含）以上
        ("17.1", "breeding_base_area_mu", "99.99999999999999999"),  # 育种基地面积100亩以上
    ],
)
def test_a_figure_below_a_threshold_is_not_rounded_into_a_pass(tmp_path, capsys, direction, fact, written):
    code, out, err = _check(tmp_path, capsys, f'{{"direction": "{direction}", "facts": {{"{fact}": {written}}}}}')
    assert (code, out) == (2, "")
    assert f"facts.{fact}" in err
    assert err.count("\n") == 1


def test_a_whole_number_written_with_a_zero_fraction_is_read(tmp_path, capsys):
    code, out, _ = _check(
        tmp_path, capsys, '{"direction": "1.1", "facts": {"kpi_new_revenue": 50000000.0, "kpi_invention_patent_applications": 3}}'
    )
    assert code == 0
    body = json.loads(out)
    assert next(r for r in body["rules"] if r["id"] == "1:revenue")["result"] == "pass"


def test_a_key_given_twice_is_bad_input_naming_it(tmp_path, capsys):
    code, out, err = _check(
        tmp_path, capsys, '{"direction": "1.1", "facts": {"kpi_invention_patent_applications": 3, "kpi_invention_patent_applications": 2}}'
    )
    assert (code, out) == (2, "")
    assert "kpi_invention_patent_applications" in err
    assert "两次" in err


def test_a_revision_without_a_version_is_bad_input(tmp_path, capsys):
    code, out, err = _check(tmp_path, capsys, '{"direction": "1.1", "revision": "x", "facts": {}}')
    assert (code, out) == (2, "")
    assert err.startswith("yongke: revision:")


@pytest.mark.parametrize(
    ("direction", "facts", "rule"),
    [
        (
            "10.1",
            {"agri_base_type": "breeding", "kpi_base_core_poultry": 300_000, "kpi_base_radiation_poultry": 1_200_000},
            "10:breeding_base",
        ),
        ("37.1", {"kpi_science_venue_area": 100.5}, "37:venue_area"),
        ("10.1", {"agri_base_type": "planting", "kpi_base_core_area_mu": 1500.5}, "10:planting_base"),
    ],
)
def test_real_sizes_of_a_commitment_are_read(tmp_path, capsys, direction, facts, rule):
    code, out, err = _check(tmp_path, capsys, json.dumps({"direction": direction, "facts": facts}))
    assert code in (0, 1), err
    results = {r["id"]: r["result"] for r in json.loads(out)["rules"]}
    assert results[rule] == "pass"

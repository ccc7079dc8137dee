"""`yongke project verify FILE`: the offline verification contract (docs/verify.md).

Exit 0 when every indicator passes, 1 when one fails or is missing, 2 on bad input with one
line naming the field; never a traceback.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from yongke.cli.main import run
from yongke.guide.tests.folder import copy_guide, edit_guide

INDICATOR_KEYS = {"rule", "kind", "target", "actual", "result", "message", "source"}


def call(capsys, *argv):
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, content, name: str = "verify.json") -> str:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(p)


def verify(capsys, tmp_path, payload, *options):
    """(exit code, the JSON printed or None, stderr)."""
    code, out, err = call(capsys, "project", "verify", write(tmp_path, payload), *options)
    return code, (json.loads(out) if out else None), err


def bad(capsys, tmp_path, payload, *options) -> str:
    code, out, err = call(capsys, "project", "verify", write(tmp_path, payload), *options)
    assert code == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def by_rule(body):
    return {i["rule"]: i for i in body["indicators"]}


P14 = {"kpi_invention_patent_applications": 1, "kpi_new_revenue": 10_000_000}
P5 = {"leading_enterprise": True, "kpi_region_platform": True, "kpi_new_revenue": 50_000_000}
ROUTE = {
    "drug_outcome_route": "ind",
    "kpi_clinical_research_approval": False,
    "kpi_ind_implied_license": True,
    "kpi_invention_patents_applied_or_granted": 1,
}


@pytest.mark.parametrize(
    ("payload", "code", "verdict", "rate"),
    [
        ({"direction": "14.1", "targets": P14, "actuals": P14}, 0, "pass", 1.0),
        ({"direction": "14.1", "targets": P14, "actuals": {**P14, "kpi_new_revenue": 9_999_999}}, 1, "fail", 0.5),
        ({"direction": "14.1", "targets": P14, "actuals": {"kpi_new_revenue": 10_000_000}}, 1, "incomplete", 0.5),
        (
            {"direction": "14.1", "targets": {"kpi_ip_grants": 2}, "actuals": {"kpi_ip_grants": 2, "kpi_new_revenue": 10_000_000}},
            0,
            "pass",
            1.0,
        ),
        ({"direction": "14.1", "actuals": {"kpi_invention_patent_applications": 1, "kpi_new_revenue": 10_000_000}}, 0, "pass", 1.0),
        ({"direction": "14.1", "targets": P14}, 1, "incomplete", 0.0),
        (
            {"direction": "31.1", "targets": {"kpi_masters_students_trained": 3}, "actuals": {"kpi_masters_students_trained": 5}},
            1,
            "fail",
            0.0,
        ),
        ({"direction": "5.1", "targets": P5, "actuals": {"kpi_region_platform": True, "kpi_new_revenue": 50_000_000}}, 0, "pass", 1.0),
        ({"direction": "5.1", "targets": P5, "actuals": {**P5, "kpi_region_platform": False}}, 1, "fail", 0.5),
        ({"direction": "17.4", "targets": {"kpi_proprietary_ip": True}, "actuals": {"kpi_proprietary_ip": False}}, 1, "fail", 0.0),
        (
            {
                "direction": "8.2",
                "targets": ROUTE,
                "actuals": {"kpi_ind_implied_license": True, "kpi_invention_patents_applied_or_granted": 1},
            },
            0,
            "pass",
            1.0,
        ),
        (
            {
                "direction": "8.2",
                "targets": ROUTE,
                "actuals": {"kpi_ind_implied_license": False, "kpi_invention_patents_applied_or_granted": 1},
            },
            1,
            "fail",
            5 / 6,
        ),
        (
            {"direction": "10.1", "targets": {"kpi_annual_output_growth_pct": 10}, "actuals": {"kpi_annual_output_growth_pct": 9.99}},
            1,
            "fail",
            0.0,
        ),
        ({"direction": "11.1", "targets": {}, "actuals": {}}, 0, "pass", 1.0),
        ({"direction": "11.1"}, 0, "pass", 1.0),
    ],
    ids=[
        "14-at-target",
        "14-one-yuan-below",
        "14-ip-not-reported",
        "14-ip-by-grants",
        "14-no-targets",
        "14-no-actuals",
        "31-masters-beyond-range",
        "5-leading-enterprise-platform",
        "5-platform-not-built",
        "17.4-yes-no-not-achieved",
        "8.2-promised-false-needs-no-actual",
        "8.2-licence-not-obtained",
        "10-growth-below",
        "11-no-commitments",
        "11-no-targets-key",
    ],
)
def test_exit_code_follows_the_verdict(capsys, tmp_path, payload, code, verdict, rate):
    got, body, err = verify(capsys, tmp_path, payload)
    assert got == code, err
    assert (body["verdict"], body["direction"]) == (verdict, payload["direction"])
    assert body["completion_rate"] == pytest.approx(rate)


def test_the_output_has_one_indicator_per_commitment_rule_with_the_verbatim_clause(capsys, tmp_path):
    code, body, _ = verify(capsys, tmp_path, {"direction": "14.1", "targets": P14, "actuals": {**P14, "kpi_new_revenue": 9_999_999}})
    assert code == 1
    assert {"direction", "verdict", "completion_rate", "indicators"} <= set(body)
    assert body["version"] == "2022"
    assert all(set(i) >= INDICATOR_KEYS for i in body["indicators"])
    assert [i["rule"] for i in body["indicators"]] == ["14:ip", "14:revenue"]
    revenue = by_rule(body)["14:revenue"]
    assert revenue == {
        **revenue,
        "kind": "commitment",
        "target": {"kpi_new_revenue": 10_000_000},
        "actual": {"kpi_new_revenue": 9_999_999},
        "result": "fail",
        "source": "（2）项目实施期间，项目相关的新增产值或新增销售收入达到1000万元以上。",
    }
    assert by_rule(body)["14:ip"]["result"] == "pass"


def test_a_missing_actual_is_named(capsys, tmp_path):
    code, body, _ = verify(capsys, tmp_path, {"direction": "14.1", "targets": P14, "actuals": {"kpi_new_revenue": 10_000_000}})
    ip = by_rule(body)["14:ip"]
    assert (code, ip["result"]) == (1, "missing")
    assert ip["missing"] == ["kpi_invention_patent_applications", "kpi_ip_grants"]


def test_standard_input(capsys, monkeypatch):
    payload = {"direction": "14.1", "targets": P14, "actuals": P14}
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(payload).encode())))
    code, out, err = call(capsys, "project", "verify", "-")
    assert code == 0, err
    assert json.loads(out)["verdict"] == "pass"


def test_broken_standard_input_is_bad_input(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"direction": ')))
    code, out, err = call(capsys, "project", "verify", "-")
    assert (code, out) == (2, "")
    assert "JSON" in err
    assert err.count("\n") == 1


def test_a_declared_fact_no_indicator_reads_is_accepted_and_listed(capsys, tmp_path):
    code, body, _ = verify(capsys, tmp_path, {"direction": "14.1", "targets": {**P14, "requested_amount": 500_000}, "actuals": P14})
    assert (code, body["ignored"]) == (0, ["requested_amount"])


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"direction": "99.9", "targets": {}, "actuals": {}}, "99.9"),
        ({"direction": 14.1, "targets": {}, "actuals": {}}, "direction"),
        ({"targets": {}, "actuals": {}}, "direction"),
        ({"direction": "14.1", "targets": {}, "actuals": {}, "facts": {}}, "facts"),
        ({"direction": "14.1", "targets": {"no_such_fact": 1}}, "targets.no_such_fact"),
        ({"direction": "14.1", "actuals": {"no_such_fact": 1}}, "actuals.no_such_fact"),
        ({"direction": "14.1", "targets": {"kpi_new_revenue": 9_999_999}}, "targets.kpi_new_revenue"),
        ({"direction": "1.1", "targets": {"kpi_invention_patent_applications": 2}}, "targets.kpi_invention_patent_applications"),
        ({"direction": "31.1", "targets": {"kpi_masters_students_trained": 5}}, "targets.kpi_masters_students_trained"),
        ({"direction": "17.4", "targets": {"kpi_proprietary_ip": False}}, "targets.kpi_proprietary_ip"),
        ({"direction": "14.1", "targets": {"kpi_new_revenue": "ten million"}}, "targets.kpi_new_revenue"),
        ({"direction": "14.1", "actuals": {"kpi_new_revenue": 1.5}}, "actuals.kpi_new_revenue"),
        ({"direction": "17.4", "actuals": {"kpi_proprietary_ip": "yes"}}, "actuals.kpi_proprietary_ip"),
        ({"direction": "8.2", "targets": {"drug_outcome_route": "abroad"}}, "targets.drug_outcome_route"),
        ({"direction": "14.1", "actuals": {"kpi_new_revenue": -1}}, "actuals.kpi_new_revenue"),
        ({"direction": "14.1", "targets": {"kpi_ip_grants": -2}}, "targets.kpi_ip_grants"),
        ({"direction": "14.1", "targets": [], "actuals": {}}, "targets"),
        ({"direction": "14.1", "targets": {}, "actuals": None}, "actuals"),
        ({"direction": "14.1", "targets": "x"}, "targets"),
        ([{"direction": "14.1"}], "对象"),
        ("14.1", "对象"),
    ],
    ids=[
        "unknown-direction",
        "direction-number",
        "no-direction",
        "unknown-key",
        "unknown-target-fact",
        "unknown-actual-fact",
        "below-threshold",
        "below-every-alternative",
        "outside-range",
        "yes-no-promised-false",
        "target-text",
        "actual-fraction-of-yuan",
        "actual-bool-text",
        "unknown-enum-value",
        "negative-actual",
        "negative-target",
        "targets-list",
        "actuals-null",
        "targets-text",
        "top-level-list",
        "top-level-string",
    ],
)
def test_bad_input_exits_2_naming_the_field(capsys, tmp_path, payload, needle):
    assert needle in bad(capsys, tmp_path, payload)


def test_a_json_syntax_error_names_file_and_line(capsys, tmp_path):
    err = bad(capsys, tmp_path, '{\n  "direction": "14.1",\n  "targets": {,}\n}')
    assert "verify.json:3" in err


@pytest.mark.parametrize(
    ("content", "said"), [(None, "是目录"), (b"\xff\xfe{\x00\x00\xd8", "不是有效的 UTF-16")], ids=["directory", "utf16"]
)
def test_a_file_that_cannot_be_read_is_bad_input(capsys, tmp_path, content, said):
    target = tmp_path / "given"
    if content is None:
        target.mkdir()
    else:
        target.write_bytes(content)
    code, out, err = call(capsys, "project", "verify", target)
    assert (code, out) == (2, "")
    assert said in err
    assert err.count("\n") == 1


def test_a_missing_file_is_bad_input(capsys, tmp_path):
    code, out, err = call(capsys, "project", "verify", tmp_path / "nope.json")
    assert (code, out) == (2, "")
    assert "nope.json" in err


def test_no_file_argument_is_bad_input(capsys):
    code, _, err = call(capsys, "project", "verify")
    assert code == 2
    assert err.count("\n") == 1


def test_another_guide_file_is_verified_by_its_own_rules(capsys, tmp_path):
    folder = copy_guide(tmp_path)
    edit_guide(folder, "expr: kpi_new_revenue >= 10000000", "expr: kpi_new_revenue >= 20000000", file="projects/14.yaml")
    payload = {"direction": "14.1", "targets": P14, "actuals": P14}
    assert verify(capsys, tmp_path, payload)[0] == 0
    assert "targets.kpi_new_revenue" in bad(capsys, tmp_path, payload, "--guide", folder)
    doubled = {**P14, "kpi_new_revenue": 20_000_000}
    code, body, _ = verify(
        capsys,
        tmp_path,
        {"direction": "14.1", "targets": doubled, "actuals": {**doubled, "kpi_new_revenue": 19_999_999}},
        "--guide",
        folder,
    )
    assert (code, body["verdict"]) == (1, "fail")


def test_a_guide_file_that_does_not_exist_is_bad_input(capsys, tmp_path):
    assert "missing-guide" in bad(capsys, tmp_path, {"direction": "14.1"}, "--guide", tmp_path / "missing-guide")


@pytest.mark.django_db
def test_a_loaded_guide_version_is_verified_by_its_rules(capsys, tmp_path):
    assert call(capsys, "guide", "load")[0] == 0
    base = {"direction": "14.1", "targets": P14, "actuals": P14}
    code, body, err = verify(capsys, tmp_path, {**base, "version": "2022"})
    assert (code, body["version"], body["verdict"]) == (0, "2022", "pass"), err
    assert verify(capsys, tmp_path, {**base, "version": "2022", "revision": 1})[0] == 0
    assert verify(capsys, tmp_path, {**base, "version": 2022, "actuals": {**P14, "kpi_new_revenue": 1}})[0] == 1
    assert "1999" in bad(capsys, tmp_path, {**base, "version": "1999"})
    assert "version" in bad(capsys, tmp_path, {**base, "version": "2022", "revision": 99})
    assert "revision" in bad(capsys, tmp_path, {**base, "version": "2022", "revision": "first"})

"""The guide as a folder: guide.yaml, a file per project, case files that state what differs;
every problem named at its own file and line; a single file split into the same guide."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from yongke.cli.main import run
from yongke.guide.loader import default_guide_path, load_guide, read_guide
from yongke.guide.problems import GuideError
from yongke.guide.tests.folder import copy_guide, edit_guide, line_of


def _refused(folder: Path) -> GuideError:
    with pytest.raises(GuideError) as e:
        load_guide(folder, check_cases=True)
    return e.value


def test_the_bundled_guide_is_a_folder_of_a_file_per_project():
    folder = default_guide_path()
    assert (folder / "guide.yaml").is_file()
    assert len(list((folder / "projects").glob("*.yaml"))) == 38
    guide = load_guide(folder, check_cases=False)
    assert (len(guide.programmes), len(guide.projects), len(guide.directions)) == (4, 38, 65)


def test_a_fact_only_one_project_reads_is_declared_in_that_projects_file():
    folder = default_guide_path()
    top = yaml.safe_load((folder / "guide.yaml").read_text(encoding="utf-8"))
    p28 = yaml.safe_load((folder / "projects" / "28.yaml").read_text(encoding="utf-8"))
    assert "insurance_rate_patent_pct" in p28["parameters"]
    assert "insurance_rate_patent_pct" not in top.get("parameters", {})
    assert "kpi_new_revenue" in top["facts"]  # read by many projects


def test_a_structure_problem_names_the_project_file_and_its_line(tmp_path):
    folder = copy_guide(tmp_path)
    path, text = edit_guide(folder, "  kind: commitment\n", "  kind: commitment\n  exprs: x\n", file="projects/01.yaml")
    error = _refused(folder)
    assert error.message.startswith(f"{path}:{line_of(text, 'exprs: x')}: programmes[0].projects[0].rules[0].exprs（规则 1:ip）")
    assert error.detail["problems"][0]["file"] == str(path)


def test_a_meaning_problem_names_the_project_file_and_its_line(tmp_path):
    folder = copy_guide(tmp_path)
    path, text = edit_guide(folder, "expr: kpi_new_revenue >= 50000000", "expr: kpi_new_revenu >= 50000000", file="projects/02.yaml")
    (problem,) = _refused(folder).detail["problems"]
    assert (problem["file"], problem["line"]) == (str(path), line_of(text, "kpi_new_revenu >="))
    assert "kpi_new_revenu" in problem["problem"]


def test_a_problem_in_a_fact_declared_in_guide_yaml_names_guide_yaml(tmp_path):
    folder = copy_guide(tmp_path)
    path, text = edit_guide(folder, "  kpi_new_revenue:\n    type: money\n", "  kpi_new_revenue:\n    type: cash\n", file="guide.yaml")
    error = _refused(folder)
    assert error.message.startswith(f"{path}:{line_of(text, 'type: cash')}: facts.kpi_new_revenue.type")


def test_a_fact_declared_in_two_files_is_refused_naming_both(tmp_path):
    folder = copy_guide(tmp_path)
    p28 = folder / "projects" / "28.yaml"
    text = p28.read_text(encoding="utf-8").replace(
        "facts:\n", "facts:\n  kpi_new_revenue:\n    type: money\n    unit: 元\n    label: x\n    about: application\n", 1
    )
    p28.write_text(text, encoding="utf-8")
    error = _refused(folder)
    assert error.message.startswith(f"{p28}:{line_of(text, '  kpi_new_revenue:')}: facts.kpi_new_revenue")
    assert "guide.yaml" in error.message


def test_a_missing_project_file_is_named_at_its_line_in_guide_yaml(tmp_path):
    folder = copy_guide(tmp_path)
    (folder / "projects" / "05.yaml").unlink()
    error = _refused(folder)
    text = (folder / "guide.yaml").read_text(encoding="utf-8")
    assert error.message.startswith(f"{folder / 'guide.yaml'}:{line_of(text, 'projects/05.yaml')}:")
    assert "projects/05.yaml" in error.message


def test_a_case_states_what_differs_from_its_base_and_null_removes_a_fact(tmp_path):
    folder = copy_guide(tmp_path)
    (folder / "cases" / "99.yaml").write_text(
        """bases:
  达标:
    facts: {kpi_invention_patent_applications: 3, kpi_new_revenue: 50000000}
  龙头:
    base: 达标
    facts: {leading_enterprise: true, kpi_invention_patent_applications: 0, kpi_region_platform: true}
directions:
  '1.1':
  - {name: 基准即达标, base: 达标, verdict: eligible}
  - {name: 差1元, base: 达标, facts: {kpi_new_revenue: 49999999}, verdict: not_eligible, rules: {"1:revenue": fail}}
  - {name: 未填, base: 达标, facts: {kpi_new_revenue: null}, verdict: incomplete, rules: {"1:revenue": missing}}
  - {name: 龙头企业平台, base: 龙头, verdict: eligible, rules: {"1:ip": pass}}
""",
        encoding="utf-8",
    )
    guide = load_guide(folder)
    cases = {c.name: c for c in guide.direction("1.1").cases}
    assert cases["未填"].facts == {"kpi_invention_patent_applications": 3}
    assert cases["差1元"].facts == {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 49999999}
    assert cases["龙头企业平台"].facts == {
        "kpi_invention_patent_applications": 0,
        "kpi_new_revenue": 50000000,
        "leading_enterprise": True,
        "kpi_region_platform": True,
    }


def test_a_failing_case_is_named_at_its_line_in_the_case_file(tmp_path):
    folder = copy_guide(tmp_path)
    path = folder / "cases" / "99.yaml"
    text = "directions:\n  '1.1':\n  - name: 不应达标\n    facts: {kpi_invention_patent_applications: 3}\n    verdict: eligible\n"
    path.write_text(text, encoding="utf-8")
    (problem,) = _refused(folder).detail["problems"]
    assert problem["file"] == str(path)
    assert problem["line"] == line_of(text, "verdict: eligible")
    assert "不应达标" in problem["where"]


@pytest.mark.parametrize(
    ("body", "needle", "says"),
    [
        ("directions:\n  '1.1':\n  - {name: x, base: 无此基准, verdict: eligible}\n", "base: 无此基准", "no such base"),
        (
            "bases:\n  a: {base: b}\n  b: {base: a}\ndirections:\n  '1.1':\n  - {base: a, verdict: eligible}\n",
            "a: {base: b}",
            "refer to each other",
        ),
        ("directions:\n  '99.1':\n  - {verdict: eligible}\n", "'99.1'", "no such direction"),
        ("cases: []\n", "cases: []", "unknown field"),
        ("directions:\n  '1.1':\n  - {verdict: eligble}\n", "verdict: eligble", "eligble"),
    ],
)
def test_a_broken_case_file_is_refused_at_its_line(tmp_path, body, needle, says):
    folder = copy_guide(tmp_path)
    path = folder / "cases" / "99.yaml"
    path.write_text(body, encoding="utf-8")
    error = _refused(folder)
    assert error.message.startswith(f"{path}:{line_of(body, needle)}:"), error.message
    assert says in error.message


def _single_file(tmp_path: Path) -> Path:
    """The bundled guide written as one file, as a stored version holds it."""
    raw, _, _ = read_guide(default_guide_path())
    shutil.copy(default_guide_path() / raw["text"], tmp_path / raw["text"])
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_single_file_reads_as_the_same_guide_as_the_folder(tmp_path):
    one = load_guide(_single_file(tmp_path), check_cases=False)
    folder = load_guide(default_guide_path(), check_cases=False)
    assert one.raw == folder.raw
    assert one.digest == folder.digest


def test_split_writes_a_folder_that_reads_back_as_the_same_guide(tmp_path, capsys):
    code = run(["guide", "split", str(_single_file(tmp_path)), str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    body = json.loads(out)
    assert body["ok"] is True
    assert body["cases"] > 400
    assert len(list((tmp_path / "out" / "projects").glob("*.yaml"))) == 38
    assert load_guide(tmp_path / "out", check_cases=False).raw == load_guide(default_guide_path(), check_cases=False).raw


def test_split_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    code = run(["guide", "split", str(_single_file(tmp_path)), str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "folder" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("part", ["guide", "project", "cases"])
def test_each_file_of_a_folder_has_a_published_schema(capsys, part):
    name = {"guide": "guide-folder", "project": "guide-project", "cases": "guide-cases"}[part]
    assert run(["guide", "schema", "--part", part]) == 0
    printed = json.loads(capsys.readouterr().out)
    published = json.loads((Path(__file__).resolve().parents[3] / "docs" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert printed == published

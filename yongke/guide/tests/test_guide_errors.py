"""A broken guide file is refused with the place of each problem: file, line, path and item."""

from __future__ import annotations

from pathlib import Path

import pytest

from yongke.guide.loader import load_guide
from yongke.guide.problems import GuideError
from yongke.guide.tests.folder import copy_guide, edit_guide, line_of


def _refused(tmp_path: Path, old: str, new: str, file: str | None = None) -> tuple[GuideError, str, Path]:
    """Load a copy of the bundled guide folder with one edit; the error, the edited file's text and path."""
    folder = copy_guide(tmp_path)
    path, edited = edit_guide(folder, old, new, file=file)
    with pytest.raises(GuideError) as e:
        load_guide(folder, check_cases=False)
    return e.value, edited, path


def test_an_unknown_key_is_refused_at_its_line(tmp_path):
    error, text, path = _refused(tmp_path, "  kind: commitment\n", "  kind: commitment\n  exprs: x\n")
    line = line_of(text, "  exprs: x")
    assert error.message.startswith(f"{path}:{line}: programmes[0].projects[0].rules[0].exprs（规则 1:ip）: ")
    assert "unknown field" in error.message


def test_a_misspelt_kind_names_the_allowed_kinds(tmp_path):
    error, _, _ = _refused(tmp_path, "kind: commitment", "kind: commitmnt")
    (problem,) = error.detail["problems"]
    assert problem["path"] == "programmes[0].projects[0].rules[0].kind"
    assert "commitmnt" in problem["problem"]
    assert "eligibility" in problem["problem"]


def test_values_are_not_converted(tmp_path):
    error, _, _ = _refused(tmp_path, "  voucher_ratio_pct:\n    value: 50\n", "  voucher_ratio_pct:\n    value: '50'\n")
    assert error.detail["problems"][0]["path"] == "parameters.voucher_ratio_pct.value"


def test_a_meaning_problem_has_a_line_and_the_rule_id(tmp_path):
    error, text, path = _refused(tmp_path, "expr: kpi_new_revenue >= 50000000", "expr: kpi_new_revenu >= 50000000")
    (problem,) = error.detail["problems"]
    assert (problem["file"], problem["line"]) == (str(path), line_of(text, "expr: kpi_new_revenu >="))
    assert problem["where"] == "programmes[0].projects[0].rules[1].expr（规则 1:revenue）"


def test_every_problem_is_listed_and_the_message_counts_them(tmp_path):
    error, _, _ = _refused(tmp_path, "kind: commitment", "kind: must")
    error2, _, _ = _refused(tmp_path / "2", "title: 南宁", "titel: 南宁", file="guide.yaml")
    assert len(error.detail["problems"]) == 1
    assert len(error2.detail["problems"]) == 2  # title missing, titel unknown
    assert "（另有 1 处）" in error2.message


def test_an_ambiguous_rule_without_a_note_is_refused(tmp_path):
    error, _, _ = _refused(tmp_path, "  kind: commitment\n", "  kind: commitment\n  ambiguous: true\n")
    (problem,) = error.detail["problems"]
    assert problem["path"] == "programmes[0].projects[0].rules[0].note"
    assert "ambiguous" in problem["problem"]


def test_a_note_and_ambiguous_reach_the_rule():
    guide = load_guide(check_cases=False)
    rule = next(r for r in guide.direction("8.3").rules if r.id == "8.3:clinical_progress")
    assert rule.ambiguous is True
    assert rule.note
    assert rule.as_dict()["ambiguous"] is True
    assert rule.as_dict()["note"] == rule.note
    plain = next(r for r in guide.direction("8.3").rules if r.id == "8.3:patent")
    assert "note" not in plain.as_dict()
    assert "ambiguous" not in plain.as_dict()


def test_the_published_json_schema_is_the_schema_the_loader_checks():
    import json
    from pathlib import Path

    from yongke.guide.schema import json_schema

    published = Path(__file__).resolve().parents[3] / "docs" / "guide.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == json.loads(json.dumps(json_schema(), ensure_ascii=False))


def test_the_json_schema_names_the_rules_across_claims():
    from yongke.guide.schema import json_schema

    defs = json_schema()["$defs"]
    assert {"ClaimsSpec", "OnceSpec", "HistorySpec", "ExcludeSpec", "CapSpec"} <= set(defs)

"""The award rules as guide data: every formula direction complete, and validation guards the breakdown."""

from __future__ import annotations

import copy

import pytest

from yongke.core.errors import BadInput
from yongke.guide.loader import parse_guide

AWARD_DIRECTIONS = ["23.1", "23.2", "24.1", "25.1", "26.1", "27.1", "28.1", "30.1", "30.2", "32.1", "32.2", "33.1", "33.2", "34.1", "35.1"]


def test_every_formula_direction_has_requires_terms_and_verbatim_steps(guide):
    for did in AWARD_DIRECTIONS:
        (award,) = [r for r in guide.direction(did).rules if r.kind == "award"]
        assert award.requires, did
        assert award.terms, did
        for s in award.terms + award.limits:
            assert s.source in guide.text, (did, s.source)


def test_figures_the_guide_leaves_out_are_assumed_parameters(guide):
    for name in ("rd_award_rate_pct", "voucher_ratio_pct", "lab_animal_award", "insurance_rate_patent_pct", "insurance_rate_property_pct"):
        assert guide.parameters[name].assumed, name


def test_yearly_caps_are_marked_per_year(guide):
    per_year = {
        d: [s.expr for s in r.limits if s.per_year] for d in AWARD_DIRECTIONS for r in guide.direction(d).rules if r.kind == "award"
    }
    assert per_year["28.1"] == ["250000"]
    assert per_year["32.1"] == ["1000000"]
    assert len(per_year["27.1"]) == 1
    assert {d for d, v in per_year.items() if v} == {"27.1", "28.1", "32.1"}


def _programme_3(guide) -> dict:
    """The guide's third programme (projects 23–29) on its own, to validate edits quickly."""
    raw = copy.deepcopy(guide.raw)
    raw["programmes"] = [raw["programmes"][2]]
    return raw


def _award(raw: dict, direction: str) -> dict:
    for p in raw["programmes"][0]["projects"]:
        for d in p["directions"]:
            if d["id"] == direction:
                return next(r for r in d["rules"] if r["kind"] == "award")
    raise KeyError(direction)


def test_the_unchanged_programme_validates(guide):
    parse_guide(_programme_3(guide), text=guide.text, partial=True)


def test_a_breakdown_that_does_not_add_up_is_refused(guide):
    raw = _programme_3(guide)
    _award(raw, "26.1")["terms"][1]["expr"] = "points >= 80 ? 310000 : 0"
    with pytest.raises(BadInput) as e:
        parse_guide(raw, text=guide.text, partial=True)
    assert "分项合计" in e.value.message


def test_requires_must_cover_what_the_formula_reads(guide):
    raw = _programme_3(guide)
    _award(raw, "27.1")["requires"] = ["applicant_kind"]
    _award(raw, "26.1")["requires"] = ["region_award_received"]
    with pytest.raises(BadInput) as e:
        parse_guide(raw, text=guide.text, partial=True)
    problems = [p["problem"] for p in e.value.detail["problems"]]
    assert any("requires" in p and "service_cost" in p for p in problems)
    assert any("requires" in p and "points" in p for p in problems)


def test_a_step_source_must_be_verbatim(guide):
    raw = _programme_3(guide)
    _award(raw, "28.1")["limits"][0]["source"] = "单个企业每年最高补贴25万元"
    with pytest.raises(BadInput) as e:
        parse_guide(raw, text=guide.text, partial=True)
    assert "verbatim" in e.value.message


def test_steps_only_on_award_rules(guide):
    raw = _programme_3(guide)
    d = raw["programmes"][0]["projects"][3]["directions"][0]  # 26.1
    gate = next(r for r in d["rules"] if r["id"] == "26.1:points")
    gate["terms"] = [{"step": "x", "expr": "1", "source": gate["source"]}]
    with pytest.raises(BadInput):
        parse_guide(raw, text=guide.text, partial=True)

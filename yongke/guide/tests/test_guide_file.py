"""The bundled 2022 guide: complete, verbatim, and every rule exercised by its own cases."""

from __future__ import annotations

import re

import pytest

from yongke.guide.loader import load_guide
from yongke.guide.model import GATING_KINDS, NUMERIC_TYPES
from yongke.guide.validate import uncovered


def test_guide_has_four_programmes_38_projects_65_directions(guide):
    assert [p.name for p in guide.programmes] == ["科技重大专项", "重点研发计划", "技术创新引导专项", "科技基地专项"]
    assert [p.id for p in guide.projects] == [str(i) for i in range(1, 39)]
    assert len(guide.directions) == 65


def test_programme_project_split_follows_the_guide(guide):
    counts = [len(p.projects) for p in guide.programmes]
    assert counts == [13, 9, 7, 9]


def test_lost_headings_are_named_and_marked_inferred(guide):
    inferred = {p.id: p.name for p in guide.projects if p.name_inferred}
    assert inferred == {"1": "新能源汽车及零部件", "3": "铝精深加工", "5": "林产品加工"}
    assert guide.programmes[0].name_inferred
    assert not any(p.name_inferred for p in guide.programmes[1:])


def test_direction_ids_follow_the_guide_numbering(guide):
    ids = [d.id for d in guide.directions]
    assert ids[:3] == ["1.1", "1.2", "2.1"]
    assert "17.5" in ids
    assert "30.1" in ids
    assert "30.2" in ids
    assert "13.1" in ids
    assert "17.6" not in ids
    assert "3.2" not in ids
    for p in guide.projects:
        assert [d.id for d in p.directions] == [f"{p.id}.{i}" for i in range(1, len(p.directions) + 1)]


def test_every_source_and_text_is_verbatim_from_the_published_text(guide):
    for d in guide.directions:
        assert d.text in guide.text
        for r in d.rules:
            assert r.source, r.id
            assert r.source in guide.text, r.id
            assert "[bookmark" not in r.source


def test_nothing_of_the_published_text_is_dropped(guide):
    assert uncovered(guide) == []


def test_every_rule_has_a_known_kind_and_a_chinese_message(guide):
    for r in guide.rules:
        assert r.kind in ("eligibility", "commitment", "document", "priority", "naming", "limit", "award", "officer")
        assert re.search(r"[\u4e00-\u9fff]", r.message), r.id
        if r.kind in GATING_KINDS or r.kind == "award":
            assert r.expr, r.id
        if r.kind == "officer":
            assert r.reason, r.id
        if r.kind == "document":
            assert r.evidence, r.id


def test_every_quantity_declares_its_unit_and_money_is_yuan(guide):
    for f in guide.facts.values():
        if f.type in NUMERIC_TYPES:
            assert f.unit, f.name
        if f.type == "money":
            assert f.unit == "元", f.name


def test_every_direction_has_an_eligible_case(guide):
    for d in guide.directions:
        assert any(c.verdict == "eligible" for c in d.cases), d.id


def test_every_gate_has_a_case_where_it_fails(guide):
    for d in guide.directions:
        failed = {rid for c in d.cases for rid, res in c.rules.items() if res == "fail"}
        for r in d.rules:
            if r.gating and r.expr:
                assert r.id in failed, f"{d.id}: no case fails {r.id}"


def test_award_directions_declare_an_award_rule(guide):
    award_directions = [
        "23.1",
        "23.2",
        "24.1",
        "25.1",
        "26.1",
        "27.1",
        "28.1",
        "30.1",
        "30.2",
        "32.1",
        "32.2",
        "33.1",
        "33.2",
        "34.1",
        "35.1",
    ]
    for did in award_directions:
        d = guide.direction(did)
        assert [r.id for r in d.rules if r.kind == "award"] == [f"{did}:award"], did
        assert d.project.funding == "post"


def test_loading_twice_gives_the_same_digest():
    assert load_guide().digest == load_guide().digest


@pytest.mark.parametrize("direction_id", ["1.1", "17.5", "30.1"])
def test_export_lists_rules_with_sources(guide, direction_id):
    exported = guide.export()
    directions = {d["id"]: d for prog in exported["programmes"] for p in prog["projects"] for d in p["directions"]}
    rules = directions[direction_id]["rules"]
    assert rules
    assert all({"id", "kind", "expr", "message", "source"} <= set(r) for r in rules)

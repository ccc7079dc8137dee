"""The guide file's own test cases (input facts → expected verdicts), OpenFisca style."""

from __future__ import annotations

import pytest

from yongke.guide.loader import load_guide

_GUIDE = load_guide(check_cases=False)
CASES = [(d.id, c) for d in _GUIDE.directions for c in d.cases]


@pytest.mark.parametrize(("direction_id", "case"), CASES, ids=[f"{d}:{c.name}" for d, c in CASES])
def test_guide_case(compiled, direction_id, case):
    got = compiled.check(direction_id, case.facts)
    assert got["verdict"] == case.verdict
    results = {r["id"]: r["result"] for r in got["rules"]}
    for rule_id, expected in case.rules.items():
        assert results[rule_id] == expected, rule_id

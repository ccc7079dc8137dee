"""The payment plan: tranches adding up to the grant exactly, whatever the amount and shares; the
budget's 财政资助 scaled to the approved amount adding up exactly too."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.core.errors import BadInput
from yongke.projects import rules
from yongke.projects import services as svc
from yongke.projects.taskbook import scale_fiscal
from yongke.projects.tests.helpers import fresh, opened
from yongke.testing import build_world, make_user


@st.composite
def shares(draw) -> list[int]:
    """Percentages adding up to 100, one to six of them."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=99), max_size=5)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(bounds)]


@given(total=st.integers(min_value=0, max_value=10**12), parts=shares())
def test_a_split_adds_up_to_the_total_exactly(total, parts):
    amounts = rules.split_shares(total, parts)
    assert sum(amounts) == total
    assert len(amounts) == len(parts)
    assert all(a >= 0 for a in amounts)


@given(total=st.integers(min_value=1, max_value=10**12).filter(lambda n: n % 10))
def test_the_default_plan_splits_an_odd_amount_seventy_thirty(total):
    first, rest = rules.split_shares(total, [t.share_pct for t in rules.rules().tranches])
    assert first == total * 70 // 100
    assert first + rest == total


@given(
    lines=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=9).filter(any),
    cut=st.floats(min_value=0, max_value=1),
)
def test_the_fiscal_parts_scaled_to_the_approved_amount_add_up_exactly(lines, cut):
    requested = sum(lines)
    approved = int(requested * cut)
    budget = [(f"c{i}", f, 7, "") for i, f in enumerate(lines)]
    scaled = scale_fiscal(budget, approved)
    assert sum(f for _c, f, _s, _b in scaled) == approved
    assert all(0 <= f <= line for (_c, f, _s, _b), line in zip(scaled, lines, strict=True))
    assert all(s == 7 for _c, _f, s, _b in scaled)


def test_a_grant_a_yuan_short_gives_no_line_more_than_it_asked():
    lines = [("equipment", 100_000, 0, ""), ("materials", 100_000, 0, ""), ("testing", 100_000, 0, "")]
    assert [f for _c, f, _s, _b in scale_fiscal(lines, 299_999)] == [100_000, 100_000, 99_999]


@pytest.fixture
def project(db):
    world = build_world()
    return world, opened(world, amount=500_001)


def _plan(world, project, tranches):
    return svc.task_book_update(
        actor=world.officer, project=project, lock_version=fresh(project).lock_version, changes={"tranches": tranches}
    )


def test_a_plan_by_shares_is_split_to_the_yuan(project):
    world, p = project
    _plan(world, p, [{"share_pct": 65, "condition": "signing"}, {"share_pct": 35, "condition": "acceptance"}])
    assert [t.amount for t in p.tranches.all()] == [325_000, 175_001]


def test_a_plan_by_amounts_adding_up_to_the_grant_is_kept(project):
    world, p = project
    _plan(world, p, [{"amount": 300_001, "condition": "signing"}, {"amount": 200_000, "condition": "midterm", "label": "中期"}])
    assert [(t.order, t.label, t.amount, t.condition) for t in p.tranches.all()] == [
        (1, "第1期", 300_001, "signing"),
        (2, "中期", 200_000, "midterm"),
    ]


def test_a_plan_by_amounts_not_adding_up_to_the_grant_is_refused(project):
    world, p = project
    with pytest.raises(BadInput) as e:
        _plan(world, p, [{"amount": 300_000, "condition": "signing"}, {"amount": 200_000, "condition": "acceptance"}])
    assert e.value.detail == {"field": "tranches", "total": 500_000, "approved": 500_001}
    assert sum(t.amount for t in p.tranches.all()) == 500_001


def test_shares_not_adding_up_to_100_are_refused(project):
    world, p = project
    with pytest.raises(BadInput) as e:
        _plan(world, p, [{"share_pct": 70, "condition": "signing"}, {"share_pct": 20, "condition": "acceptance"}])
    assert e.value.detail["field"] == "tranches"


def test_an_unknown_condition_is_refused(project):
    world, p = project
    with pytest.raises(BadInput) as e:
        _plan(world, p, [{"share_pct": 100, "condition": "whenever"}])
    assert e.value.detail["field"] == "tranches[0].condition"


def test_a_calls_default_plan_applies_to_the_projects_opened_after(db):
    world = build_world()
    svc.call_project_settings_set(
        actor=make_user("officer", programme="*"),  # the world's call opens every programme
        call=world.call,
        tranches=[
            {"share_pct": 50, "condition": "signing"},
            {"share_pct": 30, "condition": "midterm"},
            {"share_pct": 20, "condition": "acceptance"},
        ],
    )
    p = opened(world, amount=100_001)
    assert [(t.amount, t.condition) for t in p.tranches.all()] == [(50_000, "signing"), (30_000, "midterm"), (20_001, "acceptance")]

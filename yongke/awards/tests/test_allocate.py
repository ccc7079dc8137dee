"""Budget allocation: exact, integer, within a yuan of the proportional share, order-independent."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yongke.awards.allocate import allocate, award_allocate
from yongke.core.errors import BadInput

claims_st = st.lists(
    st.tuples(st.one_of(st.integers(0, 10**6), st.text(min_size=1, max_size=4)), st.integers(0, 10**9)),
    min_size=1,
    max_size=60,
    unique_by=lambda c: (isinstance(c[0], str), c[0]),
)


def as_dict(result) -> dict:
    return dict(result.amounts)


@settings(max_examples=200, deadline=None)
@given(claims=claims_st, data=st.data())
def test_over_budget_properties(claims, data):
    total = sum(a for _, a in claims)
    budget = data.draw(st.integers(0, max(total - 1, 0)))
    if total <= budget:
        return
    result = allocate(budget, claims)
    got = as_dict(result)
    assert sum(got.values()) == budget
    for claim_id, amount in claims:
        paid = got[claim_id]
        assert isinstance(paid, int)
        assert 0 <= paid <= amount
        assert abs(paid - Fraction(amount * budget, total)) < 1
    assert result.ratio == Fraction(budget, total)


@settings(max_examples=200, deadline=None)
@given(claims=claims_st, data=st.data())
def test_independent_of_claim_order(claims, data):
    total = sum(a for _, a in claims)
    budget = data.draw(st.integers(0, total + 10))
    shuffled = data.draw(st.permutations(claims))
    assert as_dict(allocate(budget, claims)) == as_dict(allocate(budget, shuffled))


@settings(max_examples=100, deadline=None)
@given(claims=claims_st, extra=st.integers(0, 10**6))
def test_claims_that_fit_are_paid_in_full(claims, extra):
    total = sum(a for _, a in claims)
    result = allocate(total + extra, claims)
    assert result.amounts == claims
    assert result.ratio == 1


def test_ties_go_by_id_not_position():
    claims = [("c", 1), ("a", 1), ("b", 1)]
    assert as_dict(allocate(2, claims)) == {"a": 1, "b": 1, "c": 0}
    assert as_dict(allocate(2, list(reversed(claims)))) == {"a": 1, "b": 1, "c": 0}


def test_numeric_ids_tie_in_numeric_order():
    assert as_dict(allocate(1, [(10, 1), (9, 1)])) == {9: 1, 10: 0}


def test_largest_remainder_wins():
    # Shares 33.33…, 33.33…, 33.33… of 100 for 50/50/50 → one extra yuan, to "a" (tie by id).
    got = award_allocate(
        {"budget": 100, "claims": [{"id": "b", "amount": 50}, {"id": "a", "amount": 50}, {"id": "c", "amount": 50}]}
    ).as_dict()
    assert got == {"allocations": [{"id": "b", "amount": 33}, {"id": "a", "amount": 34}, {"id": "c", "amount": 33}], "ratio": 0.666667}
    # 70/20/10 of 55 → 38.5, 11, 5.5: the two halves tie; ids decide.
    got = as_dict(allocate(55, [("x", 70), ("y", 20), ("z", 10)]))
    assert got == {"x": 39, "y": 11, "z": 5}


def test_zero_budget_pays_nothing():
    assert as_dict(allocate(0, [("a", 5), ("b", 7)])) == {"a": 0, "b": 0}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"budget": -1, "claims": []}, "budget"),
        ({"budget": 1.5, "claims": []}, "budget"),
        ({"claims": []}, "budget"),
        ({"budget": 10, "claims": [{"id": "a", "amount": -3}]}, "claims[0].amount"),
        ({"budget": 10, "claims": [{"id": "a", "amount": "3"}]}, "claims[0].amount"),
        ({"budget": 10, "claims": [{"id": "a"}]}, "claims[0].amount"),
        ({"budget": 10, "claims": [{"id": "a", "amount": 1}, {"id": "a", "amount": 2}]}, "claims[1].id"),
        ({"budget": 10, "claims": [{"id": None, "amount": 1}]}, "claims[0].id"),
        ({"budget": 10, "claims": {"a": 1}}, "claims"),
        ({"budget": 10, "claims": [], "total": 3}, "total"),
    ],
)
def test_bad_requests_name_the_field(data, field):
    with pytest.raises(BadInput) as e:
        award_allocate(data)
    assert e.value.detail["field"] == field

"""拟立项 holds the call's budget: the amounts decided under a budget (its direction's, else its
project's) never exceed it; exactly the budget is accepted."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from yongke.applications.models import Application
from yongke.core.errors import Refused
from yongke.testing import ELIGIBLE, advance, build_world, make_application_in, make_call

pytestmark = pytest.mark.django_db

BUDGET = 1_500_000  # two applications asking 1,000,000 each cannot both have all of it


@pytest.fixture
def world():
    return build_world(budgets={"1.1": BUDGET})


def _in_review(world, **kwargs):
    return make_application_in("expert_review", world=world, **kwargs)


def _fund(world, app, amount):
    return advance(app, world, "fund", amount=amount)


def test_funding_beyond_the_calls_budget_is_refused(world):
    _fund(world, _in_review(world), 1_000_000)
    second = _in_review(world)
    with pytest.raises(Refused) as e:
        _fund(world, second, 500_001)
    assert e.value.code == "over_budget"
    assert e.value.detail["used"] == 1_000_000
    second.refresh_from_db()
    assert (second.state, second.decided_amount) == ("expert_review", None)


def test_funding_exactly_to_the_budget_is_accepted(world):
    _fund(world, _in_review(world), 1_000_000)
    assert _fund(world, _in_review(world), 500_000).state == "funded"


def test_a_projects_budget_is_shared_by_its_directions():
    world = build_world(budgets={"1": BUDGET})
    _fund(world, _in_review(world, direction="1.1"), 1_000_000)
    with pytest.raises(Refused) as e:
        _fund(world, _in_review(world, direction="1.2", facts=ELIGIBLE["1.1"]), 500_001)
    assert e.value.detail["budget_key"] == "1"


def test_an_application_not_funded_draws_nothing_on_the_budget(world):
    refused = _in_review(world)
    advance(refused, world, "not_fund", comment="评审未通过")
    assert _fund(world, _in_review(world), 1_000_000).state == "funded"


def test_the_budget_of_another_call_is_its_own(world):
    _fund(world, _in_review(world), 1_000_000)
    other = make_call(budgets={"1.1": 1_000_000})
    assert _fund(world, _in_review(world, call=other), 1_000_000).state == "funded"


def test_a_direction_without_a_budget_is_not_limited(world):
    app = _in_review(world, direction="14.1")
    assert _fund(world, app, 1_000_000).state == "funded"


def test_the_budget_holds_through_publication_and_contract(world):
    first = _fund(world, _in_review(world), 1_000_000)
    advance(first, world, "publish", "contract")
    with pytest.raises(Refused):
        _fund(world, _in_review(world), 500_001)


@pytest.fixture
def two_in_review(world):
    return world, _in_review(world), _in_review(world)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.integers(min_value=1, max_value=1_000_000), second=st.integers(min_value=1, max_value=1_000_000))
@example(first=1_000_000, second=500_000)
@example(first=1_000_000, second=500_001)
@example(first=750_000, second=750_000)
def test_the_second_decision_fits_exactly_when_the_sum_is_within_the_budget(two_in_review, first, second):
    world, a, b = two_in_review
    with transaction.atomic():
        _fund(world, Application.objects.get(pk=a.pk), first)
        try:
            _fund(world, Application.objects.get(pk=b.pk), second)
            outcome = "funded"
        except Refused as e:
            outcome = e.code
        transaction.set_rollback(True)
    assert outcome == ("funded" if first + second <= BUDGET else "over_budget")

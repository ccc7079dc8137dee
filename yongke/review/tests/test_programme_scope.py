"""Programme scope of the review: an officer reads the rounds and rankings of their own
programmes only, and no administrator reads or organises a review (三权分立)."""

from __future__ import annotations

import pytest

from yongke.core.errors import NotFound, PermissionDenied
from yongke.review import selectors, services
from yongke.review.models import ReviewRound
from yongke.review.tests.test_review_completeness import _experts
from yongke.testing import TEST, build_world, make_application_in, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rounds():
    """A round of programme 1 (direction 1.1) run by its officer, one of programme 2 (14.1) by
    the system, and one of both run by the system."""
    world = build_world(budgets={"1.1": 100_000_000, "14.1": 100_000_000})
    mine = [make_application_in("expert_review", world=world) for _ in range(2)]
    _experts(3)
    own = services.review_round_run(actor=world.officer, call=world.call, directions=["1.1"], k=2, max_load=6)
    other_apps = [make_application_in("expert_review", world=world, direction="14.1", org=world.other_org) for _ in range(2)]
    other = services.review_round_run(actor=TEST, call=world.call, directions=["14.1"], k=2, max_load=6)
    return {"world": world, "own": own, "other": other, "mine": mine, "theirs": other_apps}


def test_an_officer_sees_their_programmes_rounds_only(rounds):
    world, own, other = rounds["world"], rounds["own"], rounds["other"]
    assert set(selectors.rounds_visible_to(world.officer).values_list("pk", flat=True)) == {own.pk}
    assert set(selectors.rounds_visible_to(world.other_officer).values_list("pk", flat=True)) == {other.pk}
    assert set(selectors.rounds_visible_to(make_user("officer", programme="*")).values_list("pk", flat=True)) == {own.pk, other.pk}
    with pytest.raises(NotFound):
        selectors.round_for(world.officer, other.pk)
    with pytest.raises(NotFound):
        selectors.ranking(world.officer, other)


def test_a_ranking_shows_the_officers_directions_only(rounds):
    world = rounds["world"]
    both = ReviewRound.objects.get(pk=rounds["own"].pk)
    # the programme 2 round's tasks moved into the programme 1 round: a round reviewing both programmes
    rounds["other"].assignments.update(round=both)
    full = selectors.ranking(TEST, both)
    assert set(full["incomplete"]) == {"1.1", "14.1"}
    mine = selectors.ranking(world.officer, both)
    assert set(mine["incomplete"]) == {"1.1"}
    assert not mine["directions"]
    assert mine["review"]["applications"] == 2
    assert set(selectors.ranking(world.other_officer, both)["incomplete"]) == {"14.1"}


def test_an_officer_of_another_programme_may_not_close_their_round(rounds):
    with pytest.raises(PermissionDenied):
        services.review_round_close(actor=rounds["world"].other_officer, round=rounds["own"])
    rounds["own"].refresh_from_db()
    assert rounds["own"].status == "assigned"


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "security"])
def test_administrators_neither_read_nor_run_a_review(rounds, who):
    world = rounds["world"]
    user = getattr(world, who, None) or make_user(who)
    with pytest.raises(PermissionDenied):
        selectors.rounds_visible_to(user)
    with pytest.raises(PermissionDenied):
        selectors.expert_pool_for(user)
    with pytest.raises(PermissionDenied):
        services.review_round_close(actor=user, round=rounds["own"])
    with pytest.raises(PermissionDenied):
        services.review_round_run(actor=user, call=world.call, directions=["1.1"], k=2)

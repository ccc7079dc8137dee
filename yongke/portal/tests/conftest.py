"""Fixtures of the portal's tests: the shared world of yongke.testing, as the portal's pages need it."""

from __future__ import annotations

import pytest

from yongke.testing import SIGN_IN_NAMES, World, build_world, make_application_in, make_person


def portal_world() -> World:
    """A call to four directions with a budget for programme 1, an officer of every programme,
    and the demo's usernames, which the sign-in tests type."""
    return build_world(
        directions=["1.1", "1.2", "2.1", "24.1"],
        budgets={"1": 20_000_000},
        officer_programmes=("*",),
        org_name="南宁市测试新能源有限公司",
        usernames=SIGN_IN_NAMES,
    )


@pytest.fixture
def world(db) -> World:
    return portal_world()


def an_application(world: World, state: str = "draft", **kwargs):
    """An application of the world's organisation in `state`, with a leader of its own; funded with 80万."""
    return make_application_in(state, world=world, leader=make_person(world.org), amount=800_000, comment="测试意见", **kwargs)

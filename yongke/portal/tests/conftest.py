"""Fixtures of the portal's tests: a published guide, an open call, a user for every role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from yongke.applications import services
from yongke.testing import ELIGIBLE_1_1, make_application, make_call, make_guide, make_org, make_person, make_user

PASSWORD = "pw-Test-1234"


@dataclass
class World:
    version: Any
    call: Any
    org: Any
    org_admin: Any
    applicant: Any
    recommender: Any
    officer: Any
    finance: Any
    auditor: Any
    admin: Any
    expert: Any


def build_world() -> World:
    version = make_guide()
    call = make_call(directions=["1.1", "1.2", "2.1", "24.1"], budgets={"1": 20_000_000})
    org = make_org(district="450103", name="南宁市测试新能源有限公司")
    return World(
        version=version,
        call=call,
        org=org,
        org_admin=make_user("org_admin", organisation=org, username="ent_admin"),
        applicant=make_user("applicant", organisation=org, username="applicant"),
        recommender=make_user("recommender", unit="450103", username="qingxiu"),
        officer=make_user("officer", programme="*", username="officer"),
        finance=make_user("finance", username="finance"),
        auditor=make_user("auditor", username="auditor"),
        admin=make_user("sysadmin", username="admin"),
        expert=make_user("expert", username="expert"),
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


def advance(app, world: World, *steps: str, amount: int = 800_000):
    """Take the workflow steps with the right actor each; returns the application."""
    actors = {"submit": world.applicant, "recommend": world.recommender, "not_recommend": world.recommender}
    for action in steps:
        actor = actors.get(action, world.officer)
        app, _ = services.application_transition(
            actor=actor,
            application=app,
            action=action,
            comment="测试意见",
            amount=amount if action in ("fund", "check") else None,
            objection_days=5 if action == "publish" else None,
        )
    return app


def an_application(world: World, *steps: str, **kwargs):
    org = kwargs.pop("org", world.org)
    leader = kwargs.pop("leader", None) or make_person(org)
    app = make_application(call=world.call, org=org, user=world.applicant, facts=kwargs.pop("facts", ELIGIBLE_1_1), leader=leader, **kwargs)
    return advance(app, world, *steps)

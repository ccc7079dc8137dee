"""Programme scope of the post-subsidy claims: the officers of a direction's programme allocate
its budget and screen for its claims; an officer of another programme, and no administrator, may."""

from __future__ import annotations

import pytest

from yongke.applications.models import Application
from yongke.awards import services
from yongke.awards.tests.test_claims import checked_incubators, claim, setting  # noqa: F401 - fixtures
from yongke.core.errors import PermissionDenied
from yongke.testing import make_org, make_user

pytestmark = pytest.mark.django_db


def _amounts(call) -> list[int]:
    return sorted(int(a.decided_amount or 0) for a in Application.objects.filter(call=call, direction="33.1"))


def test_the_programmes_officer_allocates_its_claims(setting, checked_incubators):  # noqa: F811
    own = make_user("officer", programme="4")  # 33.1 is programme 4's
    result = services.claims_allocate(actor=own, call=setting["call"], direction="33.1")
    assert sorted(a["amount"] for a in result["allocations"]) == [500_000, 1_000_000, 1_000_000]


@pytest.mark.parametrize("who", ["officer_of_programme_1", "sysadmin", "auditor", "security", "finance"])
def test_nobody_else_allocates_them(setting, checked_incubators, who):  # noqa: F811
    user = make_user("officer", programme="1") if who == "officer_of_programme_1" else make_user(who)
    before = _amounts(setting["call"])
    with pytest.raises(PermissionDenied):
        services.claims_allocate(actor=user, call=setting["call"], direction="33.1")
    assert _amounts(setting["call"]) == before == [1_000_000, 2_000_000, 2_000_000]


def test_an_officer_screens_for_their_programmes_directions_only(setting):  # noqa: F811
    make_org(county_research_award_received=True, innovative_county_recognized=True, county_work_system=True)  # qualifies for 35.1
    other = make_user("officer", programme="3")  # the call opens 28.1 of programme 3 too
    assert services.registry_screen(actor=other, call=setting["call"])["created"] == 0
    assert not Application.objects.filter(call=setting["call"], direction="35.1").exists()
    with pytest.raises(PermissionDenied):
        services.registry_screen(actor=make_user("officer", programme="1"), call=setting["call"])  # nothing of programme 1
    with pytest.raises(PermissionDenied):
        services.claims_from_screening(actor=other, call=setting["call"], found=[{"uscc": "x", "direction": "35.1", "facts": {}}])
    own = make_user("officer", programme="4")
    assert services.registry_screen(actor=own, call=setting["call"])["created"] == 1

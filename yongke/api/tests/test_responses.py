"""Typed responses carry what the domain returns, every field of it: each body below equals the
service's own answer for the same input. (ninja drops what a response schema does not name,
so a field missing from a schema would vanish from the wire without these.)"""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from yongke.applications import services as app_services
from yongke.awards import services as award_services
from yongke.awards.allocate import award_allocate
from yongke.awards.quote import award_quote
from yongke.guide.selectors import compiled_for, guide_version_current
from yongke.review import selectors as review_selectors
from yongke.review import services as review_services
from yongke.testing import TEST, make_org, make_person

A = "/api/v1"


def wire(value):
    """What a value looks like once sent as JSON."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


PLATFORM = {"platform_level": "region_eng_center", "recognized_on": "2022-03-01", "content": "智能制造装备关键技术"}
QUOTES = {
    "eligible": {"direction": "26.1", "facts": {"points": 80, "region_award_received": True}},
    "to_verify": {"direction": "26.1", "facts": {"points": 75, "region_award_received": True}},
    "rule_failed": {"direction": "26.1", "facts": {"points": 75, "region_award_received": True, "registered_in_nanning": False}},
    "annual_cap": {
        "direction": "28.1",
        "facts": {"premiums": [{"kind": "patent", "amount": 200_000}]},
        "history": [{"direction": "28.1", "year": 2022, "amount": 150_000}],
    },
    "annual_cap_reached": {
        "direction": "27.1",
        "facts": {"applicant_kind": "team", "service_cost": 10_000},
        "history": [{"direction": "27.1", "year": 2022, "amount": 50_000}],
    },
    "excluded": {
        "direction": "30.1",
        "facts": PLATFORM,
        "history": [{"kind": "enterprise_tech_center", "year": 2021, "level": "region", "content": "智能制造装备 关键技术"}],
    },
    "paid_once": {
        "direction": "30.1",
        "facts": PLATFORM,
        "history": [
            {"direction": "30.1", "year": 2022, "level": "region_eng_center", "content": "智能制造装备关键技术", "amount": 300_000}
        ],
    },
}


@pytest.mark.parametrize("case", sorted(QUOTES))
def test_a_quote_is_the_domains_quote(api, world, case):
    request = QUOTES[case]
    r = api.post(f"{A}/awards/quote", json=request)
    assert r.status_code == 200, r.content
    expected = award_quote(
        compiled_for(guide_version_current()), direction=request["direction"], facts=request["facts"], history=request.get("history")
    )
    assert r.json() == wire(expected)


def test_the_quotes_cover_every_reason(api, world):
    seen = {reason["code"] for request in QUOTES.values() for reason in api.post(f"{A}/awards/quote", json=request).json()["reasons"]}
    assert seen == {"to_verify", "rule_failed", "annual_cap", "annual_cap_reached", "excluded", "paid_once", "assumed_parameter"}


def test_a_check_is_the_domains_check(api, world):
    r = api.as_("applicant").post(f"{A}/applications/{world.draft_a.pk}/check")
    assert r.status_code == 200
    assert r.json() == wire(app_services.application_check(world.draft_a))


def test_an_allocation_is_the_domains_allocation(api, world):
    request = {"budget": 1_000, "claims": [{"id": "a", "amount": 700}, {"id": 7, "amount": 500}, {"id": "c", "amount": 1}]}
    r = api.as_("finance").post(f"{A}/awards/allocate", json=request)
    assert r.status_code == 200
    assert r.json() == wire(award_allocate(request).as_dict())


def test_a_screening_is_the_domains_screening(api, world):
    rows = [
        {"name": "甲", "uscc": "91450103MA5L123454", "points": 75, "region_award_received": True},
        {"name": "乙", "uscc": "91450100MA5L00100N", "points": 60, "region_award_received": True},
    ]
    r = api.as_("officer").post(f"{A}/awards/screen", json={"orgs": rows})
    assert r.status_code == 200, r.content
    assert r.json() == wire(award_services.organisations_screen(actor=TEST, rows=rows))
    assert r.json()["skipped"]  # directions whose required facts the rows lack are listed, not lost


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"name": "甲", "points": [1]}], "orgs[0].points"),  # a list where a value belongs
        ([{"name": "甲", "points": {"a": 1}}], "orgs[0].points"),
        ([{"name": "甲", "points": 75.5}, {"name": "乙", "points": True, "x": []}], "orgs[1].x"),
    ],
)
def test_a_screening_of_values_that_are_not_plain_is_bad_input_naming_them(api, world, rows, field):
    r = api.as_("officer").post(f"{A}/awards/screen", json={"orgs": rows})
    assert r.status_code == 400, r.content
    assert r.json()["detail"]["field"] == field


def test_the_claims_of_a_direction_are_the_domains(api, world):
    r = api.as_("officer").get(f"{A}/calls/{world.call.pk}/claims?direction=26.1")
    assert r.status_code == 200
    assert r.json() == wire(award_services.claims_ranked(user=world.users["officer"], call=world.call, direction="26.1"))


def test_a_round_and_its_ranking_are_the_domains(api, world):
    officer, recommender = world.users["officer"], world.users["recommender"]
    app = world.submitted_a
    for who, action in ((recommender, "recommend"), (officer, "accept"), (officer, "start_review")):
        app, _ = app_services.application_transition(actor=who, application=app, action=action)
    expert_user = world.users["expert"]
    review_services.expert_add(  # a keyword of the title: the pair's affinity is above the floor (0)
        actor=TEST, person=make_person(make_org(district="450107"), user=expert_user), fields=["C3976"], keywords=["测试"], user=expert_user
    )
    r = api.as_("officer").post(f"{A}/calls/{world.call.pk}/review-rounds", json={"k": 1, "directions": ["1.1"]})
    assert r.status_code == 201, r.content
    rnd = review_selectors.round_for(officer, r.json()["id"])
    assert r.json()["assignment_list"][0]["expert_name"] == expert_user.person.name
    assert api.as_("officer").get(f"{A}/review-rounds/{rnd.pk}").json() == r.json()

    task = api.as_("expert").get(f"{A}/me/reviews").json()["items"][0]
    assert set(task) == {"id", "state", "application", "direction", "title", "organisation", "round", "due_at", "score"}
    assert (
        api.as_("expert").post(f"{A}/me/reviews/{task['id']}/respond", json={"accept": True, "statement": "无利益冲突"}).status_code == 200
    )
    points = {"innovation": 90, "feasibility": 80, "benefit": 70, "team": 60}
    assert api.as_("expert").post(f"{A}/me/reviews/{task['id']}/score", json={"points": points, "comment": "可行"}).status_code == 200
    for method in ("trimmed", "calibrated", "mean"):
        ranking = api.as_("officer").get(f"{A}/review-rounds/{rnd.pk}/ranking?method={method}")
        assert ranking.status_code == 200
        assert ranking.json() == wire(review_selectors.ranking_of(rnd, method=method))

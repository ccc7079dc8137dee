"""The award and review endpoints."""

from __future__ import annotations

import pytest

from yongke.applications import services as app_services
from yongke.review import services as review_services
from yongke.testing import TEST, make_org, make_person


def test_anyone_may_quote_an_award_with_its_breakdown(api):
    r = api.post("/api/v1/awards/quote", json={"direction": "26.1", "facts": {"points": 80, "region_award_received": True}})
    body = r.json()
    assert r.status_code == 200
    assert body["eligible"]
    assert body["amount"] == 300_000
    assert all(step["source"] for step in body["breakdown"])
    r = api.post("/api/v1/awards/quote", json={"direction": "26.1", "facts": {"points": 71, "region_award_received": True}})
    assert r.json()["eligible"] is False
    assert r.json()["amount"] == 0


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"points": -1, "region_award_received": True}, "facts.points"),
        ({"points": "many", "region_award_received": True}, "facts.points"),
        ({"region_award_received": True}, "facts.points"),
    ],
)
def test_a_bad_quote_is_a_400_naming_the_field(api, facts, field):
    r = api.post("/api/v1/awards/quote", json={"direction": "26.1", "facts": facts})
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == field


def test_allocation_over_the_api(api):
    r = api.as_("officer").post(
        "/api/v1/awards/allocate", json={"budget": 100, "claims": [{"id": "a", "amount": 100}, {"id": "b", "amount": 50}]}
    )
    body = r.json()
    assert r.status_code == 200
    assert sum(a["amount"] for a in body["allocations"]) == 100
    assert api.post("/api/v1/awards/allocate", json={"budget": 1, "claims": []}).status_code == 401


def test_screening_is_for_officers(api):
    rows = [{"name": "甲", "uscc": "91450103MA5L123454", "points": 75, "region_award_received": True}]
    assert api.as_("applicant").post("/api/v1/awards/screen", json={"orgs": rows}).status_code == 403
    r = api.as_("officer").post("/api/v1/awards/screen", json={"orgs": rows, "directions": ["26.1"]})
    assert r.status_code == 200
    assert r.json()["awards"][0]["amount"] == 200_000


def test_review_round_invitation_score_and_ranking_over_the_api(api, world):
    officer, recommender = world.users["officer"], world.users["recommender"]
    app = world.submitted_a
    for who, action in ((recommender, "recommend"), (officer, "accept"), (officer, "start_review")):
        app, _ = app_services.application_transition(actor=who, application=app, action=action)
    expert_user = world.users["expert"]
    review_services.expert_add(  # a keyword of the title: the pair's affinity is above the floor (0)
        actor=TEST, person=make_person(make_org(district="450107"), user=expert_user), fields=["C3976"], keywords=["测试"], user=expert_user
    )
    assert api.as_("applicant").get("/api/v1/experts").status_code == 403
    assert api.as_("officer").get("/api/v1/experts").json()["count"] == 1

    r = api.as_("officer").post(f"/api/v1/calls/{world.call.pk}/review-rounds", json={"k": 1, "directions": ["1.1"]})
    assert r.status_code == 201, r.json()
    rnd = r.json()
    assert rnd["status"] == "assigned"
    assert rnd["assignment_list"][0]["application"] == app.pk
    assert api.as_("applicant").get(f"/api/v1/review-rounds/{rnd['id']}").status_code == 403

    tasks = api.as_("expert").get("/api/v1/me/reviews").json()
    assert tasks["count"] == 1
    task = tasks["items"][0]["id"]
    assert api.as_("expert").post(f"/api/v1/me/reviews/{task}/respond", json={"accept": True}).status_code == 400
    assert (
        api.as_("expert").post(f"/api/v1/me/reviews/{task}/respond", json={"accept": True, "statement": "无利益冲突"}).json()["state"]
        == "accepted"
    )
    points = {"innovation": 90, "feasibility": 80, "benefit": 70, "team": 60}
    r = api.as_("expert").post(f"/api/v1/me/reviews/{task}/score", json={"points": points, "comment": "可行"})
    assert r.status_code == 200
    assert r.json()["total"] == pytest.approx(0.3 * 90 + 0.25 * 80 + 0.25 * 70 + 0.2 * 60)
    # someone else's review task is not there for them: 404, as for any task not assigned to the caller
    assert api.as_("applicant").post(f"/api/v1/me/reviews/{task}/score", json={"points": points, "comment": "可行"}).status_code == 404

    ranking = api.as_("officer").get(f"/api/v1/review-rounds/{rnd['id']}/ranking").json()
    assert ranking["directions"]["1.1"][0]["application"] == app.pk
    assert api.as_("officer").get(f"/api/v1/review-rounds/{rnd['id']}/ranking?method=luck").status_code == 400

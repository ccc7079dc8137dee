"""The review in the lifecycle: rounds, invitations, scores, ranking, what experts may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yongke.applications import services as apps
from yongke.applications.selectors import applications_visible_to
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.review import selectors, services
from yongke.review.models import ReviewAssignment, ReviewRound
from yongke.testing import make_application, make_call, make_guide, make_org, make_person, make_user

pytestmark = pytest.mark.django_db

POINTS = {"innovation": 80, "feasibility": 80, "benefit": 80, "team": 80}


@pytest.fixture
def review():
    make_guide()
    officer = make_user("officer", programme="1")
    call = make_call(experts_per_application=2, budgets={"1.1": 1_500_000})
    applicants, applications = [], []
    rec = make_user("recommender", unit="450103")
    for i in range(3):
        org = make_org(district="450103")
        user = make_user("applicant", organisation=org)
        app = make_application(call=call, org=org, user=user, leader=make_person(org), requested_amount=1_000_000 if i else 500_000)
        for actor, action in ((user, "submit"), (rec, "recommend"), (officer, "accept"), (officer, "start_review")):
            app, _ = apps.application_transition(actor=actor, application=app, action=action)
        applicants.append(user)
        applications.append(app)
    experts = []
    for i in range(4):
        u = make_user("expert")
        experts.append(services.expert_add(person=make_person(make_org(district="450107"), user=u), organisation=None if i else applications[0].organisation,
                                           fields=["C3976"], keywords=["测试"], max_load=3, user=u))
    return {"officer": officer, "call": call, "apps": applications, "applicants": applicants, "experts": experts}


def test_a_round_assigns_k_experts_per_application_and_never_a_conflicted_one(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    assert rnd.status == "assigned"
    per_app = {}
    for a in ReviewAssignment.objects.filter(round=rnd):
        per_app.setdefault(a.application_id, []).append(a.expert_id)
    assert all(len(v) == 2 for v in per_app.values()) and len(per_app) == 3
    same_org = review["experts"][0]
    assert same_org.pk not in per_app[review["apps"][0].pk]
    assert {"application": str(review["apps"][0].pk), "expert": str(same_org.pk), "code": "same_organisation",
            "reason": "专家与申报单位为同一单位"} in rnd.exclusions


def test_an_infeasible_round_is_recorded_with_its_diagnosis(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], k=4)
    assert ReviewRound.objects.get(pk=rnd.pk).status == "infeasible"
    assert rnd.diagnosis and not rnd.assignments.exists()


def test_only_the_calls_officers_run_rounds(review):
    with pytest.raises(PermissionDenied):
        services.review_round_run(actor=make_user("officer", programme="2"), call=review["call"])


def test_random_rounds_replay_from_their_seed(review):
    first = services.review_round_run(actor=review["officer"], call=review["call"], mode="random", seed=7, max_prob=0.9)
    pairs1 = sorted(first.assignments.values_list("application_id", "expert_id"))
    services.review_round_close(actor=review["officer"], round=first)
    second = services.review_round_run(actor=review["officer"], call=review["call"], mode="random", seed=7, max_prob=0.9)
    assert sorted(second.assignments.values_list("application_id", "expert_id")) == pairs1
    assert second.seed == 7


def test_the_expert_flow_invitation_scoring_ranking(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    for a in ReviewAssignment.objects.filter(round=rnd).select_related("expert"):
        user = a.expert.user
        with pytest.raises(BadInput):
            services.invitation_respond(actor=user, assignment=a, accept=True, statement="")
        services.invitation_respond(actor=user, assignment=a, accept=True, statement="本人与该申报无利益冲突")
        bonus = 10 if a.application_id == review["apps"][2].pk else 0
        services.score_submit(actor=user, assignment=a, points={k: v + bonus for k, v in POINTS.items()}, comment="技术路线清楚")
    result = selectors.ranking(review["officer"], rnd)
    rows = result["directions"]["1.1"]
    assert rows[0]["application"] == review["apps"][2].pk and rows[0]["score"] == 90.0
    # Budget 150万: the 100万 top one fits, then the 50万 one (tied at 80, lower id); the last 100万 one does not.
    assert [r["application"] for r in rows[1:]] == [review["apps"][0].pk, review["apps"][1].pk]
    assert [r["funded"] for r in rows] == [True, True, False]
    assert rows[1]["cumulative"] == 1_500_000


def test_an_expert_sees_only_assigned_applications_and_cannot_score_anothers(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    visible = set(applications_visible_to(a.expert.user).values_list("pk", flat=True))
    assigned = set(ReviewAssignment.objects.filter(round=rnd, expert=a.expert).values_list("application_id", flat=True))
    assert visible == assigned
    other = next(e for e in review["experts"] if e.pk != a.expert_id)
    with pytest.raises(PermissionDenied):
        services.invitation_respond(actor=other.user, assignment=a, accept=True, statement="无冲突")


def test_declining_with_a_conflict_records_it_for_later_rounds(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=False, conflict="曾与项目负责人合作发表论文")
    services.review_round_close(actor=review["officer"], round=rnd)
    again = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    assert not again.assignments.filter(application=a.application, expert=a.expert).exists()
    assert any(x["code"] == "declared" and x["expert"] == str(a.expert_id) for x in again.exclusions)


def test_applicants_may_ask_to_avoid_at_most_three_experts(review):
    app, user = review["apps"][1], review["applicants"][1]
    for e in review["experts"][:3]:
        services.declaration_add(actor=user, expert=e, kind="applicant_request", application=app, reason="存在竞争关系")
    with pytest.raises(Refused):
        services.declaration_add(actor=user, expert=review["experts"][3], kind="applicant_request", application=app, reason="竞争")
    with pytest.raises(PermissionDenied):
        services.declaration_add(actor=review["applicants"][0], expert=review["experts"][3], kind="applicant_request", application=app, reason="x")


def test_scores_after_the_deadline_are_refused(review):
    import time_machine

    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3, due_at=timezone.now() + dt.timedelta(days=3))
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="无冲突")
    assert a in services.reminders_due(now=timezone.now() + dt.timedelta(days=2))
    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):
        with pytest.raises(Refused):
            services.score_submit(actor=a.expert.user, assignment=a, points=POINTS, comment="意见")


def test_a_panel_move_is_kept_with_its_reason(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    for a in ReviewAssignment.objects.filter(round=rnd).select_related("expert"):
        services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="无冲突")
        services.score_submit(actor=a.expert.user, assignment=a, points=POINTS, comment="意见")
    last = selectors.ranking(review["officer"], rnd)["directions"]["1.1"][-1]
    app = next(x for x in review["apps"] if x.pk == last["application"])
    with pytest.raises(BadInput):
        services.panel_move(actor=review["officer"], round=rnd, application=app, position=1, reason=" ")
    services.panel_move(actor=review["officer"], round=rnd, application=app, position=1, reason="会评一致认为应优先支持")
    top = selectors.ranking(review["officer"], rnd)["directions"]["1.1"][0]
    assert top["application"] == app.pk and top["panel_reason"] == "会评一致认为应优先支持"

"""The review in the lifecycle: rounds, invitations, scores, ranking, what experts may see."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from yongke.applications import services as apps
from yongke.applications.selectors import applications_visible_to
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.review import selectors, services
from yongke.review.models import Declaration, PanelMove, ReviewAssignment, ReviewRound
from yongke.testing import TEST, make_application, make_call, make_guide, make_org, make_person, make_user

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
        experts.append(
            services.expert_add(
                actor=TEST,
                person=make_person(make_org(district="450107"), user=u),
                organisation=None if i else applications[0].organisation,
                fields=["C3976"],
                keywords=["测试"],
                max_load=3,
                user=u,
            )
        )
    return {"officer": officer, "call": call, "apps": applications, "applicants": applicants, "experts": experts}


def _experts_per_application(rnd) -> dict[int, list[int]]:
    per_app: dict[int, list[int]] = {}
    for a in ReviewAssignment.objects.filter(round=rnd):
        per_app.setdefault(a.application_id, []).append(a.expert_id)
    return per_app


def test_a_round_assigns_k_experts_to_every_application(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    assert rnd.status == "assigned"
    assert {app: len(experts) for app, experts in _experts_per_application(rnd).items()} == {a.pk: 2 for a in review["apps"]}


def test_a_round_never_assigns_an_expert_of_the_applicants_organisation(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    assert review["experts"][0].pk not in _experts_per_application(rnd)[review["apps"][0].pk]


def test_a_round_records_each_exclusion_with_its_reason(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], max_load=3)
    assert {
        "application": str(review["apps"][0].pk),
        "expert": str(review["experts"][0].pk),
        "code": "same_organisation",
        "reason": "专家与申报单位为同一单位",
    } in rnd.exclusions


def test_an_infeasible_round_is_recorded_with_its_diagnosis(review):
    rnd = services.review_round_run(actor=review["officer"], call=review["call"], k=4)
    assert ReviewRound.objects.get(pk=rnd.pk).status == "infeasible"
    assert rnd.diagnosis
    assert not rnd.assignments.exists()


def test_only_the_calls_officers_run_rounds(review):
    with pytest.raises(PermissionDenied):
        services.review_round_run(actor=make_user("officer", programme="2"), call=review["call"])
    assert not ReviewRound.objects.exists()


def test_random_rounds_replay_from_their_seed(review):
    first = services.review_round_run(actor=review["officer"], call=review["call"], mode="random", seed=7, max_prob=0.9)
    pairs1 = sorted(first.assignments.values_list("application_id", "expert_id"))
    services.review_round_close(actor=review["officer"], round=first)
    second = services.review_round_run(actor=review["officer"], call=review["call"], mode="random", seed=7, max_prob=0.9)
    assert sorted(second.assignments.values_list("application_id", "expert_id")) == pairs1
    assert second.seed == 7


def _round(review, **kwargs):
    return services.review_round_run(actor=review["officer"], call=review["call"], max_load=3, **kwargs)


def _score_all(rnd, bonus_for=None):
    for a in ReviewAssignment.objects.filter(round=rnd).select_related("expert"):
        services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="本人与该申报无利益冲突")
        bonus = 10 if a.application_id == bonus_for else 0
        services.score_submit(actor=a.expert.user, assignment=a, points={k: v + bonus for k, v in POINTS.items()}, comment="技术路线清楚")


def test_accepting_an_invitation_needs_a_no_conflict_statement(review):
    a = ReviewAssignment.objects.filter(round=_round(review)).select_related("expert").first()
    with pytest.raises(BadInput) as e:
        services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="")
    assert e.value.detail["field"] == "statement"
    assert ReviewAssignment.objects.get(pk=a.pk).state == "invited"


def test_the_ranking_puts_the_best_scored_application_first(review):
    rnd = _round(review)
    _score_all(rnd, bonus_for=review["apps"][2].pk)
    rows = selectors.ranking(review["officer"], rnd)["directions"]["1.1"]
    assert rows[0]["application"] == review["apps"][2].pk
    assert rows[0]["score"] == 90.0


def test_the_ranking_draws_the_funding_line_under_the_budget(review):
    rnd = _round(review)
    _score_all(rnd, bonus_for=review["apps"][2].pk)
    rows = selectors.ranking(review["officer"], rnd)["directions"]["1.1"]
    # Budget 150万: the 100万 top one fits, then the 50万 one (tied at 80, lower id); the last 100万 one does not.
    assert [r["application"] for r in rows[1:]] == [review["apps"][0].pk, review["apps"][1].pk]
    assert [r["funded"] for r in rows] == [True, True, False]
    assert rows[1]["cumulative"] == 1_500_000


def test_an_expert_sees_only_the_applications_assigned_to_them(review):
    rnd = _round(review)
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    for task in ReviewAssignment.objects.filter(round=rnd, expert=a.expert):  # the content opens once accepted
        services.invitation_respond(actor=a.expert.user, assignment=task, accept=True, statement="无冲突")
    visible = set(applications_visible_to(a.expert.user).values_list("pk", flat=True))
    assigned = set(ReviewAssignment.objects.filter(round=rnd, expert=a.expert).values_list("application_id", flat=True))
    assert visible == assigned


def test_an_expert_cannot_answer_another_experts_invitation(review):
    a = ReviewAssignment.objects.filter(round=_round(review)).select_related("expert").first()
    other = next(e for e in review["experts"] if e.pk != a.expert_id)
    with pytest.raises(PermissionDenied):
        services.invitation_respond(actor=other.user, assignment=a, accept=True, statement="无冲突")
    assert ReviewAssignment.objects.get(pk=a.pk).state == "invited"


def test_an_expert_cannot_score_another_experts_task(review):
    a = ReviewAssignment.objects.filter(round=_round(review)).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="无冲突")
    other = next(e for e in review["experts"] if e.pk != a.expert_id)
    with pytest.raises(PermissionDenied):
        services.score_submit(actor=other.user, assignment=a, points=POINTS, comment="意见")
    assert ReviewAssignment.objects.get(pk=a.pk).state == "accepted"


def test_declining_with_a_conflict_records_it_for_later_rounds(review):
    rnd = _round(review)
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=False, conflict="曾与项目负责人合作发表论文")
    services.review_round_close(actor=review["officer"], round=rnd)
    again = _round(review)
    assert not again.assignments.filter(application=a.application, expert=a.expert).exists()
    assert {"declared"} <= {x["code"] for x in again.exclusions if x["expert"] == str(a.expert_id)}


def test_applicants_may_ask_to_avoid_at_most_three_experts(review):
    app, user = review["apps"][1], review["applicants"][1]
    for e in review["experts"][:3]:
        services.declaration_add(actor=user, expert=e, kind="applicant_request", application=app, reason="存在竞争关系")
    with pytest.raises(Refused) as e:
        services.declaration_add(actor=user, expert=review["experts"][3], kind="applicant_request", application=app, reason="竞争")
    assert e.value.code == "avoid_limit"


def test_an_applicant_cannot_ask_to_avoid_experts_for_another_organisations_application(review):
    app = review["apps"][1]
    with pytest.raises(PermissionDenied):
        services.declaration_add(
            actor=review["applicants"][0], expert=review["experts"][3], kind="applicant_request", application=app, reason="x"
        )
    assert not Declaration.objects.filter(application=app).exists()


def test_accepted_tasks_near_their_deadline_are_due_for_a_reminder(review):
    rnd = _round(review, due_at=timezone.now() + dt.timedelta(days=3))
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="无冲突")
    assert a in services.reminders_due(now=timezone.now() + dt.timedelta(days=2))


def test_scores_after_the_deadline_are_refused(review):
    rnd = _round(review, due_at=timezone.now() + dt.timedelta(days=3))
    a = ReviewAssignment.objects.filter(round=rnd).select_related("expert").first()
    services.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="无冲突")
    with time_machine.travel(timezone.now() + dt.timedelta(days=4)), pytest.raises(Refused) as e:
        services.score_submit(actor=a.expert.user, assignment=a, points=POINTS, comment="意见")
    assert e.value.code == "deadline_passed"


def test_an_officer_marks_the_reminders_sent(review):
    rnd = _round(review, due_at=timezone.now() + dt.timedelta(days=1))
    due = services.reminders_due()
    assert services.reminders_mark(actor=review["officer"], assignments=due) == rnd.assignments.count()
    assert not rnd.assignments.filter(reminded_at__isnull=True).exists()


def test_an_expert_may_not_mark_reminders_sent(review):
    rnd = _round(review, due_at=timezone.now() + dt.timedelta(days=1))
    expert = rnd.assignments.select_related("expert__user").first().expert.user
    with pytest.raises(PermissionDenied):
        services.reminders_mark(actor=expert, assignments=services.reminders_due())
    assert not rnd.assignments.filter(reminded_at__isnull=False).exists()


def _last_ranked(review, rnd):
    _score_all(rnd)
    last = selectors.ranking(review["officer"], rnd)["directions"]["1.1"][-1]
    return next(x for x in review["apps"] if x.pk == last["application"])


def test_a_panel_move_needs_a_reason(review):
    rnd = _round(review)
    app = _last_ranked(review, rnd)
    with pytest.raises(BadInput) as e:
        services.panel_move(actor=review["officer"], round=rnd, application=app, position=1, reason=" ")
    assert e.value.detail["field"] == "reason"
    assert not PanelMove.objects.exists()


def test_a_panel_move_is_kept_with_its_reason(review):
    rnd = _round(review)
    app = _last_ranked(review, rnd)
    services.panel_move(actor=review["officer"], round=rnd, application=app, position=1, reason="会评一致认为应优先支持")
    top = selectors.ranking(review["officer"], rnd)["directions"]["1.1"][0]
    assert top["application"] == app.pk
    assert top["panel_reason"] == "会评一致认为应优先支持"


def test_an_officer_of_another_programme_may_not_move_the_panels_ranking(review):
    rnd = _round(review)
    app = _last_ranked(review, rnd)
    with pytest.raises(PermissionDenied):
        services.panel_move(actor=make_user("officer", programme="2"), round=rnd, application=app, position=1, reason="越权调整")
    assert not PanelMove.objects.exists()

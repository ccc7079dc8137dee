"""Decisions on complete reviews: "已评 n/k" in the ranking, incomplete reviews ranked apart and
never above the line, 拟立项 refused while a score is missing unless an officer records why,
rounds that honour the affinity floor and one expert per organisation, and the expert pool an
officer searches. Through the services and selectors, the API and the CLI."""

from __future__ import annotations

import json

import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.applications.selectors import application_timeline
from yongke.audit.models import AuditEvent
from yongke.cli.main import run
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.guide.selectors import compiled_for
from yongke.review import selectors, services
from yongke.review.models import DecisionWaiver, ReviewAssignment, ReviewRound
from yongke.testing import TEST, build_world, make_application_in, make_org, make_person, make_user

pytestmark = pytest.mark.django_db

POINTS: dict[str, float] = {"innovation": 80, "feasibility": 80, "benefit": 80, "team": 80}
STATEMENT = "本人与该申报无利益冲突"


def _experts(n: int, *, keywords=("测试",), org=None) -> list:
    """n experts, each of an organisation of their own (or `org`); their keyword is in every test title."""
    out = []
    for _ in range(n):
        user = make_user("expert")
        where = org or make_org(district="450107")
        out.append(
            services.expert_add(
                actor=TEST,
                person=make_person(where, user=user),
                organisation=where,
                fields=["C3976"],
                keywords=list(keywords),
                max_load=3,
                user=user,
            )
        )
    return out


@pytest.fixture
def setting():
    """Three applications in expert review (programme 1, direction 1.1), three experts, k = 3."""
    world = build_world(budgets={"1.1": 100_000_000})
    applications = [make_application_in("expert_review", world=world, requested_amount=1_000_000) for _ in range(3)]
    experts = _experts(3)
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3)
    assert rnd.status == "assigned"
    return {"world": world, "apps": applications, "experts": experts, "round": rnd}


def _score(rnd, app, n: int, points=POINTS) -> None:
    """The first n experts of the application accept and score it."""
    for a in ReviewAssignment.objects.filter(round=rnd, application=app).select_related("expert__user").order_by("id")[:n]:
        expert = a.expert.user
        assert expert is not None
        services.invitation_respond(actor=expert, assignment=a, accept=True, statement=STATEMENT)
        services.score_submit(actor=expert, assignment=a, points=points, comment="技术路线清楚")


def _fund(world, app, comment: str = ""):
    return apps.application_transition(actor=world.officer, application=app, action="fund", amount=500_000, comment=comment)


# --------------------------------------------------------------------------- the ranking


def test_the_ranking_ranks_only_complete_reviews_and_lists_the_others_apart_with_their_progress(setting):
    done, partial, none = setting["apps"]
    rnd = setting["round"]
    _score(rnd, done, 3)
    _score(rnd, partial, 1)
    result = selectors.ranking(setting["world"].officer, rnd)
    ranked = result["directions"]["1.1"]
    assert [r["application"] for r in ranked] == [done.pk]
    assert ranked[0]["progress"] == "已评 3/3"
    assert ranked[0]["status"] == "ranked"
    pending = {r["application"]: r for r in result["incomplete"]["1.1"]}
    assert set(pending) == {partial.pk, none.pk}
    assert pending[partial.pk]["progress"] == "已评 1/3"
    assert pending[partial.pk]["status"] == "incomplete"
    assert pending[partial.pk]["score"] is None
    assert pending[partial.pk]["provisional_score"] == 80.0
    assert pending[none.pk]["progress"] == "已评 0/3"
    assert pending[none.pk]["status"] == "unscored"
    assert pending[none.pk]["provisional_score"] is None
    assert result["review"] == {"applications": 3, "complete": 1, "incomplete": 2}


def test_an_incomplete_review_is_never_above_the_funding_line_even_with_the_best_score(setting):
    done, partial, _ = setting["apps"]
    rnd = setting["round"]
    _score(rnd, done, 3, points=dict.fromkeys(POINTS, 60))
    _score(rnd, partial, 1, points=dict.fromkeys(POINTS, 100))  # the best score so far, from 1 of 3 experts
    result = selectors.ranking(setting["world"].officer, rnd, method="mean")
    assert [(r["application"], r["funded"]) for r in result["directions"]["1.1"]] == [(done.pk, True)]
    row = next(r for r in result["incomplete"]["1.1"] if r["application"] == partial.pk)
    assert row["funded"] is False
    assert row["provisional_score"] == 100.0


def test_an_application_with_no_score_at_all_is_not_ranked(setting):
    rnd = setting["round"]
    result = selectors.ranking(setting["world"].officer, rnd)
    assert result["directions"] == {}
    assert {r["application"] for r in result["incomplete"]["1.1"]} == {a.pk for a in setting["apps"]}
    assert all(not r["funded"] for r in result["incomplete"]["1.1"])


def test_a_declined_invitation_leaves_the_review_incomplete(setting):
    app = setting["apps"][0]
    rnd = setting["round"]
    _score(rnd, app, 2)
    last = ReviewAssignment.objects.filter(round=rnd, application=app, state="invited").select_related("expert__user").get()
    services.invitation_respond(actor=last.expert.user, assignment=last, accept=False, conflict="曾与项目负责人合作")
    row = next(r for r in selectors.ranking(setting["world"].officer, rnd)["incomplete"]["1.1"] if r["application"] == app.pk)
    assert (row["scored"], row["assigned"], row["declined"]) == (2, 3, 1)


def test_a_panel_may_not_move_an_application_whose_review_is_incomplete(setting):
    rnd, (done, partial, _) = setting["round"], setting["apps"]
    _score(rnd, done, 3)
    _score(rnd, partial, 1)
    with pytest.raises(Refused) as e:
        services.panel_move(actor=setting["world"].officer, round=rnd, application=partial, position=1, reason="会评认为应优先")
    assert e.value.code == "review_incomplete"
    assert "3 位专家中 1 位已评分" in e.value.message


# --------------------------------------------------------------------------- 拟立项


def test_funding_is_refused_while_a_score_is_missing_naming_how_many_have_scored(setting):
    world, app = setting["world"], setting["apps"][0]
    _score(setting["round"], app, 1)
    with pytest.raises(Refused) as e:
        _fund(world, app, comment="同意立项")
    assert e.value.code == "review_incomplete"
    assert "3 位专家中 1 位已评分" in e.value.message
    assert "1 of 3 experts have scored" in e.value.message
    assert len(e.value.detail["missing"]) == 2
    assert Application.objects.get(pk=app.pk).state == "expert_review"
    assert not AuditEvent.objects.filter(action="fund", target_id=str(app.pk)).exists()


def test_funding_is_refused_when_no_expert_has_scored(setting):
    with pytest.raises(Refused) as e:
        _fund(setting["world"], setting["apps"][2])
    assert "3 位专家中 0 位已评分" in e.value.message


def test_funding_is_allowed_once_every_expert_has_scored_and_the_step_records_it(setting):
    world, app = setting["world"], setting["apps"][0]
    _score(setting["round"], app, 3)
    app, changed = _fund(world, app)
    assert changed
    assert app.state == "funded"
    event = AuditEvent.objects.get(action="fund", target_id=str(app.pk))
    assert event.data["review"] == {"round": setting["round"].pk, "scored": 3, "assigned": 3}
    assert event.data["amount"] == 500_000


def test_a_recorded_reason_lets_the_officer_decide_and_the_timeline_shows_it(setting):
    world, app, rnd = setting["world"], setting["apps"][1], setting["round"]
    _score(rnd, app, 1)
    waiver = services.review_waiver_record(actor=world.officer, round=rnd, application=app, reason="另两位专家因病无法评审，会评已充分讨论")
    assert (waiver.scored, waiver.assigned) == (1, 3)
    app, _ = _fund(world, app)
    assert app.state == "funded"
    timeline = list(application_timeline(world.officer, app))
    noted = next(e for e in timeline if e.action == "review_waiver")
    assert noted.comment == "另两位专家因病无法评审，会评已充分讨论"
    assert noted.data["scored"] == 1
    assert noted.data["assigned"] == 3
    fund = next(e for e in timeline if e.action == "fund")
    assert fund.data["review"]["waiver_reason"] == "另两位专家因病无法评审，会评已充分讨论"
    assert timeline.index(noted) < timeline.index(fund)


def test_the_ranking_shows_the_recorded_reason(setting):
    world, app, rnd = setting["world"], setting["apps"][1], setting["round"]
    services.review_waiver_record(actor=world.officer, round=rnd, application=app, reason="时间紧迫")
    row = next(r for r in selectors.ranking(world.officer, rnd)["incomplete"]["1.1"] if r["application"] == app.pk)
    assert row["waiver"]["reason"] == "时间紧迫"
    assert row["waiver"]["recorded_by"] == world.officer.username


def test_a_reason_needs_words(setting):
    with pytest.raises(BadInput) as e:
        services.review_waiver_record(actor=setting["world"].officer, round=setting["round"], application=setting["apps"][0], reason="  ")
    assert e.value.detail["field"] == "reason"
    assert not DecisionWaiver.objects.exists()


def test_no_reason_is_recorded_for_a_complete_review(setting):
    app = setting["apps"][0]
    _score(setting["round"], app, 3)
    with pytest.raises(Refused) as e:
        services.review_waiver_record(actor=setting["world"].officer, round=setting["round"], application=app, reason="不需要")
    assert e.value.code == "review_complete"
    assert not DecisionWaiver.objects.exists()


@pytest.mark.parametrize("who", ["other_officer", "applicant", "expert", "auditor", None])
def test_only_the_programmes_officers_record_a_reason(setting, who):
    world = setting["world"]
    actor = getattr(world, who) if who else None
    with pytest.raises(PermissionDenied):
        services.review_waiver_record(actor=actor, round=setting["round"], application=setting["apps"][0], reason="越权")
    assert not DecisionWaiver.objects.exists()


def test_an_application_the_guide_reviews_is_not_decided_without_any_expert():
    # 项目1 is reviewed by experts (`review: true`): 拟立项 with no round that ever assigned it is refused.
    world = build_world()
    app = make_application_in("expert_review", world=world)
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=world.officer, application=app, action="fund", amount=500_000)
    assert e.value.code == "review_missing"
    assert e.value.detail == {"direction": "1.1", "assigned": 0, "scored": 0}
    app.refresh_from_db()
    assert (app.state, app.decided_amount) == ("expert_review", None)
    assert not AuditEvent.objects.filter(action="fund").exists()


def test_a_round_that_assigned_it_elsewhere_does_not_count(setting):
    # A round of the call that did not assign this application is no review of it.
    world = setting["world"]
    other = make_application_in("expert_review", world=world, org=world.other_org)
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=world.officer, application=other, action="fund", amount=500_000)
    assert e.value.code == "review_missing"


def test_a_project_the_guide_does_not_review_is_decided_without_a_round(monkeypatch):
    world = build_world()
    app = make_application_in("expert_review", world=world)
    project = compiled_for(app.guide_version).guide.direction("1.1").project
    monkeypatch.setattr(project, "review", False)  # as a guide file with `review: false` for the project
    app, _ = apps.application_transition(actor=world.officer, application=app, action="fund", amount=500_000)
    assert app.state == "funded"
    assert "review" not in AuditEvent.objects.get(action="fund", target_id=str(app.pk)).data


# --------------------------------------------------------------------------- rounds: the floor and organisations


def test_a_round_never_assigns_a_pair_without_any_fit_and_says_why():
    world = build_world()
    app = make_application_in("expert_review", world=world)
    _experts(3, keywords=("无关",))  # nothing in common with the application: affinity 0
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3)
    assert rnd.status == "infeasible"
    assert rnd.affinity_floor == 0.0
    problem = rnd.diagnosis["problems"][0]
    assert problem["code"] == "application_too_few_eligible"
    assert problem["applications"][0]["application"] == str(app.pk)
    assert problem["applications"][0]["below_floor"] == 3
    assert not ReviewAssignment.objects.exists()


def test_the_floor_comes_from_the_settings_and_a_round_may_set_its_own(settings):
    world = build_world()
    make_application_in("expert_review", world=world)
    _experts(3, keywords=("无关",))
    settings.YONGKE_REVIEW_AFFINITY_FLOOR = -1.0
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3)
    assert rnd.status == "assigned"
    assert rnd.affinity_floor == -1.0
    services.review_round_close(actor=world.officer, round=rnd)
    again = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3, affinity_floor=0.0)
    assert again.status == "infeasible"


def test_a_forced_pair_at_the_floor_is_refused():
    world = build_world()
    app = make_application_in("expert_review", world=world)
    fit = _experts(3)
    unfit = _experts(1, keywords=("无关",))[0]
    with pytest.raises(Refused) as e:
        services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3, forced=[(app.pk, unfit.pk)])
    assert e.value.code == "forced_below_floor"
    assert fit  # the pool could have served the round without the forced pair
    assert not ReviewRound.objects.exists()


def test_one_per_organisation_gives_every_application_experts_of_different_organisations():
    world = build_world()
    for _ in range(2):
        make_application_in("expert_review", world=world)
    university = make_org(district="450107", kind="institute", name="广西测试大学")
    _experts(3, keywords=("测试", "项目"), org=university)  # the best fit, all of one university
    _experts(3)
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3, one_per_organisation=True)
    assert rnd.status == "assigned"
    assert rnd.one_per_organisation is True
    for app_id in {a.application_id for a in rnd.assignments.all()}:
        orgs = list(rnd.assignments.filter(application_id=app_id).values_list("expert__organisation_id", flat=True))
        assert len(orgs) == 3 == len(set(orgs))


def test_one_per_organisation_with_too_few_organisations_is_infeasible_with_a_diagnosis():
    world = build_world()
    make_application_in("expert_review", world=world)
    _experts(3, org=make_org(district="450107", name="广西唯一大学"))
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3, one_per_organisation=True)
    assert rnd.status == "infeasible"
    assert rnd.diagnosis["problems"][0]["code"] == "application_too_few_organisations"


def test_a_fair_round_records_its_time_limit_and_what_it_proved():
    world = build_world()
    for _ in range(2):
        make_application_in("expert_review", world=world)
    _experts(4)
    rnd = services.review_round_run(actor=world.officer, call=world.call, k=2, max_load=3, mode="fair", time_limit=20)
    assert rnd.status == "assigned"
    assert rnd.time_limit == 20.0
    assert rnd.solver["proven_optimal"] is True
    assert rnd.solver["gap"]["worst"] == 0.0
    event = AuditEvent.objects.get(action="review_round_run")
    assert event.data["time_limit"] == 20.0
    assert event.data["timed_out"] is False


@pytest.mark.parametrize(("kwargs", "field"), [({"time_limit": 0}, "time_limit"), ({"affinity_floor": float("nan")}, "affinity_floor")])
def test_bad_round_limits_are_refused_naming_the_field(kwargs, field):
    world = build_world()
    make_application_in("expert_review", world=world)
    with pytest.raises(BadInput) as e:
        services.review_round_run(actor=world.officer, call=world.call, mode="fair", **kwargs)
    assert e.value.detail["field"] == field


# --------------------------------------------------------------------------- the expert pool


def test_an_officer_searches_the_pool_by_name_keyword_field_and_organisation():
    world = build_world()
    gx = make_org(district="450107", name="广西大学")
    wang = services.expert_add(
        actor=TEST, person=make_person(gx, name="王电池"), organisation=gx, fields=["C3841"], keywords=["储能", "电池"]
    )
    li = services.expert_add(actor=TEST, person=make_person(name="李软件"), fields=["I6510"], keywords=["人工智能"])
    officer = world.officer
    assert list(selectors.expert_pool_search(officer, text="储能")) == [wang]
    assert list(selectors.expert_pool_search(officer, text="李软件")) == [li]
    assert list(selectors.expert_pool_search(officer, industry="c38")) == [wang]  # a prefix, any case
    assert list(selectors.expert_pool_search(officer, organisation="广西大学")) == [wang]
    assert set(selectors.expert_pool_search(officer)) == {wang, li}


def test_the_pool_shows_each_experts_open_load(setting):
    loads = {e.pk: e.load for e in selectors.expert_pool_search(setting["world"].officer)}
    assert loads == {e.pk: 3 for e in setting["experts"]}  # invited to all three applications
    _score(setting["round"], setting["apps"][0], 3)
    loads = {e.pk: e.load for e in selectors.expert_pool_search(setting["world"].officer)}
    assert loads == {e.pk: 2 for e in setting["experts"]}


@pytest.mark.parametrize("who", ["applicant", "expert", "recommender", "finance"])
def test_only_officers_read_the_pool(who):
    world = build_world()
    with pytest.raises(PermissionDenied):
        selectors.expert_pool_search(getattr(world, who))


# --------------------------------------------------------------------------- the API


@pytest.fixture
def api_client(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_the_api_ranking_carries_progress_and_the_incomplete_list(setting, api_client):
    done, partial, _ = setting["apps"]
    rnd = setting["round"]
    _score(rnd, done, 3)
    _score(rnd, partial, 1)
    body = api_client(setting["world"].officer).get(f"/api/v1/review-rounds/{rnd.pk}/ranking").json()
    assert body["directions"]["1.1"][0]["progress"] == "已评 3/3"
    pending = {r["application"]: r for r in body["incomplete"]["1.1"]}
    assert pending[partial.pk]["progress"] == "已评 1/3"
    assert pending[partial.pk]["funded"] is False
    assert body["review"]["incomplete"] == 2


def test_the_api_records_a_reason_and_refuses_it_to_others(setting, api_client):
    world, rnd, app = setting["world"], setting["round"], setting["apps"][1]
    url = f"/api/v1/review-rounds/{rnd.pk}/waivers"
    refused = api_client(world.other_officer).post(url, {"application": app.pk, "reason": "越权"}, content_type="application/json")
    assert refused.status_code in (403, 404)
    assert not DecisionWaiver.objects.exists()
    r = api_client(world.officer).post(url, {"application": app.pk, "reason": "专家无法按期评审"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["reason"] == "专家无法按期评审"
    assert r.json()["scored"] == 0
    fund = api_client(world.officer).post(
        f"/api/v1/applications/{app.pk}/transitions", {"action": "fund", "amount": 500_000}, content_type="application/json"
    )
    assert fund.status_code == 200, fund.content
    assert fund.json()["state"] == "funded"


def test_the_api_refuses_funding_an_incomplete_review_with_422_and_the_counts(setting, api_client):
    app = setting["apps"][0]
    _score(setting["round"], app, 2)
    r = api_client(setting["world"].officer).post(
        f"/api/v1/applications/{app.pk}/transitions", {"action": "fund", "amount": 500_000}, content_type="application/json"
    )
    assert r.status_code == 422
    assert r.json()["code"] == "review_incomplete"
    assert "3 位专家中 2 位已评分" in r.json()["message"]
    assert r.json()["detail"]["scored"] == 2


def test_the_api_round_takes_and_echoes_the_floor_organisations_and_time_limit(api_client):
    world = build_world()
    make_application_in("expert_review", world=world)
    _experts(3)
    r = api_client(world.officer).post(
        f"/api/v1/calls/{world.call.pk}/review-rounds",
        {"k": 3, "max_load": 3, "mode": "fair", "affinity_floor": 0.05, "one_per_organisation": True, "time_limit": 10},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["affinity_floor"], body["one_per_organisation"], body["time_limit"]) == (0.05, True, 10.0)
    assert body["solver"]["proven_optimal"] is True
    assert body["assignments"] == 3


def test_the_api_searches_the_pool(api_client):
    world = build_world()
    services.expert_add(actor=TEST, person=make_person(name="王储能"), fields=["C3841"], keywords=["储能"])
    services.expert_add(actor=TEST, person=make_person(name="李软件"), fields=["I6510"])
    body = api_client(world.officer).get("/api/v1/experts", {"q": "储能"}).json()
    assert [e["name"] for e in body["items"]] == ["王储能"]
    assert body["items"][0]["load"] == 0
    assert api_client(world.officer).get("/api/v1/experts", {"field": "I65"}).json()["count"] == 1


# --------------------------------------------------------------------------- the CLI


def test_the_cli_ranking_prints_progress_and_the_incomplete_list(setting, capsys):
    rnd = setting["round"]
    _score(rnd, setting["apps"][0], 3)
    assert run(["review", "ranking", "--round", str(rnd.pk)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["directions"]["1.1"][0]["progress"] == "已评 3/3"
    assert {r["progress"] for r in out["incomplete"]["1.1"]} == {"已评 0/3"}


def test_the_cli_records_a_reason_as_the_named_officer(setting, capsys):
    world, rnd, app = setting["world"], setting["round"], setting["apps"][2]
    args = ["review", "waive", "--round", str(rnd.pk), "--application", str(app.pk), "--reason", "紧急立项"]
    assert run([*args, "--as", world.applicant.username]) == 2
    assert "只有负责该专项的项目处人员" in capsys.readouterr().err
    assert run([*args, "--as", world.officer.username]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reason"] == "紧急立项"
    assert out["assigned"] == 3
    assert DecisionWaiver.objects.get().recorded_by == world.officer


# --------------------------------------------------------------------------- a conflict declared after scoring


def test_a_conflict_declared_after_scoring_withdraws_the_score_and_holds_the_decision(setting):
    world, rnd = setting["world"], setting["round"]
    app = setting["apps"][0]
    _score(rnd, app, 3)
    task = ReviewAssignment.objects.filter(round=rnd, application=app).select_related("expert__user").order_by("id").first()
    services.declaration_add(actor=task.expert.user, expert=task.expert, kind="expert", reason="与申报单位有合作关系", application=app)
    task.refresh_from_db()
    assert task.state == ReviewAssignment.State.DECLINED
    assert not hasattr(task, "score")
    _, progress = selectors.review_progress_of(app)
    assert (progress.scored, progress.assigned, progress.complete) == (2, 3, False)
    with pytest.raises(Refused) as e:
        _fund(world, Application.objects.get(pk=app.pk))
    assert e.value.code == "review_incomplete"
    entry = AuditEvent.objects.get(action="review_task_conflict", target_id=str(app.pk))
    assert entry.data["withdrawn_score"]["points"] == POINTS
    assert entry.data["expert"] == task.expert_id


def test_a_conflict_with_another_organisation_leaves_the_review_as_it_is(setting):
    rnd = setting["round"]
    app = setting["apps"][0]
    _score(rnd, app, 3)
    task = ReviewAssignment.objects.filter(round=rnd, application=app).select_related("expert__user").order_by("id").first()
    services.declaration_add(actor=task.expert.user, expert=task.expert, kind="expert", reason="亲属任职", organisation=make_org())
    _, progress = selectors.review_progress_of(app)
    assert progress.complete

"""The review and awards screens: the expert's tasks and scoring, the officer's assignment runs
and ranking with the funding line, post-subsidy claims with breakdowns and allocation."""

from __future__ import annotations

import re

import pytest

from yongke.applications import services as app_services
from yongke.applications.models import Application, Call
from yongke.jobs.models import Job
from yongke.portal.tests.conftest import an_application
from yongke.review import services as review
from yongke.review.models import PanelMove, ReviewAssignment, ReviewRound
from yongke.testing import TEST, make_application, make_call, make_org, make_person, make_user

POINTS = {"points_innovation": "80", "points_feasibility": "70", "points_benefit": "90", "points_team": "60"}
STATEMENT = "本人与该申报无利益冲突"


def _in_review(world, n: int = 3) -> list[Application]:
    apps = []
    for i in range(n):
        org = world.org if i == 0 else make_org(district="450103", name=f"南宁市评审测试{i}有限公司")
        user = world.applicant if i == 0 else make_user("applicant", organisation=org)
        app = make_application(call=world.call, org=org, user=user, leader=make_person(org), title=f"评审用项目{i}")
        for who, action in ((user, "submit"), (world.recommender, "recommend"), (world.officer, "accept"), (world.officer, "start_review")):
            app, _ = app_services.application_transition(actor=who, application=app, action=action, comment="测试意见")
        apps.append(app)
    return apps


def _experts(world, n: int = 4) -> list:
    """world.expert first, then others; the last one works at the world's organisation (a conflict)."""
    experts = []
    for i in range(n):
        user = world.expert if i == 0 else make_user("expert")
        org = world.org if i == n - 1 else make_org(district="450107")
        experts.append(
            review.expert_add(
                actor=TEST,
                person=make_person(org, user=user),
                organisation=org,
                fields=["C3976"],
                keywords=["测试", "评审用项目"],  # in every title: each pair's affinity is above the floor (0)
                max_load=3,
                user=user,
            )
        )
    return experts


@pytest.fixture
def reviewing(world):
    apps = _in_review(world)
    experts = _experts(world)
    return {"apps": apps, "experts": experts}


def _round(world, k: int = 2) -> ReviewRound:
    rnd = review.review_round_run(actor=world.officer, call=world.call, k=k, max_load=3)
    assert rnd.status == "assigned"
    return rnd


# --------------------------------------------------------------------------- the expert


def test_the_expert_sees_only_their_tasks_accepts_scores_and_sees_the_score(client, world, reviewing):
    rnd = _round(world)
    mine = list(ReviewAssignment.objects.filter(round=rnd, expert__user=world.expert).select_related("application"))
    assert mine
    client.force_login(world.expert)
    body = client.get("/expert/").content.decode()
    for a in ReviewAssignment.objects.filter(round=rnd).select_related("application"):
        if a.expert.user_id == world.expert.pk:
            assert f'data-task="{a.pk}"' in body
            assert a.application.title in body
        else:
            assert f'data-task="{a.pk}"' not in body
    for app in reviewing["apps"]:
        if app.pk not in {a.application_id for a in mine}:
            assert app.title not in body
    task = mine[0]
    page = client.get(f"/expert/tasks/{task.pk}/").content.decode()
    assert task.application.title in page
    assert "声明无冲突并接受" in page
    # Accepting needs the statement.
    client.post(f"/expert/tasks/{task.pk}/respond/", {"answer": "accept", "statement": ""})
    task.refresh_from_db()
    assert task.state == "invited"
    client.post(f"/expert/tasks/{task.pk}/respond/", {"answer": "accept", "statement": STATEMENT})
    task.refresh_from_db()
    assert task.state == "accepted"
    assert task.conflict_statement == STATEMENT
    form = client.get(f"/expert/tasks/{task.pk}/").content.decode()
    assert "技术创新性" in form
    assert "权重 30%" in form
    assert 'name="points_team"' in form
    # The comment is required; the error is shown beside the field and nothing is saved.
    bad = client.post(f"/expert/tasks/{task.pk}/score/", {**POINTS, "comment": " "})
    assert bad.status_code == 400
    assert "须填写评审意见" in bad.content.decode()
    out_of_range = client.post(f"/expert/tasks/{task.pk}/score/", {**POINTS, "points_team": "120", "comment": "好"})
    assert out_of_range.status_code == 400
    assert "0至100" in out_of_range.content.decode()
    ok = client.post(f"/expert/tasks/{task.pk}/score/", {**POINTS, "comment": "技术路线清楚"}, follow=True)
    task.refresh_from_db()
    assert task.state == "submitted"
    shown = ok.content.decode()
    # 0.3*80 + 0.25*70 + 0.25*90 + 0.2*60 = 76
    assert "76.00" in shown
    assert "技术路线清楚" in shown
    assert "76.00" in client.get("/expert/").content.decode()


def test_declining_records_the_conflict_and_hides_the_application(client, world, reviewing):
    rnd = _round(world)
    task = ReviewAssignment.objects.filter(round=rnd, expert__user=world.expert).select_related("application").first()
    client.force_login(world.expert)
    client.post(f"/expert/tasks/{task.pk}/respond/", {"answer": "decline", "conflict": "曾与项目负责人合作"})
    task.refresh_from_db()
    assert task.state == "declined"
    assert task.expert.declarations.filter(application=task.application).exists()
    page = client.get(f"/expert/tasks/{task.pk}/").content.decode()
    assert "已谢绝" in page
    assert task.application.title not in page


def test_blind_review_hides_the_applicant_from_the_expert(client, world, reviewing):
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    rnd = _round(world)
    task = ReviewAssignment.objects.filter(round=rnd, expert__user=world.expert).select_related("application__organisation").first()
    client.force_login(world.expert)
    name = task.application.organisation.name
    assert name not in client.get("/expert/").content.decode()
    page = client.get(f"/expert/tasks/{task.pk}/").content.decode()
    assert name not in page
    assert "匿名评审" in page
    assert task.application.title in page


def test_an_expert_cannot_open_anothers_task(client, world, reviewing):
    rnd = _round(world)
    other = ReviewAssignment.objects.filter(round=rnd).exclude(expert__user=world.expert).first()
    client.force_login(world.expert)
    assert client.get(f"/expert/tasks/{other.pk}/").status_code == 404
    assert client.post(f"/expert/tasks/{other.pk}/respond/", {"answer": "accept", "statement": STATEMENT}).status_code == 404


def test_the_expert_task_list_costs_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    apps = _in_review(world, 6)
    _experts(world, 4)
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    review.review_round_run(actor=world.officer, call=world.call, k=2, max_load=4)
    assert ReviewAssignment.objects.filter(expert__user=world.expert).count() >= 2
    client.force_login(world.expert)
    client.get("/expert/")
    # 4 more than before blind titles: the applicants' names to redact, prefetched for every task at once;
    # 1 more: whether the expert has a second factor to give (yongke/accounts/middleware.py).
    with django_assert_max_num_queries(11):
        body = client.get("/expert/").content.decode()
    assert any(a.title in body for a in apps)


# --------------------------------------------------------------------------- the officer: assignment


@pytest.fixture
def run_job(settings, django_capture_on_commit_callbacks):
    """Post a form that starts a background job, run the job at once, and follow the job
    page's result link. Returns the job, the link (or None) and the result page (or None)."""
    settings.YONGKE_JOB_BACKEND = "immediate"

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post(url, data)
        assert resp.status_code == 302, resp
        assert "/jobs/" in resp["Location"]
        job_page = client.get(resp["Location"]).content.decode()
        assert 'id="job-progress"' in job_page
        job = Job.objects.latest("pk")
        assert job.finished, job.message
        link = re.search(r'id="job-result" href="([^"]+)"', job_page)
        href = link.group(1).replace("&amp;", "&") if link else None
        return job, href, (client.get(href) if href else None)

    return post


def test_the_officer_runs_a_round_and_sees_assignments_and_exclusions(client, world, reviewing, run_job):
    client.force_login(world.officer)
    form = client.get("/officer/assignment/").content.decode()
    assert "最优匹配" in form
    assert "公平优先" in form
    assert "随机抽取" in form
    job, href, result = run_job(
        client,
        "/officer/assignment/",
        {
            "call": world.call.pk,
            "k": "2",
            "min_load": "0",
            "max_load": "3",
            "mode": "random",
            "seed": "7",
            "max_prob": "0.9",
            "due_at": "2099-01-01T12:00",
        },
    )
    rnd = ReviewRound.objects.get()
    assert job.status == "done"
    assert f"round={rnd.pk}" in href
    assert rnd.status == "assigned"
    assert rnd.seed == 7
    assert rnd.due_at is not None
    page = result.content.decode()
    for app in reviewing["apps"]:
        assert f'data-app="{app.pk}"' in page
    conflicted = reviewing["experts"][-1]
    assert "回避明细" in page
    assert "专家与申报单位为同一单位" in page
    assert conflicted.person.name in page
    assert not rnd.assignments.filter(application=reviewing["apps"][0], expert=conflicted).exists()
    # A second run while the round is open is refused with the service's message; closing allows it.
    again, no_link, _ = run_job(client, "/officer/assignment/", {"call": world.call.pk, "k": "2", "mode": "optimal"})
    assert no_link is None
    assert again.status == "failed"
    assert "已分配专家" in again.message
    client.post(f"/officer/assignment/rounds/{rnd.pk}/close/")
    rnd.refresh_from_db()
    assert rnd.status == "closed"


def test_an_infeasible_round_shows_its_diagnosis(client, world, reviewing, run_job):
    client.force_login(world.officer)
    _, _, resp = run_job(client, "/officer/assignment/", {"call": world.call.pk, "k": "4", "mode": "optimal"})
    body = resp.content.decode()
    rnd = ReviewRound.objects.get()
    assert rnd.status == "infeasible"
    assert 'id="diagnosis"' in body
    assert "application_too_few_eligible" in body
    assert "不足 k=4" in body


# --------------------------------------------------------------------------- the officer: ranking


def test_the_ranking_shows_the_funding_line_and_a_panel_move_needs_a_reason(client, world, reviewing):
    Call.objects.filter(pk=world.call.pk).update(budgets={"1.1": 1_500_000})
    rnd = _round(world)
    for a in ReviewAssignment.objects.filter(round=rnd).select_related("expert"):
        review.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement=STATEMENT)
        bonus = 10 if a.application_id == reviewing["apps"][2].pk else 0
        review.score_submit(
            actor=a.expert.user,
            assignment=a,
            points=dict.fromkeys(("innovation", "feasibility", "benefit", "team"), 70 + bonus),
            comment="可以",
        )
    client.force_login(world.officer)
    page = client.get("/officer/ranking/", {"round": rnd.pk, "method": "mean"}).content.decode()
    assert "data-funding-line" in page
    assert 'data-funded="1"' in page
    assert 'data-funded="0"' in page
    assert page.index(f'data-app="{reviewing["apps"][2].pk}"') < page.index("data-funding-line")
    assert client.get("/officer/ranking/", {"round": rnd.pk, "method": "calibrated"}).status_code == 200
    last = reviewing["apps"][1]
    no_reason = client.post("/officer/ranking/", {"round": rnd.pk, "application": last.pk, "position": "1", "reason": " "}, follow=True)
    assert "须记录理由" in no_reason.content.decode()
    assert not PanelMove.objects.exists()
    out_of_range = client.post("/officer/ranking/", {"round": rnd.pk, "application": last.pk, "position": "9", "reason": "x"}, follow=True)
    assert "名次应在" in out_of_range.content.decode()
    assert not PanelMove.objects.exists()
    moved = client.post(
        "/officer/ranking/", {"round": rnd.pk, "application": last.pk, "position": "1", "reason": "会评认为技术突破明显"}, follow=True
    )
    body = moved.content.decode()
    assert PanelMove.objects.filter(application=last, position=1).exists()
    assert "会评认为技术突破明显" in body
    assert body.index(f'data-app="{last.pk}"') < body.index("data-funding-line")


# --------------------------------------------------------------------------- award claims


@pytest.fixture
def claims(world):
    call = make_call(directions=["33.1", "35.1"], budgets={"33.1": 2_500_000})
    apps = []
    for level in ("national", "national", "region"):
        org = make_org(district="450103")
        user = make_user("applicant", organisation=org)
        app = make_application(
            call=call,
            org=org,
            user=user,
            direction="33.1",
            requested_amount=0,
            title=f"孵化器申领{level}{len(apps)}",
            facts={"carrier": "incubator", "level": level, "public_funded": False},
        )
        app, _ = app_services.application_transition(actor=user, application=app, action="submit")
        apps.append(app)
    return {"call": call, "apps": apps}


def test_award_claims_show_breakdowns_check_and_allocate(client, world, claims):
    call, apps = claims["call"], claims["apps"]
    client.force_login(world.officer)
    page = client.get("/awards/claims/", {"call": call.pk, "direction": "33.1"}).content.decode()
    assert all(f'data-app="{a.pk}"' in page for a in apps)
    assert 'class="breakdown"' in page
    assert 'class="clause"' in page
    assert "按核算金额审核" in page
    for a in apps:
        client.post(f"/awards/claims/{a.pk}/check/", {"comment": "核验无误"})
    assert set(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("state", flat=True)) == {"checked"}
    page = client.get("/awards/claims/", {"call": call.pk, "direction": "33.1"}).content.decode()
    assert "超出预算" in page
    assert "按预算分配" in page
    client.post("/awards/claims/allocate/", {"call": call.pk, "direction": "33.1"})
    amounts = sorted(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("decided_amount", flat=True))
    assert sum(amounts) == 2_500_000
    assert amounts == [500_000, 1_000_000, 1_000_000]


def test_the_registry_screen_button_shows_what_was_created(client, world, claims, run_job):
    winner = make_org(county_research_award_received=True, innovative_county_recognized=True, county_work_system=True)
    client.force_login(world.officer)
    job, href, resp = run_job(client, "/awards/claims/screen/", {"call": claims["call"].pk, "direction": "35.1"})
    assert href == f"/awards/claims/?call={claims['call'].pk}&direction=35.1"
    assert job.status == "done"
    assert "新建待确认申领" in job.message
    body = resp.content.decode()
    assert 'id="screen-result"' in body
    assert "新建待确认申领" in body
    assert Application.objects.filter(call=claims["call"], organisation=winner, direction="35.1", state="proposed").exists()


def test_finance_reads_the_claims_but_cannot_check(client, world, claims):
    client.force_login(world.finance)
    page = client.get("/awards/claims/", {"call": claims["call"].pk, "direction": "33.1"})
    assert page.status_code == 200
    assert "按核算金额审核" not in page.content.decode()
    assert client.post(f"/awards/claims/{claims['apps'][0].pk}/check/").status_code == 403


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("url", ["/expert/", "/officer/assignment/", "/officer/ranking/", "/awards/claims/"])
def test_an_applicant_is_refused_every_review_and_award_page(client, world, url):
    client.force_login(world.applicant)
    assert client.get(url).status_code == 403


def test_roles_stay_on_their_side(client, world, reviewing):
    rnd = _round(world)
    an_application(world)
    client.force_login(world.expert)
    for url in ("/officer/assignment/", "/officer/ranking/", "/awards/claims/", f"/officer/assignment/rounds/{rnd.pk}/close/"):
        assert client.get(url).status_code == 403, url  # the page's role comes before the method
    client.force_login(world.officer)
    assert client.get("/expert/").status_code == 403
    client.force_login(world.applicant)
    assert client.post("/officer/assignment/", {"call": world.call.pk}).status_code == 403
    assert client.post(f"/officer/assignment/rounds/{rnd.pk}/close/").status_code == 403


def test_the_officer_can_force_a_pair_when_adjusting(client, world, reviewing, run_job):
    client.force_login(world.officer)
    app, expert = reviewing["apps"][1], reviewing["experts"][0]
    job, _, _ = run_job(
        client,
        "/officer/assignment/",
        {"call": world.call.pk, "k": "2", "max_load": "3", "mode": "optimal", "forced": f"{app.pk}:{expert.pk}"},
    )
    assert job.status == "done"
    assert ReviewAssignment.objects.get(application=app, expert=expert).forced
    bad = client.post("/officer/assignment/", {"call": world.call.pk, "forced": "twelve:3"}, follow=True)
    assert "申报编号:专家编号" in bad.content.decode()

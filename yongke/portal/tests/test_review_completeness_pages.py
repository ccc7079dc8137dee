"""The officer's pages for decisions on complete reviews: the ranking with "已评 n/k" and the
incomplete reviews apart, the recorded reason to decide anyway, 拟立项 refused on the
application page, the assignment form's floor / organisation / time limit, and the expert pool."""

from __future__ import annotations

import re

import pytest

from yongke.jobs.models import Job
from yongke.portal.tests.conftest import an_application
from yongke.review import services as review
from yongke.review.models import DecisionWaiver, ReviewAssignment, ReviewRound
from yongke.testing import TEST, make_org, make_person, make_user

POINTS = {"innovation": 80, "feasibility": 70, "benefit": 90, "team": 60}


def _experts(n: int, *, org=None) -> list:
    out = []
    for _ in range(n):
        user = make_user("expert")
        where = org or make_org(district="450107")
        out.append(
            review.expert_add(
                actor=TEST,
                person=make_person(where, user=user),
                organisation=where,
                fields=["C3976"],
                keywords=["测试"],  # in every test title: affinity above the floor
                max_load=3,
                user=user,
            )
        )
    return out


@pytest.fixture
def reviewed(world):
    """Two applications in expert review with three experts each: one fully scored, one by 1 of 3."""
    done, partial = an_application(world, "expert_review"), an_application(world, "expert_review")
    _experts(3)
    rnd = review.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3)
    assert rnd.status == "assigned"
    for app, n in ((done, 3), (partial, 1)):
        for a in ReviewAssignment.objects.filter(round=rnd, application=app).select_related("expert__user").order_by("id")[:n]:
            review.invitation_respond(actor=a.expert.user, assignment=a, accept=True, statement="本人与该申报无利益冲突")
            review.score_submit(actor=a.expert.user, assignment=a, points=POINTS, comment="可行")
    return {"round": rnd, "done": done, "partial": partial}


def _row(body: str, app_id: int) -> str:
    start = body.index(f'<tr data-app="{app_id}"')
    return body[start : body.index("</tr>", start)]


def test_the_ranking_page_shows_scored_of_assigned_and_the_incomplete_review_apart(client, world, reviewed):
    client.force_login(world.officer)
    body = client.get("/officer/ranking/", {"round": reviewed["round"].pk}).content.decode()
    done, partial = _row(body, reviewed["done"].pk), _row(body, reviewed["partial"].pk)
    assert "已评 3/3" in done
    assert 'data-funded="1"' in done
    assert "已评 1/3" in partial
    assert "评审未完成" in partial
    assert 'data-funded="0"' in partial
    assert 'data-status="incomplete"' in partial
    assert "线上" not in partial
    # Apart: below the ranked table, in the table of incomplete reviews.
    assert body.index("<table data-ranked") < body.index("<table data-incomplete") < body.index(f'<tr data-app="{reviewed["partial"].pk}"')
    assert "评审完成 1 项，未完成 1 项" in body


def test_the_officer_records_a_reason_on_the_ranking_page(client, world, reviewed):
    client.force_login(world.officer)
    rnd, partial = reviewed["round"], reviewed["partial"]
    blank = client.post(
        "/officer/ranking/", {"op": "waive", "round": rnd.pk, "application": partial.pk, "reason": " "}, follow=True
    ).content.decode()
    assert "须写明不等评审完成即决定的理由" in blank
    assert not DecisionWaiver.objects.exists()
    page = client.post(
        "/officer/ranking/", {"op": "waive", "round": rnd.pk, "application": partial.pk, "reason": "两位专家出差，会评已讨论"}, follow=True
    ).content.decode()
    assert DecisionWaiver.objects.get(application=partial).reason == "两位专家出差，会评已讨论"
    assert "理由已记录" in page
    assert "两位专家出差，会评已讨论" in _row(page, partial.pk)


def test_funding_on_the_application_page_is_refused_until_a_reason_is_recorded(client, world, reviewed):
    client.force_login(world.officer)
    partial = reviewed["partial"]
    form = {"action": "fund", "amount": "800000", "comment": "同意", "lock_version": partial.lock_version}
    refused = client.post(f"/applications/{partial.pk}/transition/", form, follow=True).content.decode()
    assert "3 位专家中 1 位已评分" in refused
    partial.refresh_from_db()
    assert partial.state == "expert_review"
    review.review_waiver_record(actor=world.officer, round=reviewed["round"], application=partial, reason="时间紧迫")
    page = client.post(f"/applications/{partial.pk}/transition/", form, follow=True).content.decode()
    partial.refresh_from_db()
    assert partial.state == "funded"
    assert "时间紧迫" in page  # the reason, in the timeline
    assert "评审未完成即决定" in page  # with its label, not its code


def test_the_ranking_page_in_english(client, world, reviewed):
    client.force_login(world.officer)
    body = client.get("/officer/ranking/", {"round": reviewed["round"].pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Review incomplete" in body
    assert "Scored 1/3" in body


# --------------------------------------------------------------------------- the assignment form


@pytest.fixture
def run_job(settings, django_capture_on_commit_callbacks):
    settings.YONGKE_JOB_BACKEND = "immediate"

    def post(client, data):
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post("/officer/assignment/", data)
        assert resp.status_code == 302, resp
        return Job.objects.latest("pk")

    return post


def test_the_assignment_form_passes_the_floor_the_organisation_rule_and_the_time_limit(client, world, run_job):
    for _ in range(2):
        an_application(world, "expert_review")
    _experts(4)
    client.force_login(world.officer)
    form = client.get("/officer/assignment/").content.decode()
    assert 'name="affinity_floor"' in form
    assert 'name="one_per_organisation"' in form
    assert 'name="time_limit"' in form
    job = run_job(
        client,
        {
            "call": world.call.pk,
            "k": "2",
            "max_load": "3",
            "mode": "fair",
            "affinity_floor": "0.05",
            "one_per_organisation": "1",
            "time_limit": "15",
        },
    )
    assert job.status == "done", job.message
    rnd = ReviewRound.objects.get()
    assert (rnd.affinity_floor, rnd.one_per_organisation, rnd.time_limit) == (0.05, True, 15.0)
    page = client.get("/officer/assignment/", {"round": rnd.pk}).content.decode()
    assert 'id="solver-gap"' in page
    assert "已证明最优" in page
    assert "同一申报的专家来自不同单位" in page


def test_a_bad_floor_on_the_form_is_refused_before_anything_runs(client, world):
    client.force_login(world.officer)
    page = client.post("/officer/assignment/", {"call": world.call.pk, "mode": "optimal", "affinity_floor": "high"}, follow=True)
    assert "匹配度下限应为数字" in page.content.decode()
    assert not Job.objects.exists()


def test_an_infeasible_round_after_the_organisation_rule_shows_its_diagnosis(client, world, run_job):
    an_application(world, "expert_review")
    _experts(3, org=make_org(district="450107", name="广西唯一测试大学"))
    client.force_login(world.officer)
    run_job(client, {"call": world.call.pk, "k": "3", "max_load": "3", "mode": "optimal", "one_per_organisation": "1"})
    rnd = ReviewRound.objects.get()
    body = client.get("/officer/assignment/", {"round": rnd.pk}).content.decode()
    assert rnd.status == "infeasible"
    assert 'data-problem="application_too_few_organisations"' in body
    assert "不同单位" in body


# --------------------------------------------------------------------------- the expert pool


def test_the_officer_lists_and_searches_the_pool(client, world):
    gx = make_org(district="450107", name="广西测试大学")
    wang = review.expert_add(actor=TEST, person=make_person(gx, name="王储能"), organisation=gx, fields=["C3841"], keywords=["储能"])
    li = review.expert_add(actor=TEST, person=make_person(name="李软件"), fields=["I6510"], keywords=["人工智能"])
    client.force_login(world.officer)
    home = client.get("/officer/").content.decode()
    assert 'href="/officer/experts/"' in home  # in the officer's menu
    body = client.get("/officer/experts/").content.decode()
    assert f'data-expert="{wang.pk}"' in body
    assert f'data-expert="{li.pk}"' in body
    assert "广西测试大学" in body
    assert "C3841" in body
    found = client.get("/officer/experts/", {"q": "储能"}).content.decode()
    assert f'data-expert="{wang.pk}"' in found
    assert f'data-expert="{li.pk}"' not in found
    by_field = client.get("/officer/experts/", {"field": "I65"}).content.decode()
    assert f'data-expert="{li.pk}"' in by_field
    assert f'data-expert="{wang.pk}"' not in by_field
    none = client.get("/officer/experts/", {"q": "不存在的人"}).content.decode()
    assert "没有符合条件的专家" in none


def test_the_pool_shows_each_experts_load(client, world, reviewed):
    client.force_login(world.officer)
    body = client.get("/officer/experts/").content.decode()
    loads = {int(a): int(b) for a, b in re.findall(r'data-expert="(\d+)" data-load="(\d+)"', body)}
    assert sorted(loads.values()) == [0, 1, 1]  # the first expert scored both, the others one of two


@pytest.mark.parametrize("role", ["applicant", "expert", "recommender", "finance"])
def test_the_pool_is_for_officers_only(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get("/officer/experts/").status_code == 403

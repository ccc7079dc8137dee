"""Applications through the API: drafts, optimistic locking, deadlines, double submits,
verdicts, timeline, lists with filters and pages, blind review, attachments."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yongke import testing as t
from yongke.api.tests.conftest import PDF
from yongke.applications import selectors as app_selectors
from yongke.applications.models import Submission

A = "/api/v1"


def new_draft(api, world, *, title="智能网联整车控制器研发", call=None):
    response = api.as_("applicant").post(
        f"{A}/applications",
        {
            "call": (call or world.call).pk,
            "direction": "1.1",
            "organisation": world.org.pk,
            "title": title,
            "requested_amount": 800_000,
            "facts": t.ELIGIBLE_1_1,
            # the 申报书 a submission needs: leader, phone, period, a budget adding up to the request
            "leader": world.person_a.pk,
            "leader_phone": "13800138000",
            "starts_on": "2027-01-01",
            "ends_on": "2028-12-31",
            "budget": [{"category": "equipment", "fiscal": 800_000}],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_a_draft_and_read_it_back(api, world):
    app = new_draft(api, world)
    assert (app["state"], app["lock_version"], app["organisation"]["id"]) == ("draft", 1, world.org.pk)
    assert {a["action"] for a in app["actions"]} == {"submit"}  # 撤回 only once submitted
    again = api.as_("org_admin").get(f"{A}/applications/{app['id']}").json()
    assert again["title"] == "智能网联整车控制器研发"
    assert again["facts"] == t.ELIGIBLE_1_1


def test_submit_after_the_deadline_is_refused(api, world):
    call = t.make_call(days=1)
    app = new_draft(api, world, call=call)
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1), tick=False):
        response = api.as_("applicant").post(f"{A}/applications/{app['id']}/transitions", {"action": "submit"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "deadline_passed"
    assert "截止" in body["message"]
    assert api.as_("applicant").get(f"{A}/applications/{app['id']}").json()["state"] == "draft"


def test_submitting_twice_makes_one_submission(api, world):
    app = new_draft(api, world)
    first = api.as_("applicant").post(f"{A}/applications/{app['id']}/transitions", {"action": "submit"})
    second = api.as_("org_admin").post(f"{A}/applications/{app['id']}/transitions", {"action": "submit"})
    assert (first.status_code, first.json()["changed"], first.json()["state"]) == (200, True, "submitted")
    assert (second.status_code, second.json()["changed"], second.json()["state"]) == (200, False, "submitted")
    subs = api.as_("applicant").get(f"{A}/applications/{app['id']}/submissions").json()
    assert subs["count"] == 1
    assert Submission.objects.filter(application_id=app["id"]).count() == 1
    assert subs["items"][0]["verdict"]["verdict"] == "eligible"


def test_the_second_of_two_concurrent_edits_is_a_conflict(api, world):
    app = new_draft(api, world)
    mine = api.as_("applicant").patch(f"{A}/applications/{app['id']}", {"lock_version": 1, "title": "我的标题"})
    theirs = api.as_("org_admin").patch(f"{A}/applications/{app['id']}", {"lock_version": 1, "title": "他的标题"})
    assert (mine.status_code, mine.json()["lock_version"]) == (200, 2)
    assert theirs.status_code == 409
    assert theirs.json()["code"] == "conflict"
    assert theirs.json()["detail"]["lock_version"] == 2
    assert api.as_("applicant").get(f"{A}/applications/{app['id']}").json()["title"] == "我的标题"


def test_a_transition_from_a_stale_version_is_a_conflict(api, world):
    app = new_draft(api, world)
    response = api.as_("applicant").post(f"{A}/applications/{app['id']}/transitions", {"action": "submit", "lock_version": 7})
    assert response.status_code == 409


def test_patch_merges_facts_and_can_clear_the_leader(api, world):
    app = new_draft(api, world)
    r = api.as_("applicant").patch(
        f"{A}/applications/{app['id']}", {"lock_version": 1, "leader": world.person_a.pk, "facts": {"kpi_new_revenue": 60_000_000}}
    )
    assert r.status_code == 200, r.content
    assert r.json()["leader"]["id"] == world.person_a.pk
    assert r.json()["facts"]["kpi_invention_patent_applications"] == 3
    r = api.as_("applicant").patch(f"{A}/applications/{app['id']}", {"lock_version": 2, "leader": None})
    assert r.json()["leader"] is None


def test_a_leader_from_another_organisation_is_refused(api, world):
    app = new_draft(api, world)
    r = api.as_("applicant").patch(f"{A}/applications/{app['id']}", {"lock_version": 1, "leader": world.person_b.pk})
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == "leader"


def test_check_returns_the_current_verdicts(api, world):
    app = new_draft(api, world)
    api.as_("applicant").patch(f"{A}/applications/{app['id']}", {"lock_version": 1, "facts": {"kpi_new_revenue": 10_000_000}})
    body = api.as_("applicant").post(f"{A}/applications/{app['id']}/check").json()
    assert body["verdict"] == "not_eligible"
    assert body["failing"] == ["1:revenue"]


def test_the_workflow_runs_to_the_decision_and_the_timeline_records_it(api, world):
    a = world.submitted_a
    assert api.as_("recommender").post(f"{A}/applications/{a.pk}/transitions", {"action": "recommend"}).json()["state"] == "recommended"
    officer = api.as_("officer")
    for step in ({"action": "accept"}, {"action": "start_review"}, {"action": "fund", "amount": 500_000}):
        if step["action"] == "fund":
            t.review_by_panel(a)  # the experts have scored it: 拟立项 of a reviewed project waits for that
        r = officer.post(f"{A}/applications/{a.pk}/transitions", step)
        assert r.status_code == 200, r.content
    assert r.json()["application"]["decided_amount"] == 500_000
    assert r.json()["state_label"] == "拟立项"
    too_much = officer.post(f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "publish", "objection_days": 99})
    assert too_much.status_code == 400
    assert too_much.json()["detail"]["field"] == "objection_days"
    events = officer.get(f"{A}/applications/{a.pk}/timeline?page_size=100").json()["items"]  # the auditor reads the audit log only
    assert [e["action"] for e in events][-4:] == ["recommend", "accept", "start_review", "fund"]
    audit = api.as_("auditor").get(f"{A}/audit?action=fund&target_id={a.pk}").json()
    assert audit["count"] == 1
    assert audit["items"][0]["address"] == "127.0.0.1"
    assert audit["items"][0]["actor"] == world.users["officer"].username


def every_programmes_officer(api, world):
    """A client of an officer of every programme ("*"): sees every submitted application (no administrator does)."""
    from yongke.accounts.services import token_create

    user = t.make_user("officer", programme="*")
    world.tokens["every_officer"] = token_create(actor=user, user=user, name="tests")
    return api.as_("every_officer")


def test_lists_page_and_filter(api, world):
    for i in range(5):
        new_draft(api, world, title=f"分页项目{i}")
    mine = api.as_("applicant")
    first = mine.get(f"{A}/applications?page_size=2").json()
    assert (first["count"], len(first["items"]), first["page"], first["page_size"]) == (7, 2, 1, 2)  # 5 new + draft A + submitted A
    last = mine.get(f"{A}/applications?page_size=2&page=4").json()
    assert (last["count"], [a["id"] for a in last["items"]]) == (7, [world.submitted_a.pk])  # newest first
    assert mine.get(f"{A}/applications?page_size=2&page=5").json()["items"] == []
    assert mine.get(f"{A}/applications?state=submitted").json()["count"] == 1
    admin = every_programmes_officer(api, world)
    assert {a["organisation"]["id"] for a in admin.get(f"{A}/applications?district=450107").json()["items"]} == {world.other_org.pk}
    assert admin.get(f"{A}/applications?direction=14.1").json()["count"] == 1
    assert admin.get(f"{A}/applications?call={world.spare_call.pk}").json()["count"] == 0
    assert admin.get(f"{A}/applications?programme=2&state=submitted").json()["items"][0]["id"] == world.submitted_b.pk
    assert admin.get(f"{A}/organisations?district=450107").json()["items"][0]["id"] == world.other_org.pk


def test_the_list_costs_the_same_number_of_queries_for_more_rows(api, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.as_("applicant").get(f"{A}/applications?page_size=100").status_code == 200
        return len(ctx.captured_queries)

    queries()  # the token's first use is audited (once in ten minutes), not part of the list's cost
    before = queries()
    for i in range(6):
        new_draft(api, world, title=f"计数项目{i}")
    assert queries() == before


@pytest.fixture
def blind(world, monkeypatch):
    call = t.make_call(blind_review=True)
    app = t.make_application(call=call, org=world.org, leader=world.person_a)
    expert = world.users["expert"]
    monkeypatch.setattr(app_selectors, "_assigned_to", lambda user: [app.pk] if user.pk == expert.pk else [])
    return app


def test_blind_review_hides_the_organisation_from_experts(api, world, blind):
    seen = api.as_("expert").get(f"{A}/applications/{blind.pk}").json()
    assert seen["identity_hidden"] is True
    assert seen["organisation"] is None
    assert seen["leader"] is None
    assert world.org.name not in str(seen)
    assert world.org.uscc not in str(seen)
    listed = api.as_("expert").get(f"{A}/applications").json()["items"]
    assert [(a["id"], a["organisation"]) for a in listed] == [(blind.pk, None)]
    own = api.as_("applicant").get(f"{A}/applications/{blind.pk}").json()
    assert own["identity_hidden"] is False
    assert own["organisation"]["uscc"] == world.org.uscc


def test_attachments_upload_list_and_download_with_the_sniffed_type(api, world):
    app = new_draft(api, world)
    up = api.as_("applicant").post(
        f"{A}/applications/{app['id']}/attachments",
        data={"kind": "可行性报告", "file": SimpleUploadedFile("报告.pdf", PDF, content_type="text/plain")},
    )
    assert up.status_code == 201, up.content
    meta = up.json()
    assert (meta["content_type"], meta["size"], meta["filename"]) == ("application/pdf", len(PDF), "报告.pdf")
    assert api.as_("org_admin").get(f"{A}/applications/{app['id']}/attachments").json()["items"][0]["sha256"] == meta["sha256"]
    down = api.as_("org_admin").get(meta["download_url"])
    assert down.status_code == 200
    assert down["Content-Type"] == "application/pdf"
    assert "attachment" in down["Content-Disposition"]
    assert b"".join(down.streaming_content) == PDF


def test_an_attachment_is_judged_by_its_content_not_its_name(api, world):
    r = api.as_("applicant").post(
        f"{A}/applications/{world.draft_a.pk}/attachments",
        data={"kind": "申报书", "file": SimpleUploadedFile("申报书.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == "file"


def test_the_recommender_downloads_what_its_jurisdiction_submitted(api, world):
    url = f"{A}/applications/{world.submitted_a.pk}/attachments/{world.attachment_a.pk}/download"
    assert api.as_("recommender").get(url).status_code == 200
    assert api.as_("stranger").get(url).status_code == 404
    wrong_pair = f"{A}/applications/{world.submitted_a.pk}/attachments/{world.attachment_b.pk}/download"
    assert every_programmes_officer(api, world).get(wrong_pair).status_code == 404


def test_a_new_application_for_a_closed_call_is_refused(api, world):
    call = t.make_call(opens_at=timezone.now() - dt.timedelta(days=5), closes_at=timezone.now() - dt.timedelta(days=1))
    r = api.as_("applicant").post(f"{A}/applications", {"call": call.pk, "direction": "1.1", "organisation": world.org.pk, "title": "迟到"})
    assert r.status_code == 422
    assert r.json()["code"] == "call_closed"

"""A 提交 received at once and taken by the worker (`Prefer: respond-async`): the receipt keeps
the request's arrival, the worker judges the deadline and every rule as of it, a late request is
refused at once, a refusal on the worker is told on the receipt, nothing is submitted twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from yongke import testing as t
from yongke.api.tests.test_applications import new_draft
from yongke.applications.models import Application, Submission
from yongke.core.errors import PermissionDenied, Refused
from yongke.jobs.models import Job
from yongke.jobs.services import job_rerun, job_start_transition
from yongke.jobs.worker import run_queue
from yongke.notifications.models import Notification

A = "/api/v1"
ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(autouse=True)
def _queue(settings):
    settings.YONGKE_JOB_BACKEND = "default"  # the database queue: a task waits for the worker (run_queue)
    settings.YONGKE_NOTIFY_BACKEND = ""


def _send(api, app_id: int, capture, role: str = "applicant", **body):
    with capture(execute=True):
        return api.as_(role).post(f"{A}/applications/{app_id}/transitions", {"action": "submit", **body}, **ASYNC)


def test_a_submission_received_before_the_deadline_is_taken_after_it_as_of_its_arrival(api, world, django_capture_on_commit_callbacks):
    call = t.make_call(days=1)
    app = new_draft(api, world, call=call)
    arrival = (call.closes_at - dt.timedelta(seconds=1)).replace(microsecond=0)
    with time_machine.travel(arrival, tick=False):
        r = _send(api, app["id"], django_capture_on_commit_callbacks)
    assert r.status_code == 202, r.content
    assert (r["Preference-Applied"], r["Location"]) == ("respond-async", f"/api/v1/jobs/{r.json()['job']['id']}")
    receipt = r.json()
    assert receipt["received"] is True
    assert dt.datetime.fromisoformat(receipt["received_at"]) == arrival
    assert (receipt["job"]["kind"], receipt["job"]["status"], receipt["job"]["application"]) == ("transition", "queued", app["id"])
    assert Application.objects.get(pk=app["id"]).state == "draft"  # received, not yet taken
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=5), tick=False):
        assert run_queue() >= 1  # the worker reaches it five minutes after the deadline
    taken = Application.objects.get(pk=app["id"])
    assert taken.state == "submitted"
    assert Submission.objects.get(application=taken).submitted_at == arrival
    job = api.as_("applicant").get(receipt["status_url"]).json()
    assert (job["status"], job["result"]["state"], job["result"]["changed"]) == ("done", "submitted", True)


def test_a_request_arriving_after_the_deadline_is_refused_at_once_with_no_receipt(api, world, django_capture_on_commit_callbacks):
    call = t.make_call(days=1)
    app = new_draft(api, world, call=call)
    with time_machine.travel(call.closes_at + dt.timedelta(seconds=1), tick=False):
        r = _send(api, app["id"], django_capture_on_commit_callbacks)
    assert (r.status_code, r.json()["code"]) == (422, "deadline_passed")
    assert not Job.objects.filter(kind=Job.Kind.TRANSITION).exists()


def test_a_step_the_worker_refuses_is_told_on_the_receipt_and_is_not_re_run(api, world, django_capture_on_commit_callbacks):
    app = new_draft(api, world)
    Application.objects.filter(pk=app["id"]).update(facts={**t.ELIGIBLE_1_1, "kpi_new_revenue": 1})  # below the guide's floor
    r = _send(api, app["id"], django_capture_on_commit_callbacks)
    assert r.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        run_queue()  # takes the step: refused, the refusal announced once the task's work commits
    run_queue()  # delivers the announcement
    job = api.as_("applicant").get(r.json()["status_url"]).json()
    assert job["status"] == "failed"
    assert job["result"]["code"] == "not_eligible"
    assert "不符合申报要求" in job["message"]
    assert Application.objects.get(pk=app["id"]).state == "draft"
    told = Notification.objects.get(user=world.users["applicant"], template="submission_refused")  # the sender may have left the page
    assert "不符合申报要求" in told.body
    assert told.link == f"/applications/{app['id']}/"
    assert not Notification.objects.filter(template="submission_refused").exclude(user=world.users["applicant"]).exists()
    with pytest.raises(Refused) as e:
        job_rerun(actor=world.users["applicant"], job=Job.objects.get(pk=job["id"]))
    assert e.value.code == "job_refused"


def test_a_second_click_is_the_same_receipt_and_one_submission(api, world, django_capture_on_commit_callbacks):
    app = new_draft(api, world)
    first = _send(api, app["id"], django_capture_on_commit_callbacks)
    again = _send(api, app["id"], django_capture_on_commit_callbacks, role="org_admin")
    mine_again = _send(api, app["id"], django_capture_on_commit_callbacks)
    assert first.status_code == again.status_code == mine_again.status_code == 202
    assert mine_again.json()["job"]["id"] == first.json()["job"]["id"]  # the same sender's waiting receipt
    run_queue()
    assert Submission.objects.filter(application_id=app["id"]).count() == 1
    jobs = Job.objects.filter(kind=Job.Kind.TRANSITION, params__application=app["id"])
    assert sorted(j.result.get("changed") for j in jobs) == [False, True]  # the org admin's took nothing
    after = _send(api, app["id"], django_capture_on_commit_callbacks)
    assert (after.status_code, after.json()["changed"]) == (200, False)  # already taken: said at once


def test_an_edit_after_the_receipt_is_a_conflict_on_the_worker(api, world, django_capture_on_commit_callbacks):
    app = new_draft(api, world)
    r = _send(api, app["id"], django_capture_on_commit_callbacks)
    edit = api.as_("applicant").patch(f"{A}/applications/{app['id']}", {"lock_version": app["lock_version"], "title": "受理后改的标题"})
    assert edit.status_code == 200
    run_queue()
    job = Job.objects.get(pk=r.json()["job"]["id"])
    assert (job.status, job.result["code"]) == ("failed", "conflict")
    assert Application.objects.get(pk=app["id"]).state == "draft"  # what was received was not what stands


def test_the_receipt_checks_who_sends_and_who_reads(api, world, django_capture_on_commit_callbacks):
    app = world.draft_b  # the other organisation's
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_("applicant").post(f"{A}/applications/{app.pk}/transitions", {"action": "submit"}, **ASYNC)
    assert r.status_code == 404
    mine = new_draft(api, world)
    receipt = _send(api, mine["id"], django_capture_on_commit_callbacks).json()
    for role in ("officer", "recommender", "auditor", "sysadmin"):
        assert api.as_(role).get(receipt["status_url"]).status_code == 404
    assert api.as_("applicant").get(receipt["status_url"]).status_code == 200
    with pytest.raises(PermissionDenied):
        job_start_transition(actor=world.users["officer"], application=Application.objects.get(pk=mine["id"]), action="submit")


def test_other_steps_ignore_the_preference(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_("recommender").post(f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "recommend"}, **ASYNC)
    assert r.status_code == 200, r.content
    assert "Preference-Applied" not in r
    assert r.json()["state"] == "recommended"
    assert not Job.objects.filter(kind=Job.Kind.TRANSITION).exists()


def test_a_receipt_whose_worker_died_is_re_run_by_its_sender_as_of_the_same_arrival(api, world, django_capture_on_commit_callbacks):
    call = t.make_call(days=1)
    app = new_draft(api, world, call=call)
    arrival = call.closes_at - dt.timedelta(seconds=2)
    with time_machine.travel(arrival, tick=False):
        r = _send(api, app["id"], django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=r.json()["job"]["id"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="后台工作进程意外退出")  # as workers_reap leaves it
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the lost task
    job.refresh_from_db()
    with pytest.raises(PermissionDenied):
        job_rerun(actor=world.users["org_admin"], job=job)
    with pytest.raises(PermissionDenied):
        job_rerun(actor=world.users["sysadmin"], job=job)
    with django_capture_on_commit_callbacks(execute=True):
        again = job_rerun(actor=world.users["applicant"], job=job)
    assert again.params["received_at"] == job.params["received_at"]
    assert (again.created_by, again.params["rerun_of"]) == (world.users["applicant"], job.pk)
    with time_machine.travel(call.closes_at + dt.timedelta(hours=1), tick=False):
        run_queue()
    assert Submission.objects.get(application_id=app["id"]).submitted_at == arrival


def test_the_console_re_runs_a_received_step_as_its_sender(api, world, django_capture_on_commit_callbacks):
    from yongke.accounts.actors import System

    app = new_draft(api, world)
    job = Job.objects.get(pk=_send(api, app["id"], django_capture_on_commit_callbacks).json()["job"]["id"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    job.refresh_from_db()
    again = job_rerun(actor=System("cli"), job=job)
    assert again.created_by == world.users["applicant"]
    assert "system" not in again.params  # the step is taken as the applicant, not as the system

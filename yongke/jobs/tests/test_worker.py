"""The worker on the database queue: a task whose worker died is marked failed (its Job too, its
file removed) and can be run again; failed jobs leave no file; deliveries are retried with
backoff; each periodic job calls its service as the scheduler."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yongke.accounts.actors import System
from yongke.core.errors import BadInput, Refused
from yongke.jobs import periodic
from yongke.jobs.models import Job, WorkerBeat
from yongke.jobs.services import job_rerun, job_start_org_import, job_start_review_round, workers_reap
from yongke.jobs.worker import run_queue
from yongke.notifications import tasks as notify_tasks
from yongke.orgs.models import Organisation
from yongke.orgs.validators import uscc_with_check
from yongke.testing import make_call, make_guide, make_user

pytestmark = pytest.mark.django_db
REAPER = System("tests")
CSV = f"统一社会信用代码,单位名称,单位类型,注册地\n{uscc_with_check('91450103MA5J00091')},队列导入公司,企业,青秀区\n".encode()


@pytest.fixture(autouse=True)
def _queue(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.YONGKE_JOB_BACKEND = "default"
    settings.YONGKE_NOTIFY_BACKEND = ""
    settings.YONGKE_WORKER_STALE_AFTER = 120


def _import(django_capture_on_commit_callbacks) -> tuple[Job, DBTaskResult]:
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start_org_import(actor=REAPER, filename="orgs.csv", content=CSV)
    return job, DBTaskResult.objects.get(task_path="yongke.jobs.tasks.run_org_import")


def _claimed_by(result: DBTaskResult, worker: str, job: Job | None = None, *, started: dt.datetime | None = None) -> None:
    """As a worker does when it takes the task (and the task when it starts its Job)."""
    result.claim(worker)
    if started:
        DBTaskResult.objects.filter(pk=result.pk).update(started_at=started)
    if job:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_task_of_a_silent_worker_is_failed_with_its_job_and_file(django_capture_on_commit_callbacks):
    job, result = _import(django_capture_on_commit_callbacks)
    path = job.params["path"]
    assert os.path.exists(path)
    WorkerBeat.objects.create(worker_id="w-gone", host="elsewhere", pid=1, seen_at=timezone.now() - dt.timedelta(minutes=5))
    _claimed_by(result, "w-gone", job)

    out = workers_reap(actor=REAPER)

    result.refresh_from_db()
    job.refresh_from_db()
    assert out["tasks"] == [str(result.pk)]
    assert out["jobs"] == [job.pk]
    assert out["workers"] == ["w-gone"]
    assert result.status == "FAILED"
    assert result.exception_class_path == "yongke.jobs.services.WorkerLost"
    assert job.status == "failed"
    assert job.finished_at is not None
    assert "意外退出" in job.message
    assert not os.path.exists(path)
    assert not WorkerBeat.objects.exists()


def test_a_task_of_a_worker_whose_process_ended_on_this_host_is_failed(django_capture_on_commit_callbacks):
    import socket

    job, result = _import(django_capture_on_commit_callbacks)
    WorkerBeat.objects.create(worker_id="w-killed", host=socket.gethostname(), pid=_dead_pid(), seen_at=timezone.now())
    _claimed_by(result, "w-killed", job)
    workers_reap(actor=REAPER)
    result.refresh_from_db()
    assert result.status == "FAILED"
    assert Job.objects.get(pk=job.pk).status == "failed"


def test_a_task_of_a_live_worker_is_left_running(django_capture_on_commit_callbacks):
    import socket

    job, result = _import(django_capture_on_commit_callbacks)
    WorkerBeat.objects.create(worker_id="w-live", host=socket.gethostname(), pid=os.getpid(), seen_at=timezone.now())
    _claimed_by(result, "w-live", job, started=timezone.now() - dt.timedelta(hours=3))
    assert workers_reap(actor=REAPER)["tasks"] == []
    result.refresh_from_db()
    assert result.status == "RUNNING"
    assert os.path.exists(job.params["path"])


def test_a_task_of_a_worker_without_heartbeat_is_failed_only_after_the_stale_period(django_capture_on_commit_callbacks):
    job, result = _import(django_capture_on_commit_callbacks)
    _claimed_by(result, "plain-db-worker", job)
    assert workers_reap(actor=REAPER)["tasks"] == []
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=timezone.now() - dt.timedelta(minutes=3))
    assert workers_reap(actor=REAPER)["tasks"] == [str(result.pk)]
    assert Job.objects.get(pk=job.pk).status == "failed"


def test_a_job_whose_task_failed_without_finishing_it_is_failed(django_capture_on_commit_callbacks):
    job, result = _import(django_capture_on_commit_callbacks)
    _claimed_by(result, "w", job)
    result.set_failed(SystemExit(1))  # e.g. the worker stopped hard in the middle of the task
    workers_reap(actor=REAPER)
    assert Job.objects.get(pk=job.pk).status == "failed"
    assert not os.path.exists(job.params["path"])


def test_an_import_that_fails_removes_its_file(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start_org_import(actor=REAPER, filename="orgs.xlsx", content=b"not a workbook")
    path = job.params["path"]
    assert os.path.exists(path)
    run_queue()
    job.refresh_from_db()
    assert job.status == "failed"
    assert not os.path.exists(path)


def test_the_worker_runs_the_queue_and_the_file_goes(django_capture_on_commit_callbacks):
    job, result = _import(django_capture_on_commit_callbacks)
    run_queue()
    result.refresh_from_db()
    job.refresh_from_db()
    assert result.status == "SUCCESSFUL"
    assert job.status == "done"
    assert Organisation.objects.filter(name="队列导入公司").exists()
    assert not os.path.exists(job.params["path"])


def test_an_upload_no_job_needs_is_removed_once_stale(settings, tmp_path):
    folder = tmp_path / "imports"
    folder.mkdir()
    old, new = folder / "old.csv", folder / "new.csv"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    past = (timezone.now() - dt.timedelta(hours=1)).timestamp()
    os.utime(old, (past, past))
    assert workers_reap(actor=REAPER)["files"] == ["old.csv"]
    assert not old.exists()
    assert new.exists()


def test_a_failed_review_round_is_run_again_as_a_new_job(django_capture_on_commit_callbacks):
    make_guide()
    call = make_call()
    officer = make_user("officer", programme="*")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start_review_round(actor=officer, call=call, k=3)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        again = job_rerun(actor=officer, job=job)
    assert again.pk != job.pk
    assert again.status == "queued"
    assert again.params["k"] == 3
    assert again.params["rerun_of"] == job.pk
    assert again.created_by == officer
    assert DBTaskResult.objects.filter(task_path="yongke.jobs.tasks.run_review_round", status="READY").count() == 2


def test_only_a_failed_job_is_run_again_and_an_import_is_uploaded_again(django_capture_on_commit_callbacks):
    job, _ = _import(django_capture_on_commit_callbacks)
    with pytest.raises(Refused) as e:
        job_rerun(actor=REAPER, job=job)
    assert e.value.code == "job_not_failed"
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    job.refresh_from_db()
    with pytest.raises(Refused) as e:
        job_rerun(actor=REAPER, job=job)
    assert e.value.code == "job_file_removed"


# --------------------------------------------------------------------------- retries


EVENTS = [{"template": "returned", "key": "k1", "to": {"users": []}, "params": {}}]


def _deliveries() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="yongke.notifications.tasks.deliver").order_by("enqueued_at"))


def _due_now() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_a_failed_delivery_is_tried_again_with_growing_delays_then_stays_failed(settings, monkeypatch):
    settings.YONGKE_NOTIFY_RETRY_DELAYS = [30, 120]
    calls = []

    def broken(*, actor, events):
        calls.append(actor)
        raise OperationalError("database is away")

    monkeypatch.setattr(notify_tasks, "notifications_deliver", broken)
    notify_tasks.deliver.enqueue(EVENTS)
    start = timezone.now()
    run_queue()
    first, second = _deliveries()
    assert first.status == "FAILED"
    assert second.status == "READY"
    assert second.args_kwargs["kwargs"] == {"attempt": 2}
    assert dt.timedelta(seconds=29) < second.run_after - start < dt.timedelta(seconds=40)
    run_queue()  # not due yet: nothing runs
    assert len(calls) == 1
    _due_now()
    run_queue()
    third = _deliveries()[2]
    assert third.args_kwargs["kwargs"] == {"attempt": 3}
    assert dt.timedelta(seconds=119) < third.run_after - timezone.now() < dt.timedelta(seconds=130)
    _due_now()
    run_queue()
    assert len(calls) == 3
    assert [d.status for d in _deliveries()] == ["FAILED", "FAILED", "FAILED"]  # the third try was the last


def test_a_refused_delivery_is_not_tried_again(monkeypatch):
    def refuse(*, actor, events):
        raise BadInput("template: 未知的通知模板 / unknown template")

    monkeypatch.setattr(notify_tasks, "notifications_deliver", refuse)
    notify_tasks.deliver.enqueue(EVENTS)
    run_queue()
    assert [d.status for d in _deliveries()] == ["FAILED"]


def test_a_delivery_that_fails_once_then_succeeds(settings, monkeypatch):
    settings.YONGKE_NOTIFY_RETRY_DELAYS = [30]
    real = notify_tasks.notifications_deliver
    tries = []

    def flaky(*, actor, events):
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("database is locked")
        return real(actor=actor, events=events)

    monkeypatch.setattr(notify_tasks, "notifications_deliver", flaky)
    user = make_user("finance")
    notify_tasks.deliver.enqueue([{**EVENTS[0], "to": {"users": [user.pk]}}])
    run_queue()
    assert not user.notifications.exists()
    _due_now()
    run_queue()
    assert [d.status for d in _deliveries()] == ["FAILED", "SUCCESSFUL"]
    assert user.notifications.filter(template="returned").count() == 1


# --------------------------------------------------------------------------- periodic jobs


@pytest.mark.parametrize(
    ("name", "service", "returns", "key"),
    [
        ("notify_deadlines", "deadline_reminders", [{"call": 1, "reminded": 2}], "reminded"),
        ("project_remind", "signing_reminders", [{"project": 1}], "reminded"),
        ("project_expire", "projects_revoke_unsigned", [], "revoked"),
        ("project_report_remind", "report_reminders", [{"report": 1}], "reminded"),
        ("project_overdue_scan", "acceptance_overdue_scan", [], "recorded"),
    ],
)
def test_each_periodic_job_calls_its_service_as_the_scheduler(monkeypatch, name, service, returns, key):
    seen = []

    def fake(*, actor, **kwargs):
        seen.append(actor)
        return returns

    monkeypatch.setattr(periodic, service, fake)
    out = periodic.SCHEDULED[name].call()
    assert seen == [System("scheduler")]
    assert key in out


def test_the_review_reminder_job_marks_the_due_tasks(monkeypatch):
    due = [SimpleNamespace(pk=7)]
    marked = []
    monkeypatch.setattr(periodic, "reminders_due", lambda: due)
    monkeypatch.setattr(periodic, "reminders_mark", lambda *, actor, assignments: marked.append((actor, assignments)))
    assert periodic.review_remind.call() == {"reminded": [7]}
    assert marked == [(System("scheduler"), due)]


def test_the_deadline_job_reminds_for_real(django_capture_on_commit_callbacks, settings):
    from yongke.applications.models import Application
    from yongke.testing import build_world, make_application

    settings.YONGKE_NOTIFY_BACKEND = "immediate"
    world = build_world(days=2)
    make_application(call=world.call, org=world.org, user=world.applicant)
    assert Application.objects.filter(state="draft").exists()
    with django_capture_on_commit_callbacks(execute=True):
        out = periodic.notify_deadlines.call()
    assert out["reminded"] >= 1
    assert world.applicant.notifications.filter(template__startswith="deadline").exists()


def test_the_reaper_job_reaps(django_capture_on_commit_callbacks):
    job, result = _import(django_capture_on_commit_callbacks)
    WorkerBeat.objects.create(worker_id="w-old", host="elsewhere", pid=1, seen_at=timezone.now() - dt.timedelta(hours=1))
    _claimed_by(result, "w-old", job)
    assert periodic.workers_reap.call()["jobs"] == [job.pk]


def test_the_periodic_jobs_are_on_the_schedulers_list():
    from crontask import scheduler  # type: ignore[import-untyped]

    names = {j.name for j in scheduler.get_jobs()}
    assert {t.name for t in periodic.SCHEDULED.values()} <= names
    assert set(periodic.SCHEDULED) == {
        "workers_reap",
        "notify_deadlines",
        "review_remind",
        "project_remind",
        "project_expire",
        "project_report_remind",
        "project_overdue_scan",
    }

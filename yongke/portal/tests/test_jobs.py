"""Long work in the background: an organisation import with visible progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yongke.jobs.models import Job
from yongke.jobs.worker import run_queue
from yongke.orgs.models import Organisation
from yongke.orgs.validators import uscc_with_check


@pytest.fixture
def immediate(settings):
    settings.YONGKE_JOB_BACKEND = "immediate"


def _csv(*rows: str) -> SimpleUploadedFile:
    text = "统一社会信用代码,单位名称,单位类型,注册地\n" + "\n".join(rows) + "\n"
    return SimpleUploadedFile("orgs.csv", text.encode("utf-8"))


def test_an_import_runs_in_the_background_and_reports(client, world, immediate, django_capture_on_commit_callbacks):
    client.force_login(world.officer)
    a, b = uscc_with_check("91450103MA5J00010"), uscc_with_check("91450107MA5J00020")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/org/import/", {"file": _csv(f"{a},导入甲公司,企业,青秀区", f"{b},导入乙公司,企业,西乡塘区")})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "done"
    assert job.percent == 100
    assert job.result["created"] == 2
    assert Organisation.objects.filter(uscc__in=[a, b]).count() == 2
    progress = client.get(f"/jobs/{job.pk}/progress/")
    assert progress.status_code == 286  # htmx stops polling
    assert "新增 2 个" in progress.content.decode()


def test_a_bad_row_imports_nothing_and_is_listed(client, world, immediate, django_capture_on_commit_callbacks):
    client.force_login(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/org/import/", {"file": _csv(f"{uscc_with_check('91450103MA5J00030')},好公司,企业,青秀区", "123,坏公司,企业,青秀区")})
    job = Job.objects.get()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "未导入任何数据" in page
    assert "统一社会信用代码无效" in page
    assert not Organisation.objects.filter(name="好公司").exists()


def test_a_queued_job_is_polled(client, world):
    job = Job.objects.create(
        kind=Job.Kind.ORG_IMPORT, created_by=world.officer, total=10, done=4, status=Job.Status.RUNNING, message="已校验 4/10 行"
    )
    client.force_login(world.officer)
    response = client.get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "40%" in response.content.decode()


def test_only_officers_and_admins_import(client, world):
    client.force_login(world.applicant)
    assert client.get("/org/import/").status_code == 403
    client.force_login(world.finance)
    job = Job.objects.create(kind=Job.Kind.ORG_IMPORT, created_by=world.officer)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


def test_the_default_backend_leaves_the_job_queued_for_the_worker(client, world, settings, django_capture_on_commit_callbacks):
    settings.YONGKE_JOB_BACKEND = "default"
    client.force_login(world.officer)
    a = uscc_with_check("91450103MA5J00040")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/org/import/", {"file": _csv(f"{a},队列甲公司,企业,青秀区")})
    job = Job.objects.get()
    assert job.status == "queued"
    assert 'hx-trigger="every 1s"' in client.get(f"/jobs/{job.pk}/progress/").content.decode()
    run_queue()  # the worker's turn
    job.refresh_from_db()
    assert job.status == "done"
    assert Organisation.objects.filter(uscc=a).exists()
    assert client.get(f"/jobs/{job.pk}/progress/").status_code == 286


def test_a_received_submission_shows_its_arrival_and_leads_to_the_application(client, world):
    import datetime as dt

    arrival = dt.datetime(2026, 12, 4, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 北京时间
    job = Job.objects.create(
        kind=Job.Kind.TRANSITION,
        created_by=world.applicant,
        message="已受理，等待处理",
        params={"application": 41, "action": "submit", "received_at": arrival.isoformat(), "lock_version": 1},
    )
    client.force_login(world.applicant)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "受理时间（截止按此判断）：2026-12-04 23:59:59" in page
    assert 'href="/applications/41/"' in page
    assert "我的申报" in page

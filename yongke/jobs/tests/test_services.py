"""Starting long work: one permission rule per job (the service's own), the system as an actor."""

from __future__ import annotations

import pytest

from yongke.awards.services import authorize_registry_screen
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.jobs.models import Job
from yongke.jobs.selectors import job_for, jobs_visible_to
from yongke.jobs.services import job_start_org_import, job_start_registry_screen, job_start_review_round
from yongke.orgs.models import Organisation
from yongke.orgs.services import require_registrar
from yongke.orgs.validators import uscc_with_check
from yongke.review.services import authorize_review_round
from yongke.testing import TEST, make_call, make_guide, make_org, make_user

ROLES = ("applicant", "org_admin", "recommender", "officer", "finance", "auditor", "sysadmin", "expert")
CSV = f"统一社会信用代码,单位名称,单位类型,注册地\n{uscc_with_check('91450103MA5J00090')},后台导入公司,企业,青秀区\n".encode()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """An import keeps its upload under VAR_DIR until the task has run (never, unless a test runs it)."""
    settings.VAR_DIR = tmp_path


def _user(role: str):
    if role in ("applicant", "org_admin"):
        return make_user(role, organisation=make_org())
    if role == "recommender":
        return make_user(role, unit="450103")
    if role == "officer":
        return make_user(role, programme="*")
    return make_user(role)


def _allowed(check, **kwargs) -> bool:
    try:
        check(**kwargs)
    except PermissionDenied:
        return False
    return True


@pytest.fixture
def call(db):
    make_guide()
    return make_call(directions=["1.1", "33.1"])


@pytest.mark.parametrize("role", ROLES)
def test_each_job_starts_exactly_when_its_services_own_check_allows(call, role):
    user = _user(role)
    starts = [
        (lambda: job_start_org_import(actor=user, filename="orgs.csv", content=CSV), lambda: _allowed(require_registrar, actor=user)),
        (lambda: job_start_review_round(actor=user, call=call, k=2), lambda: _allowed(authorize_review_round, actor=user, call=call)),
        (lambda: job_start_registry_screen(actor=user, call=call), lambda: _allowed(authorize_registry_screen, actor=user, call=call)),
    ]
    for start, rule in starts:
        assert _allowed(start) == rule()


def test_a_refused_start_records_no_job(call):
    with pytest.raises(PermissionDenied):
        job_start_registry_screen(actor=make_user("finance"), call=call)
    assert not Job.objects.exists()


def test_a_bad_upload_is_refused_before_anything_is_queued(db):
    with pytest.raises(BadInput) as e:
        job_start_org_import(actor=make_user("officer", programme="*"), filename="orgs.txt", content=CSV)
    assert e.value.detail == {"field": "file"}
    assert not Job.objects.exists()


def test_the_system_starts_a_job_and_its_task_acts_as_the_same_system(db, settings, django_capture_on_commit_callbacks):
    settings.YONGKE_JOB_BACKEND = "immediate"
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start_org_import(actor=TEST, filename="orgs.csv", content=CSV)
    job.refresh_from_db()
    assert job.created_by is None
    assert job.params["system"] == "test"
    assert job.status == Job.Status.DONE
    assert Organisation.objects.filter(name="后台导入公司").exists()


def test_people_see_their_own_jobs_and_admins_all(db):
    officer, other, admin = make_user("officer", programme="*"), make_user("officer", programme="*"), make_user("sysadmin")
    mine = Job.objects.create(kind=Job.Kind.ORG_IMPORT, created_by=officer)
    theirs = Job.objects.create(kind=Job.Kind.ORG_IMPORT, created_by=other)
    assert list(jobs_visible_to(officer)) == [mine]
    assert set(jobs_visible_to(admin)) == {mine, theirs}
    with pytest.raises(NotFound):
        job_for(officer, theirs.pk)

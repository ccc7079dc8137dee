"""Long work started from a page: a django.tasks task that writes its progress to a Job row.

Django 6 ships the task interface (`@task`, `.enqueue`) but only the immediate and dummy
backends: the immediate one runs the task inside the request, so nobody could watch it.
`ThreadBackend` runs enqueued tasks on one worker thread of the web process, after the
request's transaction has committed. The task itself knows nothing of threads: it reads its
Job row, calls the domain service and records progress, so a deployment with a real worker
backend only changes `settings.TASKS`.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.tasks import task
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.orgs.services import organisation_import, read_table
from yongke.portal.models import Job

logger = logging.getLogger(__name__)
IMPORT_SUFFIXES = (".csv", ".xlsx")
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class ThreadBackend(ImmediateBackend):
    """Runs each enqueued task on a single background thread of this process, in order."""

    _executor: ThreadPoolExecutor | None = None

    @classmethod
    def executor(cls) -> ThreadPoolExecutor:
        if cls._executor is None:
            cls._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yongke-job")
        return cls._executor

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = TaskResult(task=task, id=get_random_string(32), status=TaskResultStatus.READY, enqueued_at=None, started_at=None,
                            last_attempted_at=None, finished_at=None, args=args, kwargs=kwargs, backend=self.alias, errors=[], worker_ids=[])
        self.executor().submit(self._run, result)
        return result

    def _run(self, result) -> None:
        close_old_connections()
        try:
            self._execute_task(result)
        finally:
            connections.close_all()


# --------------------------------------------------------------------------- reads


def jobs_visible_to(user):
    """Everyone sees the jobs they started; system admins see all."""
    scope = scope_of(user)
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    qs = Job.objects.select_related("created_by")
    return qs if scope.has(Role.SYSADMIN) else qs.filter(created_by=user)


def job_for(user, pk: int) -> Job:
    job = jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"任务 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    return job


# --------------------------------------------------------------------------- writes


def may_import_organisations(user) -> bool:
    # organisation_import checks no permission itself; the registry belongs to officers and admins.
    return scope_of(user).has(Role.OFFICER, Role.SYSADMIN)


def job_start_org_import(*, actor, filename: str, content: bytes, dry_run: bool = False) -> Job:
    """Keep the uploaded table, record a queued job and start it once this transaction commits."""
    if not may_import_organisations(actor):
        raise PermissionDenied("只有项目处人员或系统管理员可以导入单位 / officers and admins only")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise BadInput("file: 只支持 .csv 或 .xlsx 文件 / only csv or xlsx", detail={"field": "file"})
    if not content:
        raise BadInput("file: 文件为空 / empty file", detail={"field": "file"})
    if len(content) > MAX_IMPORT_BYTES:
        raise BadInput("file: 文件超过 10 MB / file too large", detail={"field": "file"})
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(content)
    with transaction.atomic():
        job = Job.objects.create(kind=Job.Kind.ORG_IMPORT, created_by=actor, message="排队中",
                                 params={"path": str(path), "filename": filename[:200], "dry_run": dry_run})
        backend = getattr(settings, "YONGKE_JOB_BACKEND", "default")
        transaction.on_commit(lambda: run_org_import.using(backend=backend).enqueue(job.pk))
    return job


def _progress(job_id: int, **fields) -> None:
    Job.objects.filter(pk=job_id).update(**fields)


@task
def run_org_import(job_id: int) -> dict:
    """The background half of an organisation import: validate every row, then write all or nothing."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    path = Path(job.params["path"])
    try:
        total = len(read_table(path))
        _progress(job_id, status=Job.Status.RUNNING, total=total, message="正在逐行校验")
        step = max(1, total // 50)

        def progress(done: int) -> None:
            if done % step == 0 or done == total:
                _progress(job_id, done=done, message=f"已校验 {done}/{total} 行")

        report = organisation_import(actor=job.created_by, path=path, dry_run=bool(job.params.get("dry_run")), progress=progress)
        result = report.as_dict()
        if report.errors:
            msg = f"发现 {len(report.errors)} 处错误，未导入任何数据"
        elif report.dry_run:
            msg = f"试运行：可新增 {report.created} 个、更新 {report.updated} 个单位（未写入）"
        else:
            msg = f"已导入：新增 {report.created} 个、更新 {report.updated} 个单位"
        _progress(job_id, status=Job.Status.DONE, done=total, result=result, message=msg, finished_at=timezone.now())
        return result
    except BadInput as e:
        _progress(job_id, status=Job.Status.FAILED, message=e.message[:300], result=e.as_dict(), finished_at=timezone.now())
        return e.as_dict()
    except Exception:
        logger.exception("organisation import job %s failed", job_id)
        _progress(job_id, status=Job.Status.FAILED, message="导入时发生内部错误，请联系系统管理员", finished_at=timezone.now())
        raise
    finally:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- assignment runs and screening


def _enqueue(kind: str, *, actor, params: dict, runner, message: str = "排队中") -> Job:
    with transaction.atomic():
        job = Job.objects.create(kind=kind, created_by=actor, message=message, params=params)
        backend = getattr(settings, "YONGKE_JOB_BACKEND", "default")
        transaction.on_commit(lambda: runner.using(backend=backend).enqueue(job.pk))
    return job


def _finish(job_id: int, *, message: str, result: dict, failed: bool = False) -> None:
    _progress(job_id, status=Job.Status.FAILED if failed else Job.Status.DONE, done=1, total=1, message=message[:300], result=result,
              finished_at=timezone.now())


def job_start_review_round(*, actor, call_id: int, params: dict) -> Job:
    """Queue an assignment round; the service checks who may run it when the job runs."""
    if not scope_of(actor).has(Role.OFFICER, Role.SYSADMIN):
        raise PermissionDenied("只有项目处人员可以分配评审专家 / officers only")
    return _enqueue(Job.Kind.REVIEW_ROUND, actor=actor, params={"call": call_id, **params}, runner=run_review_round)


@task
def run_review_round(job_id: int) -> dict:
    """The background half of an assignment run: conflicts, the solver, the invitations."""
    import datetime as dt

    from django.urls import reverse

    from yongke.applications.models import Call
    from yongke.review.services import review_round_run

    job = Job.objects.select_related("created_by").get(pk=job_id)
    p = dict(job.params)
    _progress(job_id, status=Job.Status.RUNNING, total=1, message="正在计算回避关系并求解最优分配")
    try:
        call = Call.objects.get(pk=p.pop("call"))
        due = p.pop("due_at", None)
        rnd = review_round_run(actor=job.created_by, call=call, due_at=dt.datetime.fromisoformat(due) if due else None, **p)
        url = f"{reverse('portal:officer_assignment')}?call={call.pk}&round={rnd.pk}"
        result = {"round": rnd.pk, "status": rnd.status, "url": url, "assignments": rnd.assignments.count(), "exclusions": len(rnd.exclusions)}
        if rnd.status == "infeasible":
            _finish(job_id, message="无法完成分配，请查看诊断", result=result)
        else:
            _finish(job_id, message=f"已分配 {result['assignments']} 项评审任务并发出邀请（回避 {result['exclusions']} 对）", result=result)
        return result
    except (BadInput, PermissionDenied, NotFound) as e:
        _finish(job_id, message=e.message, result=e.as_dict(), failed=True)
        return e.as_dict()
    except Exception as e:
        from yongke.core.errors import YongkeError

        if isinstance(e, YongkeError):
            _finish(job_id, message=e.message, result=e.as_dict(), failed=True)
            return e.as_dict()
        logger.exception("review round job %s failed", job_id)
        _finish(job_id, message="分配时发生内部错误，请联系系统管理员", result={}, failed=True)
        raise


def job_start_registry_screen(*, actor, call_id: int, direction: str = "") -> Job:
    if not scope_of(actor).has(Role.OFFICER, Role.SYSADMIN):
        raise PermissionDenied("只有项目处人员可以发起免申即享 / officers only")
    return _enqueue(Job.Kind.REGISTRY_SCREEN, actor=actor, params={"call": call_id, "direction": direction}, runner=run_registry_screen)


@task
def run_registry_screen(job_id: int) -> dict:
    """The background half of 免申即享: screen the registry column-wise, propose the claims found."""
    from django.urls import reverse

    from yongke.applications.models import Call
    from yongke.awards.services import registry_screen
    from yongke.core.errors import YongkeError

    job = Job.objects.select_related("created_by").get(pk=job_id)
    _progress(job_id, status=Job.Status.RUNNING, total=1, message="正在按单位库筛查")
    try:
        call = Call.objects.get(pk=job.params["call"])
        out = registry_screen(actor=job.created_by, call=call)
        query = f"?call={call.pk}" + (f"&direction={job.params['direction']}" if job.params.get("direction") else "")
        result = {**out, "url": reverse("portal:award_claims") + query}
        _finish(job_id, message=f"免申即享筛查完成：符合条件 {out.get('found', 0)} 项，新建待确认申领 {out.get('created', 0)} 项", result=result)
        return result
    except YongkeError as e:
        _finish(job_id, message=e.message, result=e.as_dict(), failed=True)
        return e.as_dict()
    except Exception:
        logger.exception("registry screen job %s failed", job_id)
        _finish(job_id, message="筛查时发生内部错误，请联系系统管理员", result={}, failed=True)
        raise

"""Starting long work: each `job_start_*` checks who may do the work — by calling the very
check the underlying service calls, so there is one rule for each — records a queued Job and
enqueues its task (`yongke.jobs.tasks`) once the transaction commits."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import Task
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yongke.accounts.actors import Actor, System, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role
from yongke.applications.models import Application, Call
from yongke.applications.services import transition_receivable
from yongke.awards.services import authorize_registry_screen
from yongke.core.arrival import arrival_time
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.jobs import tasks
from yongke.jobs.models import Job, WorkerBeat
from yongke.orgs.services import require_registrar
from yongke.review.services import authorize_review_round

IMPORT_SUFFIXES = (".csv", ".xlsx")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
REVIEW_MODES = ("optimal", "fair", "random")


def _enqueue(kind: str, *, actor: Actor, params: dict[str, Any], runner: Task, message: str = "排队中") -> Job:
    """The Job row, and its task queued on the configured backend after the commit."""
    if isinstance(actor, System):
        params = {**params, "system": actor.reason}  # the task acts as the same System
    with transaction.atomic():
        job = Job(kind=kind, created_by=user_of(actor), message=message, params=params)
        job.full_clean()
        job.save()
        backend = getattr(settings, "YONGKE_JOB_BACKEND", "default")
        transaction.on_commit(lambda: runner.using(backend=backend).enqueue(job.pk))
    return job


def job_start_org_import(*, actor: Actor, filename: str, content: bytes, dry_run: bool = False) -> Job:
    """Keep the uploaded table and queue its import (`organisation_import`: all rows or none)."""
    require_registrar(actor)
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
    return _enqueue(
        Job.Kind.ORG_IMPORT,
        actor=actor,
        params={"path": str(path), "filename": (filename or "")[:200], "dry_run": dry_run},
        runner=tasks.run_org_import,
    )


def job_start_review_round(
    *,
    actor: Actor,
    call: Call,
    directions: list[str] | None = None,
    k: int | None = None,
    min_load: int = 0,
    max_load: int | None = None,
    mode: str = "optimal",
    seed: int | None = None,
    max_prob: float | None = None,
    forced: list[tuple[int, int]] | None = None,
    due_at: dt.datetime | None = None,
    affinity_floor: float | None = None,
    one_per_organisation: bool = False,
    time_limit: float | None = None,
) -> Job:
    """Queue an assignment round (`review_round_run`, with these arguments)."""
    authorize_review_round(actor=actor, call=call)
    if mode not in REVIEW_MODES:
        raise BadInput(f"mode: 应为 {'、'.join(REVIEW_MODES)} 之一 / unknown mode", detail={"field": "mode", "value": mode})
    params = {
        "call": call.pk,
        "directions": directions,
        "k": k,
        "min_load": min_load,
        "max_load": max_load,
        "mode": mode,
        "seed": seed,
        "max_prob": max_prob,
        "forced": [[int(a), int(e)] for a, e in forced] if forced else None,
        "due_at": due_at.isoformat() if due_at else None,
        "affinity_floor": affinity_floor,
        "one_per_organisation": one_per_organisation,
        "time_limit": time_limit,
    }
    return _enqueue(Job.Kind.REVIEW_ROUND, actor=actor, params=params, runner=tasks.run_review_round)


def job_start_registry_screen(*, actor: Actor, call: Call, direction: str = "") -> Job:
    """Queue a 免申即享 screening of the registry for the call (`registry_screen`). `direction`
    is the award direction the officer was looking at, kept for the way back."""
    authorize_registry_screen(actor=actor, call=call)
    return _enqueue(
        Job.Kind.REGISTRY_SCREEN, actor=actor, params={"call": call.pk, "direction": direction}, runner=tasks.run_registry_screen
    )


def job_start_transition(
    *,
    actor: Actor,
    application: Application,
    action: str,
    lock_version: int | None = None,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Job | None:
    """Receive a 提交 (or 确认申领) now and take it on the worker, as of its arrival: the Job is the
    receipt, with the time the request arrived (`now`, by default the request's arrival), and the
    worker takes the step with every guard judged as of that time — so one received a second
    before the deadline is judged on time however long the queue is. Refused at once, with
    nothing recorded, for what needs no rule (who, the state, the version, the deadline: a late
    one is told so at once). None when the step is already taken (a second click); a step
    received and not yet taken is the same receipt again."""
    now = now or arrival_time()
    if not transition_receivable(actor=actor, application=application, action=action, lock_version=lock_version, now=now):
        return None
    waiting = (
        Job.objects.filter(
            kind=Job.Kind.TRANSITION,
            created_by=user_of(actor),
            status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
            params__application=application.pk,
            params__action=action,
        )
        .order_by("id")
        .first()
    )
    if waiting is not None:
        return waiting
    params = {
        "application": application.pk,
        "action": action,
        "received_at": now.isoformat(),
        # What was received is what is taken: an edit made after the receipt is a conflict on the worker.
        "lock_version": application.lock_version if lock_version is None else lock_version,
        "address": address,
        **({"system": actor.reason} if isinstance(actor, System) else {}),  # the task acts as the same System
    }
    return _receive(sender=user_of(actor), params=params)


def _receive(*, sender, params: dict[str, Any]) -> Job:
    """The receipt and its task in one transaction (one commit at a rush, not two): the queue is the
    database's, so the worker sees the task exactly when the receipt is stored, never one without the other."""
    with transaction.atomic():
        job = Job.objects.create(kind=Job.Kind.TRANSITION, created_by=sender, message=RECEIVED, params=params)
        tasks.run_transition.using(backend=getattr(settings, "YONGKE_JOB_BACKEND", "default")).enqueue(job.pk)
    return job


RECEIVED = "已受理，等待处理"


# --------------------------------------------------------------------------- re-running, reaping

RUNNERS: dict[str, Task] = {
    Job.Kind.ORG_IMPORT: tasks.run_org_import,
    Job.Kind.REVIEW_ROUND: tasks.run_review_round,
    Job.Kind.REGISTRY_SCREEN: tasks.run_registry_screen,
    Job.Kind.TRANSITION: tasks.run_transition,
}
JOB_TASK_PATHS = {t.module_path: kind for kind, t in RUNNERS.items()}


def job_rerun(*, actor: Actor, job: Job) -> Job:
    """Start a failed job again as a new Job with the same parameters, checked as a new start.
    An import's file was removed when it failed: its table is uploaded again instead."""
    if job.status != Job.Status.FAILED:
        raise Refused("只能重新运行失败的任务 / only a failed job is re-run", code="job_not_failed", detail={"job": job.pk})
    if job.kind == Job.Kind.ORG_IMPORT:
        raise Refused("导入文件已在任务失败时删除，请重新上传 / upload the table again", code="job_file_removed", detail={"job": job.pk})
    if job.kind == Job.Kind.TRANSITION:
        return _rerun_transition(actor=actor, job=job)
    call = Call.objects.filter(pk=job.params.get("call")).first()
    if call is None:
        raise BadInput("call: 申报批次不存在 / no such call", detail={"field": "call"})
    if job.kind == Job.Kind.REVIEW_ROUND:
        authorize_review_round(actor=actor, call=call)
    else:
        authorize_registry_screen(actor=actor, call=call)
    params = {k: v for k, v in job.params.items() if k != "system"}
    return _enqueue(job.kind, actor=actor, params={**params, "rerun_of": job.pk}, runner=RUNNERS[job.kind])


def _rerun_transition(*, actor: Actor, job: Job) -> Job:
    """A received step whose worker stopped before taking it, taken again as whoever sent it and
    still judged as of its first arrival (the receipt's time), asked by its sender or by the
    operator's console (the system): a step the worker refused (not eligible, incomplete) is not
    re-run but corrected and sent again."""
    sender = job.created_by
    if not (isinstance(actor, System) or (sender is not None and user_of(actor) == sender)):
        raise PermissionDenied("只有提交人可以重新处理该提交 / only the sender re-runs a received step", detail={"job": job.pk})
    if job.result.get("code"):
        raise Refused(
            "该提交已被拒绝，请按提示修改后重新提交 / the step was refused: correct the application and send it again",
            code="job_refused",
            detail={"job": job.pk, "refused": job.result.get("code")},
        )
    app = Application.objects.filter(pk=job.params.get("application")).first()
    if app is None:
        raise BadInput("application: 申报不存在 / no such application", detail={"field": "application"})
    return _receive(sender=sender, params={**job.params, "rerun_of": job.pk})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _dead_workers(now: dt.datetime) -> set[str]:
    """Workers with a heartbeat row that are gone: silent too long, or their process on this host ended."""
    stale = now - dt.timedelta(seconds=settings.YONGKE_WORKER_STALE_AFTER)
    host = socket.gethostname()[:255]
    return {b.worker_id for b in WorkerBeat.objects.all() if b.seen_at < stale or (b.host == host and not _pid_alive(b.pid))}


def _remove_temp_file(job: Job) -> bool:
    """The job's uploaded table under var/imports, if any (never a path outside that folder)."""
    raw = job.params.get("path")
    if not raw:
        return False
    folder = (Path(settings.VAR_DIR) / "imports").resolve()
    path = Path(raw).resolve()
    if path.parent != folder:
        return False
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def job_fail(*, actor: Actor, job: Job, message: str) -> Job:
    """Mark an unfinished job failed (its worker is gone) and remove its temporary files."""
    require_role(actor, Role.SYSADMIN)
    Job.objects.filter(pk=job.pk, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).update(
        status=Job.Status.FAILED, message=message[:300], finished_at=timezone.now()
    )
    _remove_temp_file(job)
    job.refresh_from_db()
    return job


WORKER_LOST = "后台工作进程意外退出，任务未完成，可重新运行 / the worker stopped before the job finished"


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker died while running it."""


def workers_reap(*, actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Tasks left "running" by a dead worker are marked failed (the queue's row and the Job row,
    whose temporary files are removed); so are Jobs whose task failed without finishing them;
    uploaded tables no unfinished Job needs are removed once older than the stale period. A
    task claimed by a worker without a heartbeat (a plain `db_worker`) counts as dead once it
    has been running longer than the stale period. Returns what was done."""
    require_role(actor, Role.SYSADMIN)
    now = now or timezone.now()
    dead = _dead_workers(now)
    stale = now - dt.timedelta(seconds=settings.YONGKE_WORKER_STALE_AFTER)
    beating = set(WorkerBeat.objects.values_list("worker_id", flat=True)) - dead
    reaped: list[str] = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker in beating or (worker not in dead and result.started_at and result.started_at >= stale):
            continue
        with transaction.atomic():
            locked = DBTaskResult.objects.select_for_update().filter(pk=result.pk, status=TaskResultStatus.RUNNING).first()
            if locked is None:
                continue  # it finished meanwhile
            locked.set_failed(WorkerLost(f"worker {worker or '?'} stopped while running the task"))
        reaped.append(str(result.pk))
    # Every Job whose task is no longer running but which is not finished: its task failed or was lost.
    failed_jobs: list[int] = []
    gone = DBTaskResult.objects.filter(
        task_path__in=JOB_TASK_PATHS, status=TaskResultStatus.FAILED, finished_at__gte=now - dt.timedelta(days=1)
    )
    job_ids = {(r.args_kwargs.get("args") or [None])[0] for r in gone.only("args_kwargs")}
    for job in Job.objects.filter(pk__in=[j for j in job_ids if isinstance(j, int)], status__in=(Job.Status.QUEUED, Job.Status.RUNNING)):
        job_fail(actor=actor, job=job, message=WORKER_LOST)
        failed_jobs.append(job.pk)
    WorkerBeat.objects.filter(worker_id__in=dead).delete()
    removed = _sweep_imports(stale)
    return {"tasks": reaped, "jobs": failed_jobs, "workers": sorted(dead), "files": removed}


def _sweep_imports(before: dt.datetime) -> list[str]:
    folder = Path(settings.VAR_DIR) / "imports"
    if not folder.is_dir():
        return []
    wanted = {
        str(Path(p).resolve())
        for p in Job.objects.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).values_list("params__path", flat=True)
        if p
    }
    removed = []
    for path in folder.iterdir():
        if path.is_file() and str(path.resolve()) not in wanted and path.stat().st_mtime < before.timestamp():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed

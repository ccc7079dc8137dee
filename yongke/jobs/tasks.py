"""The background halves of the jobs: django.tasks tasks that call a domain service and write
their progress to the Job row.

They run on the worker (`yongke worker`: django-tasks-db's database queue, see
`yongke.jobs.worker`), never in the request that started them. A task knows nothing of where it
runs: it reads its Job row, calls the domain service as whoever started the job and records
progress. A failed import removes its uploaded table; a worker that dies mid-task leaves its
Job "running" until `workers_reap` (each worker's start, and every minute from the scheduler)
marks it failed and removes the table. The periodic jobs live in `yongke.jobs.periodic`,
loaded by `yongke scheduler`.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from django.tasks import task
from django.utils import timezone

from yongke.accounts.actors import Actor, System
from yongke.applications.models import Application, Call
from yongke.applications.services import application_transition
from yongke.awards.services import registry_screen
from yongke.core.errors import BadInput, YongkeError
from yongke.jobs.models import Job
from yongke.notifications import events as notify
from yongke.orgs.services import organisation_import, read_table
from yongke.review.services import review_round_run

logger = logging.getLogger(__name__)


def _progress(job_id: int, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(**fields)


def _finish(job_id: int, *, message: str, result: dict[str, Any], failed: bool = False) -> None:
    _progress(
        job_id,
        status=Job.Status.FAILED if failed else Job.Status.DONE,
        done=1,
        total=1,
        message=message[:300],
        result=result,
        finished_at=timezone.now(),
    )


def _refused(job_id: int, error: YongkeError) -> dict:
    """The job failed with the error a direct call would have given (its result, shown as such)."""
    _finish(job_id, message=error.message, result=error.as_dict(), failed=True)
    return error.as_dict()


def _actor(job: Job) -> Actor:
    """Whoever started the job: its user, or the System it was started as."""
    if job.created_by is not None:
        return job.created_by
    return System(job.params["system"])  # a job without either was not made by job_start_*: KeyError, a failed job


@task
def run_transition(job_id: int) -> dict:
    """The worker's half of a received 提交 (`job_start_transition`): the step taken as whoever sent
    it, every guard judged as of the request's arrival, on the version received. A refusal (not
    eligible, incomplete, edited since) is the job's result and is told to the sender; an error of
    the machinery leaves the job failed, to be re-run as of the same arrival."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    p = job.params
    _progress(job_id, status=Job.Status.RUNNING, total=1, message="正在处理")
    try:
        app = Application.objects.get(pk=p["application"])
        app, changed = application_transition(
            actor=_actor(job),
            application=app,
            action=p["action"],
            lock_version=p.get("lock_version"),
            address=p.get("address"),
            now=dt.datetime.fromisoformat(p["received_at"]),
        )
        result = {"application": app.pk, "changed": changed, "state": app.state, "state_label": str(app.state_label)}
        _finish(job_id, message=f"已处理：{app.state_label}" if changed else "已处理（此前已提交，未重复提交）", result=result)
        return result
    except Application.DoesNotExist:
        return _refused(job_id, BadInput("application: 申报不存在 / no such application", detail={"field": "application"}))
    except YongkeError as e:
        _tell_refused(job, app, e)
        return _refused(job_id, e)
    except Exception:
        logger.exception("received step job %s failed", job_id)
        _finish(job_id, message="处理时发生内部错误，可重新处理（按原受理时间判断截止）", result={}, failed=True)
        raise


def _tell_refused(job: Job, app: Application, error: YongkeError) -> None:
    """Whoever sent a received step learns it was refused, and why, in the inbox (and by email or
    SMS as they chose) — not only on the receipt's page, which they may have left."""
    received = job.received_at
    event = {
        "template": "submission_refused",
        "key": f"application:{app.pk}:receipt:{job.pk}",
        "to": {"users": [job.created_by_id]} if job.created_by_id else {"organisation": app.organisation_id},
        "params": {
            "title": app.title,
            "direction": app.direction,
            "call": app.call.name,
            "comment": error.message,
            "received_at": timezone.localtime(received).strftime("%Y-%m-%d %H:%M:%S") if received else "",
        },
        "link": ["portal:application_detail", app.pk],
    }
    notify.announce(actor=RECEIPTS, events=[event])


RECEIPTS = System("receipts")


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

        report = organisation_import(actor=_actor(job), path=path, dry_run=bool(job.params.get("dry_run")), progress=progress)
        result = report.as_dict()
        if report.errors:
            msg = f"发现 {len(report.errors)} 处错误，未导入任何数据"
        elif report.dry_run:
            msg = f"试运行：可新增 {report.created} 个、更新 {report.updated} 个单位（未写入）"
        else:
            msg = f"已导入：新增 {report.created} 个、更新 {report.updated} 个单位"
        _progress(job_id, status=Job.Status.DONE, done=total, result=result, message=msg, finished_at=timezone.now())
        return result
    except YongkeError as e:
        _progress(job_id, status=Job.Status.FAILED, message=e.message[:300], result=e.as_dict(), finished_at=timezone.now())
        return e.as_dict()
    except Exception:
        logger.exception("organisation import job %s failed", job_id)
        _progress(job_id, status=Job.Status.FAILED, message="导入时发生内部错误，请联系系统管理员", finished_at=timezone.now())
        raise
    finally:
        path.unlink(missing_ok=True)


@task
def run_review_round(job_id: int) -> dict:
    """The background half of an assignment run: conflicts, the solver, the invitations."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    p = {k: v for k, v in job.params.items() if k != "system"}
    _progress(job_id, status=Job.Status.RUNNING, total=1, message="正在计算回避关系并求解最优分配")
    try:
        call = Call.objects.get(pk=p.pop("call"))
        due = p.pop("due_at", None)
        forced = p.pop("forced", None)
        rnd = review_round_run(
            actor=_actor(job),
            call=call,
            due_at=dt.datetime.fromisoformat(due) if due else None,
            forced=[(a, e) for a, e in forced] if forced else None,
            **p,
        )
        result = {
            "call": call.pk,
            "round": rnd.pk,
            "status": rnd.status,
            "assignments": rnd.assignments.count(),
            "exclusions": len(rnd.exclusions),
        }
        if rnd.status == "infeasible":
            _finish(job_id, message="无法完成分配，请查看诊断", result=result)
        else:
            _finish(job_id, message=f"已分配 {result['assignments']} 项评审任务并发出邀请（回避 {result['exclusions']} 对）", result=result)
        return result
    except Call.DoesNotExist:
        return _refused(job_id, BadInput("call: 申报批次不存在 / no such call", detail={"field": "call"}))
    except YongkeError as e:
        return _refused(job_id, e)
    except Exception:
        logger.exception("review round job %s failed", job_id)
        _finish(job_id, message="分配时发生内部错误，请联系系统管理员", result={}, failed=True)
        raise


@task
def run_registry_screen(job_id: int) -> dict:
    """The background half of 免申即享: screen the registry column-wise, propose the claims found."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    _progress(job_id, status=Job.Status.RUNNING, total=1, message="正在按单位库筛查")
    try:
        call = Call.objects.get(pk=job.params["call"])
        out = registry_screen(actor=_actor(job), call=call)
        result = {**out, "call": call.pk, "direction": job.params.get("direction", "")}
        _finish(
            job_id, message=f"免申即享筛查完成：符合条件 {out.get('found', 0)} 项，新建待确认申领 {out.get('created', 0)} 项", result=result
        )
        return result
    except YongkeError as e:
        return _refused(job_id, e)
    except Exception:
        logger.exception("registry screen job %s failed", job_id)
        _finish(job_id, message="筛查时发生内部错误，请联系系统管理员", result={}, failed=True)
        raise

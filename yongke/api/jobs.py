"""Background jobs as their starters see them: `GET /api/v1/jobs/{id}`, the receipt of a step
received to be taken by the worker (`Prefer: respond-async` on a transition) and of any long job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from yongke.api.auth import actor
from yongke.api.schemas import ERRORS, Id, local
from yongke.jobs.models import Job
from yongke.jobs.selectors import job_for

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str = Field(description="org_import | review_round | registry_screen | transition")
    kind_label: str
    status: str = Field(description="queued 排队中 | running 进行中 | done 已完成 | failed 失败")
    status_label: str
    message: str
    done: int
    total: int
    received_at: dt.datetime | None = Field(
        None,
        description="transition：请求到达时间（北京时间），截止时间按此判断 / when the step's request arrived: the deadline is judged at it",
    )
    application: int | None = Field(None, description="transition：所提交的申报 / the application of a received step")
    action: str | None = None
    result: dict[str, Any] = Field(
        description="完成：结果；失败：{code, message, detail}（与同步调用的错误相同）/ done: the result; failed: the error a direct call would give"
    )
    created_at: dt.datetime
    finished_at: dt.datetime | None


def job_out(job: Job) -> dict[str, Any]:
    p = job.params if job.kind == Job.Kind.TRANSITION else {}
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.get_kind_display(),
        "status": job.status,
        "status_label": job.get_status_display(),
        "message": job.message,
        "done": job.done,
        "total": job.total,
        "received_at": local(job.received_at),
        "application": p.get("application"),
        "action": p.get("action"),
        "result": job.result,
        "created_at": local(job.created_at),
        "finished_at": local(job.finished_at),
    }


@router.get("/jobs/{int:job_id}", response={200: JobOut, **ERRORS}, summary="后台任务与受理回执 / a background job or a step's receipt")
def jobs_get(request: HttpRequest, job_id: Id):
    return job_out(job_for(actor(request), job_id))

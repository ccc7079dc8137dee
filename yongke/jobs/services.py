"""Starting long work: each `job_start_*` checks who may do the work — by calling the very
check the underlying service calls, so there is one rule for each — records a queued Job and
enqueues its task (`yongke.jobs.tasks`) once the transaction commits."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import Task

from yongke.accounts.actors import Actor, System, user_of
from yongke.applications.models import Call
from yongke.awards.services import authorize_registry_screen
from yongke.core.errors import BadInput
from yongke.jobs import tasks
from yongke.jobs.models import Job
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

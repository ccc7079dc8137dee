"""The worker process: django-tasks-db's worker, with a heartbeat so that a task whose worker
died (kill -9, a lost machine) is found and marked failed (`yongke.jobs.services.workers_reap`).

`yongke worker` runs `run_worker()`: it first reaps what dead workers left running, records
its own `WorkerBeat` row, refreshes it from a thread every YONGKE_WORKER_HEARTBEAT seconds,
and runs tasks from the database queue until SIGINT/SIGTERM (finishing the task at hand; a
second signal stops at once). Several workers on several machines share one PostgreSQL queue:
each task row is claimed under SELECT … FOR UPDATE SKIP LOCKED. `run_queue()` runs what is
waiting in the caller's transaction, then returns (tests).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from yongke.accounts.actors import System
from yongke.jobs.models import WorkerBeat
from yongke.jobs.services import workers_reap

logger = logging.getLogger(__name__)

REAPER = System("worker")


def new_worker_id() -> str:
    """Unique across the pool and readable: the host, the process, a random suffix (≤ 64)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


class Heartbeat:
    """The worker's WorkerBeat row, refreshed by a daemon thread while the worker runs."""

    def __init__(self, worker_id: str, interval: float) -> None:
        self.worker_id = worker_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="yongke-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id, defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": timezone.now()}
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()  # a clean stop leaves nothing to reap
        except DatabaseError:
            logger.warning("could not remove the heartbeat of worker %s", self.worker_id)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    WorkerBeat.objects.filter(worker_id=self.worker_id).update(seen_at=timezone.now())
                except DatabaseError:  # a busy SQLite file: the next beat tries again
                    logger.warning("heartbeat of worker %s failed", self.worker_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections


def run_worker(
    *,
    queues: str = "*",
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    backend: str | None = None,
) -> str:
    """Reap, then run the queue (until a signal, or with `batch` until it is empty). Returns the worker id."""
    worker_id = worker_id or new_worker_id()
    workers_reap(actor=REAPER)
    worker = Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name=backend or settings.YONGKE_JOB_BACKEND,
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    with Heartbeat(worker_id, settings.YONGKE_WORKER_HEARTBEAT):
        if not batch:
            worker.configure_signals()
        try:
            worker.run()
        finally:
            if not batch:
                worker.reset_signals()
    return worker_id


def run_queue(*, backend: str = "default") -> int:
    """Run every task waiting on the database queue (and those they enqueue that are due), in
    this process and this transaction, then return how many ran: the worker's turn in a test.
    (db_worker's loop closes the connection between tasks, which would end a test's
    transaction; this claims and runs each task with the same worker's `run_task`.)"""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=None,
        worker_id=new_worker_id(),
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().filter(backend_name=backend).first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran

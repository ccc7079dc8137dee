"""Long work run in the background, with its progress for people to watch."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class Job(models.Model):
    """One piece of long work (an organisation import, an assignment run, a registry screening),
    or a submission received at a rush and taken by the worker (`job_start_transition`: the row
    is the receipt, with the time the request arrived).

    The task updates `done`/`total` as it goes; a page polls the row. The result (e.g. the
    import report with every bad row) is kept as JSON. The table keeps the name it had when
    the model lived in the portal (`portal_job`), so existing databases keep their rows.
    """

    class Kind(models.TextChoices):
        ORG_IMPORT = "org_import", "单位批量导入"
        REVIEW_ROUND = "review_round", "评审专家分配"
        REGISTRY_SCREEN = "registry_screen", "免申即享筛查"
        TRANSITION = "transition", "申报提交（排队受理）"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField("参数", default=dict, blank=True)
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    message = models.CharField("当前进度说明", max_length=300, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    # Empty when the system started the job; its reason is then params["system"].
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_job"
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def received_at(self) -> dt.datetime | None:
        """A received step's arrival (the deadline is judged at it); None for other jobs."""
        raw = self.params.get("received_at") if self.kind == self.Kind.TRANSITION else None
        return dt.datetime.fromisoformat(raw) if raw else None

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class WorkerBeat(models.Model):
    """A running `yongke worker` process and when it last said it is alive.

    The queue (django-tasks-db) records which worker claimed a task; this row tells whether that
    worker still runs: its heartbeat is recent, and on its own machine its process exists. A
    worker that stops cleanly deletes its row; one killed leaves it behind, to be found stale.
    """

    worker_id = models.CharField("工作进程标识", max_length=64, unique=True)
    host = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动于", auto_now_add=True)
    seen_at = models.DateTimeField("最近心跳")

    class Meta:
        verbose_name = "后台工作进程"
        verbose_name_plural = "后台工作进程"

    def __str__(self) -> str:
        return f"{self.worker_id}（{self.host}:{self.pid}）"

"""The append-only audit log: who did what, when, from where, to which object."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

APPEND_ONLY = "审计日志只能追加，不能修改或删除 / the audit log is append-only"


class AppendOnly(ValueError):
    """A change to the audit log was attempted: entries are only ever added."""


class AuditQuerySet(models.QuerySet):
    """Entries are added one at a time by `audit_record` (which chains them); nothing else writes."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly(APPEND_ONLY)

    def delete(self) -> NoReturn:
        raise AppendOnly(APPEND_ONLY)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly(APPEND_ONLY)

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("审计日志只能逐条追加 / audit entries are added one at a time (audit_record)")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly(APPEND_ONLY)

    def _raw_delete(self, using: Any) -> NoReturn:
        raise AppendOnly(APPEND_ONLY)

    _raw_delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_name = models.CharField("操作人", max_length=150)
    action = models.CharField("操作", max_length=64)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象编号", max_length=64)
    from_state = models.CharField("原状态", max_length=32, blank=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    comment = models.TextField("意见", blank=True)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    data = models.JSONField("附加信息", default=dict, blank=True)
    prev_hash = models.CharField("前一条的哈希", max_length=64, blank=True, editable=False)
    hash = models.CharField("本条哈希", max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(APPEND_ONLY)

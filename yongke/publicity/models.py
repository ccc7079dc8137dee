"""Objections lodged against an application in 公示, and each call's contact for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yongke.applications.models import Application, Call


class CallPublicity(models.Model):
    """What a call's 公示 tells the public beside the list: whom to contact with an objection."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="publicity")
    contact = models.CharField("异议受理联系人及联系方式", max_length=300)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "批次公示设置"
        verbose_name_plural = "批次公示设置"

    def __str__(self) -> str:
        return f"{self.call}：{self.contact}"


class Objection(models.Model):
    """An objection to an application in 公示: named, with a contact and reasons; handled by an officer."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "待处理"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"
        NOT_ACCEPTED = "not_accepted", "不予受理"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections", verbose_name="公示项目")
    name = models.CharField("异议人（姓名或单位名称）", max_length=100)
    contact = models.CharField("联系方式", max_length=100)
    reasons = models.TextField("异议内容及理由")
    lodged_at = models.DateTimeField("提出时间")
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    outcome = models.CharField("处理结果", max_length=16, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    handling = models.TextField("处理情况", blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["application", "lodged_at", "id"]

    def __str__(self) -> str:
        return f"{self.application}：{self.name}（{self.get_outcome_display()}）"

    @property
    def handled(self) -> bool:
        return self.outcome != self.Outcome.PENDING

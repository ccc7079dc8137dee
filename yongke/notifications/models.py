"""The inbox (one row per recipient of an event) and each user's channels per kind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a notification is about; a user switches email and SMS on or off per kind."""

    RETURNED = "returned", _("退回补正")
    RECOMMENDATION = "recommendation", _("推荐结果")
    FORMAL_REVIEW = "formal_review", _("形式审查（核查）结果")
    INVITATION = "invitation", _("评审邀请")
    REMINDER = "reminder", _("评审提醒")
    DECISION = "decision", _("立项决定")
    PUBLISHED = "published", _("公示开始")
    DEADLINE = "deadline", _("申报截止提醒")
    SUBMISSION = "submission", _("申报提交结果")
    PROJECT = "project", _("项目任务书与变更")
    PAYMENT = "payment", _("项目拨款")


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class Notification(models.Model):
    """One message to one user. `key` names the event it came from: an event is delivered to a
    user once, however often it is announced (a retried task, a deadline scan run twice).

    `title` and `body` are kept as sent (Chinese); `template` and `params` render them again in
    the reader's language (`yongke.notifications.messages.localized`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类别", max_length=24, choices=Kind.choices)
    template = models.CharField("模板", max_length=32)
    key = models.CharField("事件标识", max_length=120)
    title = models.CharField("标题", max_length=300)
    body = models.TextField("正文")
    link = models.CharField("链接", max_length=300, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读于", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送于", null=True, blank=True)
    sms_at = models.DateTimeField("短信发送于", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.user} {self.title}"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """A user's email and SMS choice for one kind. No row: both on (the inbox is always on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField("类别", max_length=24, choices=Kind.choices)
    email = models.BooleanField("邮件", default=True)
    sms = models.BooleanField("短信", default=True)

    class Meta:
        verbose_name = "通知设置"
        verbose_name_plural = "通知设置"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()}"

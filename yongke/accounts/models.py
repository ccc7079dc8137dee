"""Roles: what a user may see and do, and where (an organisation, a district, a programme)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "申报单位管理员"
    APPLICANT = "applicant", "申报单位成员/项目负责人"
    RECOMMENDER = "recommender", "推荐单位"
    OFFICER = "officer", "项目处业务人员"
    FINANCE = "finance", "财务人员"
    EXPERT = "expert", "评审专家"
    AUDITOR = "auditor", "审计人员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECURITY = "security", "安全管理员"


class RoleGrant(models.Model):
    """One role of one user, with its scope.

    org_admin and applicant are scoped to an organisation; recommender to a recommending
    unit (a district's GB/T 2260 code or a development zone); officer to a programme
    ("*" for all programmes). The other roles have no scope.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="role_grants")
    unit = models.CharField("推荐单位代码", max_length=8, blank=True)
    programme = models.CharField("专项编号", max_length=8, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation", "unit", "programme"], name="role_grant_unique"),
        ]

    def __str__(self) -> str:
        scope = self.organisation or self.unit or self.programme or ""
        return f"{self.user} {self.get_role_display()} {scope}".strip()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)  # None: tokens issued before expiry existed
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField("最近使用地址", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField("吊销原因", max_length=40, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_active")]

    def __str__(self) -> str:
        return f"{self.user} {self.name} {self.prefix}…"

    def state_at(self, now: dt.datetime) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

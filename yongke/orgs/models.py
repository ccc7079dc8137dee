"""Organisations that apply, their dated attributes with evidence, people, and credit records."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from yongke.orgs.validators import NANNING_DISTRICTS, NANNING_ZONES, RECOMMENDING_UNITS


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "企业"
        UNIVERSITY = "university", "高等院校"
        INSTITUTE = "institute", "科研院所"
        HOSPITAL = "hospital", "医疗机构"
        INCUBATOR = "incubator", "孵化器或众创空间"
        TEAM = "team", "创新创业团队"
        GOVERNMENT = "government", "政府单位"
        OTHER = "other", "其他"

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("单位名称", max_length=200)
    kind = models.CharField("单位类型", max_length=16, choices=Kind.choices)
    district = models.CharField(
        "注册地（GB/T 2260）", max_length=6, choices=sorted(NANNING_DISTRICTS.items()), blank=True, help_text="为空表示注册地不在南宁市"
    )
    zone = models.CharField("所在开发区", max_length=8, choices=sorted(NANNING_ZONES.items()), blank=True)
    industry = models.CharField("国民经济行业（GB/T 4754）", max_length=5, blank=True)
    legal_person = models.BooleanField("具备独立法人资格", default=True)
    address = models.CharField("地址", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        ACTIVE = "active", "已核准"
        REJECTED = "rejected", "未通过"

    # A self-registered organisation waits for its recommending unit (or an officer) to check its
    # business licence; one registered by officers or imported is active at once.
    status = models.CharField("注册审核状态", max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    licence = models.FileField("营业执照（或登记证书）", upload_to="licences/%Y/%m/", blank=True, max_length=200)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_reason = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def recommending_unit(self) -> str:
        """The unit that recommends this organisation's applications: its zone, else its district."""
        return self.zone or self.district

    @property
    def recommending_unit_name(self) -> str:
        return RECOMMENDING_UNITS.get(self.recommending_unit, "")

    @property
    def is_active(self) -> bool:
        """Registered and approved: its people may create and submit applications."""
        return self.status == self.Status.ACTIVE


class OrgAttribute(models.Model):
    """A dated fact about an organisation (规上, 高企, 瞪羚, 龙头, 园区内, 许可证 …) with its evidence.

    `name` is the guide fact it answers (e.g. `above_scale`, `hte_certified`), so the rules
    read it directly; it holds from `valid_from` until `valid_to` (open when empty).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField("事实名", max_length=64)
    value = models.JSONField("取值")
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    evidence = models.CharField("证明（文号、证书编号）", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "单位属性"
        verbose_name_plural = "单位属性"
        ordering = ["organisation", "name", "-valid_from"]
        indexes = [models.Index(fields=["organisation", "name"])]

    def __str__(self) -> str:
        return f"{self.organisation} {self.name}={self.value}"

    def holds_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Person(models.Model):
    """A project leader or team member. The ID number is stored encrypted and shown masked."""

    name = models.CharField("姓名", max_length=50)
    id_number_encrypted = models.TextField("身份证号码（加密）")
    id_number_hash = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField("身份证号码", max_length=18)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people", null=True, blank=True)
    title = models.CharField("职称", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    email = models.EmailField("邮箱", blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class CreditRecord(models.Model):
    """A credit entry (失信记录): while it runs, the organisation or person cannot submit."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="credit_records")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="credit_records")
    reason = models.TextField("事由")
    source = models.CharField("来源（文号）", max_length=200, blank=True)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)
    # Where a consequence written in the rules came from: its code (e.g. acceptance_failed) and the
    # record it stems from (e.g. "project:2022-1-00012"); empty for an entry an officer made.
    consequence = models.CharField("信用后果类别", max_length=40, blank=True)
    origin = models.CharField("来源记录", max_length=64, blank=True, db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "失信记录"
        verbose_name_plural = "失信记录"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(person__isnull=False), name="credit_record_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation or self.person}: {self.reason}"

    def active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class BankAccount(models.Model):
    """The account an organisation receives grants in (基本户 or 专户): the number stored
    encrypted and shown masked; a new account replaces the one in force, which is kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="bank_accounts")
    bank = models.CharField("开户银行", max_length=200)
    name = models.CharField("户名", max_length=200)
    number_encrypted = models.TextField("银行账号（加密）")
    number_masked = models.CharField("银行账号", max_length=40)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "收款账户"
        verbose_name_plural = "收款账户"
        ordering = ["organisation", "-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.bank} {self.number_masked}"

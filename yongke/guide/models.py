"""The guide as stored: one GuideVersion per loaded file, with its tree and rules.

A version is immutable once loaded: its content — `spec` (the file's mapping) and `text` (the
published text) — is kept whole, so any verdict made under it can be recomputed exactly,
whatever is loaded later. The content (about half a megabyte) has a row of its own
(GuideVersionContent): every application, call and project joins its version, and none of
those reads should carry it; only compiling the version reads it (once per process, by digest).
The tree rows exist for browsing, querying and the admin.
"""

from __future__ import annotations

from django.db import models


class GuideVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    label = models.CharField("版本", max_length=32)
    revision = models.PositiveIntegerField("修订号", default=1)
    title = models.CharField("标题", max_length=200)
    digest = models.CharField("内容摘要 SHA-256", max_length=64, unique=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    source_file = models.CharField("来源文件", max_length=300, blank=True)
    loaded_at = models.DateTimeField("载入时间", auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "指南版本"
        verbose_name_plural = "指南版本"
        ordering = ["-label", "-revision"]
        constraints = [models.UniqueConstraint(fields=["label", "revision"], name="guide_version_label_revision")]

    def __str__(self) -> str:
        return f"{self.label} r{self.revision}（{self.get_status_display()}）"


class GuideVersionContent(models.Model):
    """What a version was loaded from: the guide's mapping and its verbatim text, read only to compile it."""

    version = models.OneToOneField(
        GuideVersion, on_delete=models.CASCADE, primary_key=True, related_name="content", verbose_name="指南版本"
    )
    spec = models.JSONField("指南数据")
    text = models.TextField("指南原文")

    class Meta:
        verbose_name = "指南版本内容"
        verbose_name_plural = "指南版本内容"

    def __str__(self) -> str:
        return f"{self.version_id} 的内容"


class Programme(models.Model):
    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="programmes")
    code = models.CharField("编号", max_length=8)
    name = models.CharField("名称", max_length=100)
    name_inferred = models.BooleanField("名称据内容推定", default=False)
    text = models.TextField("说明", blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        verbose_name = "专项"
        verbose_name_plural = "专项"
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="programme_code")]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Funding(models.TextChoices):
        PRE = "pre", "前资助"
        POST = "post", "后补助"

    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="projects")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="projects")
    code = models.CharField("项目编号", max_length=8)
    name = models.CharField("名称", max_length=100)
    name_inferred = models.BooleanField("名称据内容推定", default=False)
    funding = models.CharField("资助方式", max_length=8, choices=Funding.choices)
    review = models.BooleanField("需专家评审", default=True)
    text = models.TextField("说明", blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="project_code")]

    def __str__(self) -> str:
        return f"项目{self.code} {self.name}"


class Direction(models.Model):
    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="directions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="directions")
    code = models.CharField("方向编号", max_length=8)
    name = models.CharField("名称", max_length=200)
    text = models.TextField("方向原文")
    order = models.PositiveIntegerField()

    class Meta:
        verbose_name = "申报方向"
        verbose_name_plural = "申报方向"
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="direction_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Rule(models.Model):
    class Kind(models.TextChoices):
        ELIGIBILITY = "eligibility", "申报条件"
        COMMITMENT = "commitment", "考核指标承诺"
        DOCUMENT = "document", "证明材料"
        PRIORITY = "priority", "优先支持"
        NAMING = "naming", "命名格式"
        LIMIT = "limit", "限额与时限"
        AWARD = "award", "补助计算"
        OFFICER = "officer", "人工审核"

    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="rules")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rules")
    direction = models.ForeignKey(
        Direction, on_delete=models.CASCADE, related_name="own_rules", null=True, blank=True, help_text="为空时适用于项目下全部方向"
    )
    code = models.CharField("规则编号", max_length=64)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    expr = models.TextField("表达式（CEL）", blank=True)
    message = models.TextField("说明")
    source = models.TextField("指南原文条款")
    evidence = models.CharField("所需证明材料", max_length=100, blank=True)
    reason = models.TextField("人工审核原因", blank=True)
    cap = models.CharField("上限", max_length=64, blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        verbose_name = "规则"
        verbose_name_plural = "规则"
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="rule_code")]

    def __str__(self) -> str:
        return self.code


class Fact(models.Model):
    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="facts")
    name = models.CharField("名称", max_length=64)
    type = models.CharField("类型", max_length=16)
    unit = models.CharField("单位", max_length=8, blank=True)
    label = models.CharField("中文标签", max_length=200)
    about = models.CharField("描述对象", max_length=16, choices=[("application", "申报项目"), ("organisation", "申报单位")])
    values = models.JSONField("可选值", default=list, blank=True)

    class Meta:
        verbose_name = "事实"
        verbose_name_plural = "事实"
        ordering = ["version", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="fact_name")]

    def __str__(self) -> str:
        return f"{self.name}（{self.label}）"


class Parameter(models.Model):
    version = models.ForeignKey(GuideVersion, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField("名称", max_length=64)
    value = models.JSONField("取值")
    unit = models.CharField("单位", max_length=8, blank=True)
    label = models.CharField("中文标签", max_length=200)
    assumed = models.BooleanField("指南未明确（假定值）", default=False)
    source = models.TextField("指南原文条款", blank=True)

    class Meta:
        verbose_name = "参数"
        verbose_name_plural = "参数"
        ordering = ["version", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="parameter_name")]

    def __str__(self) -> str:
        return self.name

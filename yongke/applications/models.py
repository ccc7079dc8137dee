"""Calls (申报批次), applications, their submissions, team and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yongke.accounts.actors import Viewer
from yongke.accounts.selectors import scope_of
from yongke.applications.workflow import EDITABLE_STATES, Workflow, workflow_for
from yongke.guide.models import GuideVersion
from yongke.orgs.models import Organisation, Person


class Call(models.Model):
    """A call for applications on some directions of one guide version, open between two times."""

    name = models.CharField("批次名称", max_length=200)
    guide_version = models.ForeignKey(GuideVersion, on_delete=models.PROTECT, related_name="calls")
    directions = models.JSONField("开放的申报方向", default=list)
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")
    budgets = models.JSONField("预算（元），按方向或项目编号", default=dict, blank=True)
    leader_limit = models.PositiveSmallIntegerField("每位负责人在本批次最多主持的在审申报数", default=1)
    org_limit = models.PositiveSmallIntegerField("每个单位在本批次最多的在审申报数（空为不限）", null=True, blank=True)
    experts_per_application = models.PositiveSmallIntegerField("每个申报的评审专家数", default=3)
    blind_review = models.BooleanField("匿名评审（隐藏申报单位）", default=False)
    max_period_months = models.PositiveSmallIntegerField("项目实施期上限（月，空为不限）", null=True, blank=True, default=36)
    period_ends_by = models.DateField("项目最迟结束日期（空为不限）", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField("提前截止于", null=True, blank=True)

    class Meta:
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"
        ordering = ["-opens_at"]

    def __str__(self) -> str:
        return self.name

    def budget_for(self, direction: str) -> tuple[str, int | None]:
        """The budget a direction draws on: its own, else its project's; (key, yuan or None)."""
        budgets = self.budgets or {}
        if direction in budgets:
            return direction, int(budgets[direction])
        project = direction.split(".")[0]
        return project, (int(budgets[project]) if project in budgets else None)


class Application(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    guide_version = models.ForeignKey(GuideVersion, on_delete=models.PROTECT, related_name="applications")
    direction = models.CharField("申报方向", max_length=8)
    programme = models.CharField("专项编号", max_length=8)
    funding = models.CharField("资助方式", max_length=8)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications")
    co_applicants = models.ManyToManyField(Organisation, blank=True, related_name="co_applications", verbose_name="联合申报单位")
    leader = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="led_applications")
    title = models.CharField("项目名称", max_length=200)
    title_normalized = models.CharField(max_length=200, db_index=True)
    summary = models.TextField("项目摘要", blank=True)
    requested_amount = models.PositiveBigIntegerField("申请财政资助（元）", default=0)
    self_raised_amount = models.PositiveBigIntegerField("自筹经费（元）", default=0)
    facts = models.JSONField("申报信息（按指南事实）", default=dict, blank=True)
    state = models.CharField("状态", max_length=24, db_index=True)
    lock_version = models.PositiveIntegerField("版本号", default=1)
    verdict = models.JSONField("最近一次规则检查结果", default=dict, blank=True)
    correction_reasons = models.TextField("补正要求", blank=True)
    decided_amount = models.PositiveBigIntegerField("立项金额（元）", null=True, blank=True)
    objection_ends_at = models.DateTimeField("公示异议期截止", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # The 申报书 (前资助): the project period and the leader's phone; the budget, team and
    # partners are rows of their own (BudgetLine, TeamMember, Partner).
    starts_on = models.DateField("项目开始日期", null=True, blank=True)
    ends_on = models.DateField("项目结束日期", null=True, blank=True)
    leader_phone = models.CharField("项目负责人联系电话", max_length=20, blank=True)
    # 后补助: the claim's amount as last quoted (awards.services.claim_quote), for the lists
    # (a claim asks for no 财政资助 of its own); None when it cannot be quoted yet.
    quoted_amount = models.PositiveBigIntegerField("测算补助金额（元）", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "申报"
        verbose_name_plural = "申报"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["call", "direction", "state"]),
            # The orderings the lists use, so that a page is read through an index, not sorted:
            # the API's and the console's lists (newest first), an officer's programme, the
            # portal's queues (a funding and state, in order of submission).
            models.Index(fields=["-created_at", "-id"], name="application_list_order"),
            models.Index(fields=["programme", "-created_at", "-id"], name="application_programme_order"),
            models.Index(fields=["funding", "state", "submitted_at", "id"], name="application_queue_order"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.title}"

    @property
    def workflow(self) -> Workflow:
        """The workflow of its funding mode (前资助 or 后补助)."""
        return workflow_for(self.funding)

    @property
    def state_label(self):
        """The current state as people say it (translated when read)."""
        return self.workflow.state_label(self.state)

    @property
    def listed_amount(self) -> int | None:
        """The amount a list shows: the decided one, else what a 前资助 application requests or
        a 后补助 claim is quoted at (None when a claim cannot be quoted yet)."""
        if self.decided_amount is not None:
            return self.decided_amount
        return self.requested_amount if self.funding == "pre" else self.quoted_amount

    @property
    def budget_total(self) -> int:
        """财政资助 plus 自筹经费: the project's whole budget."""
        return self.requested_amount + self.self_raised_amount

    def editable_by(self, user: Viewer) -> bool:
        """Whether `user` may still change this application's content: it is in an editable
        state and the user acts for its organisation — the rule `application_update` applies
        (the system and superusers act for every organisation)."""
        if self.state not in EDITABLE_STATES:
            return False
        scope = scope_of(user)
        return scope.is_system or scope.is_superuser or self.organisation_id in scope.organisations


class TeamMember(models.Model):
    """A member of the project team (the leader is `Application.leader`, not a row here)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="team_memberships")
    role = models.CharField("分工", max_length=100, blank=True)
    months = models.PositiveSmallIntegerField("投入（人月）", null=True, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "团队成员"
        verbose_name_plural = "团队成员"
        ordering = ["application", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "person"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.role}）" if self.role else self.person.name


class BudgetCategory(models.TextChoices):
    """The standard categories of a 经费预算 (直接费用科目), in the order the table lists them."""

    EQUIPMENT = "equipment", "设备费"
    MATERIALS = "materials", "材料费"
    TESTING = "testing", "测试化验加工费"
    FUEL_POWER = "fuel_power", "燃料动力费"
    TRAVEL_MEETINGS = "travel_meetings", "差旅/会议/国际合作与交流费"
    PUBLICATION_IP = "publication_ip", "出版/文献/信息传播/知识产权事务费"
    LABOUR = "labour", "劳务费"
    EXPERT_CONSULTING = "expert_consulting", "专家咨询费"
    OTHER = "other", "其他"


BUDGET_ORDER = {value: i for i, value in enumerate(BudgetCategory.values)}


class BudgetLine(models.Model):
    """One line of the 经费预算: a category's 财政资助 and 自筹 parts, with how it was estimated."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField("预算科目", max_length=24, choices=BudgetCategory.choices)
    fiscal = models.PositiveBigIntegerField("财政资助（元）", default=0)
    self_raised = models.PositiveBigIntegerField("自筹经费（元）", default=0)
    basis = models.TextField("测算依据", blank=True)

    class Meta:
        verbose_name = "经费预算明细"
        verbose_name_plural = "经费预算明细"
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "category"], name="budget_line_once_per_category")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.fiscal}+{self.self_raised}"

    @property
    def total(self) -> int:
        return self.fiscal + self.self_raised


class Partner(models.Model):
    """A 合作单位: named by its 统一社会信用代码 (checked), with its share of the work and budget."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="partnerships", verbose_name="单位库中的单位"
    )
    name = models.CharField("合作单位名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18)
    tasks = models.TextField("承担的任务", blank=True)
    budget = models.PositiveBigIntegerField("分配经费（元）", default=0)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "合作单位"
        verbose_name_plural = "合作单位"
        ordering = ["application", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "uscc"], name="partner_once_per_application")]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """What was submitted, exactly: the facts and the verdict at that moment."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField("第几次提交")
    lock_version = models.PositiveIntegerField()
    facts = models.JSONField()
    verdict = models.JSONField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = "提交记录"
        verbose_name_plural = "提交记录"
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="submission_number"),
            models.UniqueConstraint(fields=["application", "lock_version"], name="submission_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.application} 第{self.number}次提交"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.application_id}/{instance.sha256}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def current(self) -> AttachmentQuerySet:
        """The attachments in force: not removed or replaced (those are kept for the audit trail)."""
        return self.filter(removed_at__isnull=True)


class Attachment(models.Model):
    """An uploaded file. Removing or replacing one marks it (`removed_at`, `replaced_by`): the
    file itself stays in storage, named by its digest, for the audit trail."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("材料类别", max_length=100)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField("文件名", max_length=255)
    content_type = models.CharField("内容类型（按内容识别）", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField("删除或替换时间", null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces", verbose_name="替换为"
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["application", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind}：{self.filename}"


class DocumentCheck(models.Model):
    """The officer's mark on one document rule's category in formal review (受理审查): verified or not."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="document_checks")
    evidence = models.CharField("材料类别", max_length=100)
    verified = models.BooleanField("已核验")
    comment = models.TextField("核验意见", blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    checked_at = models.DateTimeField("核验时间")

    class Meta:
        verbose_name = "材料核验"
        verbose_name_plural = "材料核验"
        constraints = [models.UniqueConstraint(fields=["application", "evidence"], name="document_check_once")]

    def __str__(self) -> str:
        return f"{self.evidence}：{'已核验' if self.verified else '未通过核验'}"

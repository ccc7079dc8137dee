"""Projects after the decision: the 任务书 (indicators, budget, milestones, parties), its
signed versions and amendments, the payment plan and payments, change requests, and each
call's settings for them.

A project is opened from a 前资助 application when it is 立项 (the application's step
`contract`) and carries the guide version the application was judged under. The task book is
held as rows (what the officer edits and what acceptance later checks); each signed version
and each amendment keeps a snapshot of all of it (`TaskBookVersion.content`), so the history
shows every version side by side.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yongke.applications.models import Application, BudgetCategory, Call
from yongke.guide.models import GuideVersion
from yongke.orgs.models import Organisation, Person
from yongke.projects.workflow import PROJECT


class TrancheCondition(models.TextChoices):
    """When a tranche of the grant may be paid."""

    SIGNING = "signing", "任务书签订后"
    MIDTERM = "midterm", "中期检查合格后"
    ACCEPTANCE = "acceptance", "验收通过后"


class ProjectCallSettings(models.Model):
    """A call's rules for its projects: the time to sign the 任务书 and the default payment plan."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="project_settings")
    sign_days = models.PositiveSmallIntegerField("任务书签订期限（立项后天数）", default=30)
    # [{"label": "首次拨款", "share_pct": 70, "condition": "signing"}, …]: shares add up to 100.
    tranches = models.JSONField("默认拨款计划", default=list, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "批次项目管理设置"
        verbose_name_plural = "批次项目管理设置"

    def __str__(self) -> str:
        return f"{self.call}：{self.sign_days} 天内签订"


class Project(models.Model):
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="project")
    number = models.CharField("项目编号", max_length=32, unique=True)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="projects")
    guide_version = models.ForeignKey(GuideVersion, on_delete=models.PROTECT, related_name="funded_projects")
    direction = models.CharField("申报方向", max_length=8)
    programme = models.CharField("专项编号", max_length=8)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects", verbose_name="承担单位")
    leader = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="led_projects", verbose_name="项目负责人")
    leader_phone = models.CharField("项目负责人联系电话", max_length=20, blank=True)
    recommending_unit = models.CharField("推荐单位代码", max_length=8, blank=True)
    title = models.CharField("项目名称", max_length=200)
    content = models.TextField("研究内容", blank=True)
    # The facts the application was judged on (its last submission): the indicators' context
    # and the matching-fund rules read them.
    facts = models.JSONField("立项依据的申报事实", default=dict, blank=True)
    approved_amount = models.PositiveBigIntegerField("立项金额（财政资助，元）")
    self_raised_amount = models.PositiveBigIntegerField("自筹经费（元）", default=0)
    starts_on = models.DateField("项目开始日期")
    ends_on = models.DateField("项目结束日期")
    state = models.CharField("状态", max_length=24, db_index=True)
    lock_version = models.PositiveIntegerField("版本号", default=1)
    sign_by = models.DateTimeField("任务书签订截止", null=True, blank=True)  # set when the task book is sent
    unit_signed_at = models.DateTimeField("承担单位签订时间", null=True, blank=True)
    unit_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    countersigned_at = models.DateTimeField("主管部门签订时间", null=True, blank=True)
    countersigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amendment = models.PositiveSmallIntegerField("现行任务书的变更序号（0 为原件）", default=0)
    # Set by the mid-term check and acceptance (their own services): the conditions of tranches.
    midterm_passed_at = models.DateTimeField("中期检查合格时间", null=True, blank=True)
    accepted_at = models.DateTimeField("验收通过时间", null=True, blank=True)
    ended_at = models.DateTimeField("终止或撤销时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def state_label(self):
        return PROJECT.state_label(self.state)

    @property
    def editable(self) -> bool:
        """The task book may be edited (by the officer) only while it is being drawn up."""
        return self.state == "drafting"


class Indicator(models.Model):
    """One 考核指标 of the task book. A `commitment` row is one commitment rule of the direction:
    its targets are the application's promised values of the facts the rule reads (never
    lower, and always meeting the rule), verified at acceptance by the same expression on the
    actual values. An `extra` row is an indicator the officer added (a label, a target, a unit)."""

    class Source(models.TextChoices):
        COMMITMENT = "commitment", "指南申报要求（承诺）"
        EXTRA = "extra", "任务书补充指标"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField("排序", default=0)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    rule_id = models.CharField("指南规则", max_length=64, blank=True)
    label = models.CharField("指标", max_length=300)
    clause = models.TextField("指南原文", blank=True)
    expr = models.TextField("验收核验表达式（以实际完成值计算）", blank=True)
    # {fact: value}: what the task book fixes, and what the application promised (the floor).
    targets = models.JSONField("任务书规定值", default=dict)
    promised = models.JSONField("申报书承诺值", default=dict)
    # {fact: the value the rule reads as it is, not a target (a route chosen, an organisation's standing)}
    context = models.JSONField("条件事实", default=dict, blank=True)
    unit = models.CharField("单位", max_length=16, blank=True)
    target_value = models.DecimalField("目标值（补充指标）", max_digits=20, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["project", "order", "id"]

    def __str__(self) -> str:
        return self.label


class Milestone(models.Model):
    """A stage of the 进度安排: its due date, what it delivers, and stage targets of the
    indicators' facts ({fact: value}, never above the task book's target)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField("排序", default=0)
    due_on = models.DateField("完成时间")
    title = models.CharField("阶段目标", max_length=300)
    targets = models.JSONField("阶段考核值", default=dict, blank=True)

    class Meta:
        verbose_name = "进度安排"
        verbose_name_plural = "进度安排"
        ordering = ["project", "due_on", "order", "id"]

    def __str__(self) -> str:
        return f"{self.due_on} {self.title}"


class ProjectBudgetLine(models.Model):
    """One line of the task book's 经费预算 (财政 and 自筹), first taken from the 申报书."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField("预算科目", max_length=24, choices=BudgetCategory.choices)
    fiscal = models.PositiveBigIntegerField("财政资助（元）", default=0)
    self_raised = models.PositiveBigIntegerField("自筹经费（元）", default=0)
    basis = models.TextField("测算依据", blank=True)

    class Meta:
        verbose_name = "任务书经费预算"
        verbose_name_plural = "任务书经费预算"
        ordering = ["project", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "category"], name="project_budget_line_once")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.fiscal}+{self.self_raised}"

    @property
    def total(self) -> int:
        return self.fiscal + self.self_raised


class ProjectParty(models.Model):
    """A party of the task book other than the lead unit: a 合作单位 with its share, or a team member."""

    class Kind(models.TextChoices):
        PARTNER = "partner", "合作单位"
        MEMBER = "member", "项目组成员"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField("类别", max_length=8, choices=Kind.choices)
    order = models.PositiveSmallIntegerField("排序", default=0)
    name = models.CharField("名称或姓名", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    role = models.CharField("承担的任务或分工", max_length=300, blank=True)
    budget = models.PositiveBigIntegerField("分配经费（元）", default=0)
    months = models.PositiveSmallIntegerField("投入（人月）", null=True, blank=True)

    class Meta:
        verbose_name = "任务书参与方"
        verbose_name_plural = "任务书参与方"
        ordering = ["project", "kind", "order", "id"]

    def __str__(self) -> str:
        return self.name


class TaskBookVersion(models.Model):
    """A version of the task book as signed (number 0) or as amended by an approved change
    (1, 2, …): the whole of it, as it then stood."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField("变更序号（0 为原件）")
    content = models.JSONField("任务书内容")
    change = models.OneToOneField(
        "ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="amendment", verbose_name="变更申请"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "任务书版本"
        verbose_name_plural = "任务书版本"
        ordering = ["project", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="task_book_version_number")]

    def __str__(self) -> str:
        return f"{self.project.number} 第{self.number}号变更" if self.number else f"{self.project.number} 任务书原件"


def project_file_path(instance: ProjectFile, filename: str) -> str:
    return f"projects/{instance.project_id}/{instance.sha256}"


class ProjectFile(models.Model):
    """A file of a project: the stamped task book, a change request's attachment, a voucher."""

    class Kind(models.TextChoices):
        SIGNED_TASK_BOOK = "signed_task_book", "盖章任务书"
        CHANGE = "change", "变更申请附件"
        VOUCHER = "voucher", "拨款凭证"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类别", max_length=24, choices=Kind.choices)
    change = models.ForeignKey("ChangeRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    file = models.FileField(upload_to=project_file_path, max_length=300)
    filename = models.CharField("文件名", max_length=255)
    content_type = models.CharField("内容类型（按内容识别）", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "项目文件"
        verbose_name_plural = "项目文件"
        ordering = ["project", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.filename}"


class Tranche(models.Model):
    """One tranche of the payment plan: an amount (yuan) and the condition it is paid on."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tranches")
    order = models.PositiveSmallIntegerField("期次")
    label = models.CharField("名称", max_length=100)
    amount = models.PositiveBigIntegerField("金额（元）")
    condition = models.CharField("拨付条件", max_length=12, choices=TrancheCondition.choices)

    class Meta:
        verbose_name = "拨款计划"
        verbose_name_plural = "拨款计划"
        ordering = ["project", "order"]
        constraints = [models.UniqueConstraint(fields=["project", "order"], name="tranche_order")]

    def __str__(self) -> str:
        return f"第{self.order}期 {self.label} {self.amount} 元"


class Payment(models.Model):
    """A payment made to the project's unit, recorded by finance: traceable to its voucher."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveBigIntegerField("金额（元）")
    paid_on = models.DateField("拨付日期")
    voucher = models.CharField("凭证号", max_length=64, unique=True)
    account_masked = models.CharField("收款账户", max_length=64)
    account_bank = models.CharField("开户银行", max_length=200)
    account_name = models.CharField("户名", max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "拨款记录"
        verbose_name_plural = "拨款记录"
        ordering = ["project", "paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.voucher} {self.amount} 元"


class Recovery(models.Model):
    """Money the unit must return (termination, revocation): the amount due and what came back."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="recoveries")
    amount_due = models.PositiveBigIntegerField("应退回（元）")
    due_on = models.DateField("退回期限")
    received = models.PositiveBigIntegerField("已退回（元）", default=0)
    received_on = models.DateField("退回日期", null=True, blank=True)
    reason = models.TextField("原因")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "经费退回"
        verbose_name_plural = "经费退回"
        ordering = ["project", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.project.number} 应退回 {self.amount_due} 元"


class ChangeRequest(models.Model):
    """A change to a project in progress: requested by its unit with reasons, given an opinion by
    the recommending unit, approved or refused by the officer. An approved one is a numbered
    amendment of the task book (`TaskBookVersion`)."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", "项目延期"
        LEADER = "leader", "变更项目负责人"
        LEAD_UNIT = "lead_unit", "变更承担单位"
        TARGETS = "targets", "变更研究内容或考核指标"
        BUDGET = "budget", "经费预算调剂"
        TERMINATION = "termination", "申请终止"

    class State(models.TextChoices):
        REQUESTED = "requested", "待推荐单位意见"
        REVIEWED = "reviewed", "待主管部门审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"
        WITHDRAWN = "withdrawn", "已撤回"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="changes")
    number = models.PositiveSmallIntegerField("申请序号")
    kind = models.CharField("变更类别", max_length=12, choices=Kind.choices)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.REQUESTED)
    reasons = models.TextField("变更理由")
    # What is asked for, by kind: {"ends_on"}, {"leader", "leader_phone"}, {"organisation"},
    # {"content", "indicators": {id: {fact: value}}}, {"budget": [lines]}, {}.
    payload = models.JSONField("变更内容", default=dict)
    before = models.JSONField("变更前", default=dict)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField()
    opinion_agrees = models.BooleanField("推荐单位意见（同意）", null=True, blank=True)
    opinion = models.TextField("推荐单位意见", blank=True)
    opinion_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    opinion_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "变更申请"
        verbose_name_plural = "变更申请"
        ordering = ["project", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="change_request_number")]

    def __str__(self) -> str:
        return f"{self.project.number} 变更申请{self.number}（{self.get_kind_display()}）"

    @property
    def open(self) -> bool:
        return self.state in (self.State.REQUESTED, self.State.REVIEWED)

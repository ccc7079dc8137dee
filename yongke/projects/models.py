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
from yongke.awards.models import PaymentRecord
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
    # Post-award settings; empty means the management rules' default (data/rules.yaml).
    midterm_min_amount = models.PositiveBigIntegerField("须中期检查的立项金额下限（元）", null=True, blank=True)
    midterm_min_months = models.PositiveSmallIntegerField("须中期检查的执行期下限（月，超过即须）", null=True, blank=True)
    documents_below = models.PositiveBigIntegerField("书面验收的立项金额上限（元，低于即书面验收）", null=True, blank=True)
    rectify_months = models.PositiveSmallIntegerField("整改期限（月）", null=True, blank=True)
    publish_results = models.BooleanField("公开已验收项目及其主要成果", default=False)
    # {outcome: {"subject": "leader"|"organisation", "years": n, "source": …}} overriding the rules' consequences.
    consequences = models.JSONField("信用后果（覆盖默认规则）", default=dict, blank=True)
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
        EVIDENCE = "evidence", "佐证材料"
        RECOVERY = "recovery", "退回凭证"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类别", max_length=24, choices=Kind.choices)
    change = models.ForeignKey("ChangeRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    # A report's evidence, optionally for one of its indicators (certificates, patent receipts, audited revenue, photos).
    report = models.ForeignKey("Report", on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    indicator = models.ForeignKey(Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence")
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


class Payment(PaymentRecord):
    """A payment made to the project's unit, recorded by finance: traceable to its voucher."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")

    class Meta:
        verbose_name = "拨款记录"
        verbose_name_plural = "拨款记录"
        ordering = ["project", "paid_on", "id"]


class Recovery(models.Model):
    """Money the unit must return (termination, revocation, a failed acceptance): the amount due,
    made of the unused and the misused money, and what came back (its receipts)."""

    class Kind(models.TextChoices):
        TERMINATION = "termination", "终止清算"
        REVOCATION = "revocation", "撤销追回"
        FAILED = "failed", "验收不通过清算"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="recoveries")
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.TERMINATION)
    unused = models.PositiveBigIntegerField("未使用的财政资金（元）", default=0)
    misused = models.PositiveBigIntegerField("违规使用的财政资金（元）", default=0)
    basis = models.JSONField("计算依据", default=dict, blank=True)
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


class RecoveryReceipt(models.Model):
    """Money returned against a recovery, recorded by finance with its voucher (used once)."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="receipts")
    amount = models.PositiveBigIntegerField("金额（元）")
    received_on = models.DateField("到账日期")
    voucher = models.CharField("凭证号", max_length=64, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "退回到账"
        verbose_name_plural = "退回到账"
        ordering = ["recovery", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.voucher} {self.amount} 元"


class Report(models.Model):
    """A report of the unit on its project: mid-term (中期报告), final (结题报告, asking for
    acceptance) or rectification (整改报告). For each indicator the actual values (in the guide's
    fact names: one value per fact, shared by the indicators that read it; an added indicator's
    actual by its id), evidence files, a narrative, and the money actually spent per budget line.

    Submitted, its actuals are verified by the guide's rules (`checks`, a snapshot of
    `yongke.projects.verification`); the officer checks it: a mid-term report is 合格 or 限期整改
    (with a date for a new one); a final or rectification report goes to acceptance."""

    class Kind(models.TextChoices):
        MIDTERM = "midterm", "中期报告"
        FINAL = "final", "结题报告"
        RECTIFICATION = "rectification", "整改报告"

    class State(models.TextChoices):
        DRAFT = "draft", "填报中"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "已退回"
        CHECKED = "checked", "已审核"

    class Outcome(models.TextChoices):
        QUALIFIED = "qualified", "合格"
        RECTIFY = "rectify", "限期整改"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField("报告类别", max_length=16, choices=Kind.choices)
    number = models.PositiveSmallIntegerField("序号", default=1)
    due_on = models.DateField("报送期限")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    narrative = models.TextField("执行情况", blank=True)
    actuals = models.JSONField("实际完成值", default=dict, blank=True)  # {fact: value}
    extra_actuals = models.JSONField("补充指标实际完成值", default=dict, blank=True)  # {indicator id: value}
    spent = models.JSONField("经费实际支出", default=list, blank=True)  # [{category, fiscal, self_raised}]
    checks = models.JSONField("指标核验结果", default=dict, blank=True)
    lock_version = models.PositiveIntegerField("版本号", default=1)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField("审核结论", max_length=12, choices=Outcome.choices, blank=True)
    outcome_comment = models.TextField("审核意见", blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True)
    checked_at = models.DateTimeField("审核时间", null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reminded = models.JSONField("已发送的提醒", default=list, blank=True)  # ["before:2026-06-30", "after:…"]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "项目报告"
        verbose_name_plural = "项目报告"
        ordering = ["project", "due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "kind", "number"], name="report_number_unique")]

    def __str__(self) -> str:
        return f"{self.project.number} {self.get_kind_display()}（{self.number}）"


class Acceptance(models.Model):
    """An acceptance (验收) of a project on its final (or rectification) report: by documents
    (the officer alone, for small projects by the call's setting) or by an expert panel; the
    verdict 通过 / 整改后通过 / 限期整改 / 不通过 with a result and a reason per indicator. The
    first acceptance may give one rectification period; the second (after it) may not."""

    class Mode(models.TextChoices):
        DOCUMENTS = "documents", "书面验收"
        PANEL = "panel", "专家验收"

    class Verdict(models.TextChoices):
        PASSED = "passed", "通过"
        PASSED_AFTER_RECTIFICATION = "passed_after_rectification", "整改后通过"
        RECTIFY = "rectify", "限期整改"
        FAILED = "failed", "不通过"

    class State(models.TextChoices):
        OPEN = "open", "验收中"
        DECIDED = "decided", "已作出结论"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="acceptances")
    number = models.PositiveSmallIntegerField("验收次数", default=1)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="acceptance")
    mode = models.CharField("验收方式", max_length=12, choices=Mode.choices)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.OPEN)
    experts_wanted = models.PositiveSmallIntegerField("专家人数", default=0)
    checks = models.JSONField("指标核验结果", default=dict, blank=True)  # verification at opening
    verdict = models.CharField("验收结论", max_length=32, choices=Verdict.choices, blank=True)
    reasons = models.JSONField("逐项意见", default=dict, blank=True)  # {indicator id: {"result", "reason"}}
    comment = models.TextField("验收意见", blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True)
    certificate_number = models.CharField("验收证书编号", max_length=40, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    opened_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "项目验收"
        verbose_name_plural = "项目验收"
        ordering = ["project", "number", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="acceptance_number_unique")]

    def __str__(self) -> str:
        return f"{self.project.number} 第{self.number}次验收"


class PanelMember(models.Model):
    """An expert of an acceptance panel: invited (chosen from the review module's pool, clear of
    conflicts), accepted after declaring no conflict, then one opinion per indicator (the
    acceptance form) and an overall recommendation."""

    class State(models.TextChoices):
        INVITED = "invited", "已邀请"
        ACCEPTED = "accepted", "已接受"
        DECLINED = "declined", "已谢绝"
        SUBMITTED = "submitted", "已提交意见"

    acceptance = models.ForeignKey(Acceptance, on_delete=models.CASCADE, related_name="members")
    expert = models.ForeignKey("review.Expert", on_delete=models.PROTECT, related_name="acceptance_panels")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.INVITED)
    no_conflict_declared_at = models.DateTimeField("声明无利益冲突时间", null=True, blank=True)
    opinion = models.JSONField("逐项意见", default=dict, blank=True)  # {indicator id: {"result", "comment"}}
    recommendation = models.CharField("建议结论", max_length=32, choices=Acceptance.Verdict.choices, blank=True)
    comment = models.TextField("综合意见", blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "验收专家"
        verbose_name_plural = "验收专家"
        ordering = ["acceptance", "id"]
        constraints = [models.UniqueConstraint(fields=["acceptance", "expert"], name="panel_member_unique")]

    def __str__(self) -> str:
        return f"{self.acceptance} {self.expert}"

"""Expert review: the pool, conflicts of interest, review rounds, invitations, scores, ranking moves."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yongke.applications.models import Application, Call
from yongke.orgs.models import Organisation, Person


class Expert(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="expert")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="expert")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="experts", verbose_name="工作单位"
    )
    title = models.CharField("职称", max_length=50, blank=True)
    fields = models.JSONField("专业领域（GB/T 4754 代码）", default=list, blank=True)
    keywords = models.JSONField("研究方向关键词", default=list, blank=True)
    region = models.CharField("所在地区", max_length=50, blank=True)
    available = models.BooleanField("可参加评审", default=True)
    max_load = models.PositiveSmallIntegerField("每批次最多评审数", default=6)
    past_reviews = models.PositiveIntegerField("累计评审次数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评审专家"
        verbose_name_plural = "专家库"
        ordering = ["person__name"]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.organisation or '无单位'}）"


class Employment(models.Model):
    """Where an expert worked before: a conflict with that organisation for N years after."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="employments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField("入职", null=True, blank=True)
    ended_on = models.DateField("离职", null=True, blank=True)

    class Meta:
        verbose_name = "工作经历"
        verbose_name_plural = "工作经历"

    def __str__(self) -> str:
        return f"{self.expert} 曾任职于 {self.organisation}（{self.started_on or '?'} 至 {self.ended_on or '?'}）"


class Declaration(models.Model):
    """A declared conflict: with an organisation, a person (a relative) or one application.

    Declared by the expert (自行申报回避), or requested by the applicant (申请回避, with a reason
    and a limited number per application).
    """

    class Kind(models.TextChoices):
        EXPERT = "expert", "专家自行申报回避"
        RELATIVE = "relative", "亲属关系"
        APPLICANT_REQUEST = "applicant_request", "申报单位申请回避"

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="declarations")
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, null=True, blank=True, related_name="avoidances")
    reason = models.TextField("理由")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "回避声明"
        verbose_name_plural = "回避声明"

    def __str__(self) -> str:
        about = self.organisation or self.person or self.application
        return f"{self.expert} {self.get_kind_display()}：{about}" if about else f"{self.expert} {self.get_kind_display()}"


class ReviewRound(models.Model):
    """One assignment run for a call (or a set of its directions): parameters, seed and outcome."""

    class Mode(models.TextChoices):
        OPTIMAL = "optimal", "最优匹配"
        FAIR = "fair", "公平优先"
        RANDOM = "random", "随机抽取"

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="review_rounds")
    directions = models.JSONField("方向", default=list, blank=True)
    k = models.PositiveSmallIntegerField("每个申报的专家数")
    min_load = models.PositiveSmallIntegerField("每位专家最少评审数", default=0)
    max_load = models.PositiveSmallIntegerField("每位专家最多评审数", default=6)
    mode = models.CharField("方式", max_length=8, choices=Mode.choices, default=Mode.OPTIMAL)
    seed = models.BigIntegerField("随机种子", null=True, blank=True)
    max_prob = models.FloatField("单对最大概率", null=True, blank=True)
    years_since_employment = models.PositiveSmallIntegerField("原单位回避年限", default=3)
    one_per_organisation = models.BooleanField("同一申报不安排同单位的两位专家", default=False)
    # None on rounds run before the floor existed: every scored pair could then be assigned.
    affinity_floor = models.FloatField("匹配度下限（不高于此值的配对不分配）", null=True, blank=True)
    time_limit = models.FloatField("公平优先的求解时限（秒）", null=True, blank=True)
    solver = models.JSONField("求解信息（公平优先：时限、是否证明最优、差距）", default=dict, blank=True)
    due_at = models.DateTimeField("评审截止", null=True, blank=True)
    total_affinity = models.FloatField(null=True, blank=True)
    exclusions = models.JSONField("回避明细", default=list, blank=True)
    diagnosis = models.JSONField("不可行诊断", default=dict, blank=True)
    status = models.CharField(max_length=16, default="draft")  # draft, assigned, infeasible, closed
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评审轮次"
        verbose_name_plural = "评审轮次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.call} 评审轮次 {self.pk}（{self.get_mode_display()}）"


class ReviewAssignment(models.Model):
    class State(models.TextChoices):
        INVITED = "invited", "已邀请"
        ACCEPTED = "accepted", "已接受"
        DECLINED = "declined", "已谢绝"
        SUBMITTED = "submitted", "已提交评分"

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    affinity = models.FloatField("匹配度")
    forced = models.BooleanField("指定", default=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.INVITED)
    conflict_statement = models.TextField("无利益冲突声明", blank=True)
    decline_reason = models.TextField("谢绝理由", blank=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "评审任务"
        verbose_name_plural = "评审任务"
        constraints = [models.UniqueConstraint(fields=["round", "application", "expert"], name="review_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.expert} 评审 {self.application}（{self.get_state_display()}）"


class Score(models.Model):
    assignment = models.OneToOneField(ReviewAssignment, on_delete=models.CASCADE, related_name="score")
    points = models.JSONField("各项评分")
    total = models.FloatField("总分（百分制）")
    comment = models.TextField("评审意见")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"

    def __str__(self) -> str:
        return f"{self.assignment}：{self.total:g} 分"


class PanelMove(models.Model):
    """A panel (会评) decision to move an application in its direction's ranking, with the reason."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="panel_moves")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField("调整后名次")
    reason = models.TextField("理由")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "会评调整"
        verbose_name_plural = "会评调整"

    def __str__(self) -> str:
        return f"{self.application} 调整至第 {self.position} 名"


class DecisionWaiver(models.Model):
    """An officer's recorded reason to decide an application (拟立项) before every expert assigned
    to it in a round has scored. The funding step asks for one while the review is incomplete."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="waivers")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_waivers")
    reason = models.TextField("不等评审完成即决定的理由")
    scored = models.PositiveSmallIntegerField("记录时已评分的专家数")
    assigned = models.PositiveSmallIntegerField("分配的专家数")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评审未完成即决定的理由"
        verbose_name_plural = "评审未完成即决定的理由"
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application}：{self.assigned} 位专家中 {self.scored} 位已评分时决定（{self.reason}）"

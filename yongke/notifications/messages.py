"""What each event says: a title and a body per template, Chinese first and marked for
translation. An inbox entry keeps its template and parameters, so it reads in the language of
whoever opens it; email and SMS go out in the site's language (settings.LANGUAGE_CODE)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yongke.notifications.models import Kind

if TYPE_CHECKING:  # django-stubs-ext is a development dependency; the name is for mypy only
    from django_stubs_ext import StrOrPromise

    from yongke.notifications.models import Notification


@dataclass(frozen=True)
class Template:
    kind: str
    title: StrOrPromise
    body: StrOrPromise


TEMPLATES: dict[str, Template] = {
    "returned": Template(
        Kind.RETURNED,
        _("申报需补正：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s，%(call)s）被退回补正。\n补正要求：%(comment)s\n请按要求修改后重新提交。"),
    ),
    "recommended": Template(
        Kind.RECOMMENDATION,
        _("申报已获推荐：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）已由推荐单位推荐，进入形式审查。"),
    ),
    "not_recommended": Template(
        Kind.RECOMMENDATION,
        _("申报未获推荐：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）未获推荐单位推荐。\n理由：%(comment)s"),
    ),
    "accepted": Template(
        Kind.FORMAL_REVIEW,
        _("形式审查通过：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）已通过形式审查，将进入专家评审。"),
    ),
    "refused": Template(
        Kind.FORMAL_REVIEW,
        _("形式审查不通过：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）未通过形式审查。\n理由：%(comment)s"),
    ),
    "checked": Template(
        Kind.FORMAL_REVIEW,
        _("后补助核查通过：%(title)s"),
        _("您单位的后补助申领「%(title)s」（方向 %(direction)s）已核查通过，核定金额 %(amount)s 元。"),
    ),
    "claim_refused": Template(
        Kind.FORMAL_REVIEW,
        _("后补助核查不通过：%(title)s"),
        _("您单位的后补助申领「%(title)s」（方向 %(direction)s）未通过核查。\n理由：%(comment)s"),
    ),
    "funded": Template(
        Kind.DECISION,
        _("拟立项：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）拟予立项，立项金额 %(amount)s 元。拟立项名单将进行公示。"),
    ),
    "not_funded": Template(
        Kind.DECISION,
        _("不予立项：%(title)s"),
        _("您单位的申报「%(title)s」（方向 %(direction)s）不予立项。\n理由：%(comment)s"),
    ),
    "published": Template(
        Kind.PUBLISHED,
        _("公示开始：%(title)s"),
        _("您单位的「%(title)s」（方向 %(direction)s）已进入公示，公示期至 %(objection_ends_at)s（北京时间）。"),
    ),
    "invited": Template(
        Kind.INVITATION,
        _("评审邀请：%(title)s"),
        _("您受邀评审申报「%(title)s」（方向 %(direction)s）。请登录系统接受或谢绝邀请，并声明有无利益冲突。\n评审截止：%(due)s"),
    ),
    "reminded": Template(
        Kind.REMINDER,
        _("评审提醒：%(title)s"),
        _("您的评审任务「%(title)s」（方向 %(direction)s）尚未完成，评审截止：%(due)s。"),
    ),
    "deadline": Template(
        Kind.DEADLINE,
        _("申报即将截止：%(call)s"),
        _("申报批次「%(call)s」将于 %(closes_at)s（北京时间）截止。您单位在该批次尚有未提交的申报，请在截止前提交。"),
    ),
    "submission_refused": Template(
        Kind.SUBMISSION,
        _("申报未能提交：%(title)s"),
        _(
            "您单位的申报「%(title)s」（方向 %(direction)s，%(call)s）已于 %(received_at)s 受理，但未能提交：%(comment)s\n"
            "请按提示修改后，在申报截止前重新提交。"
        ),
    ),
    # Projects (yongke.projects.notify): %(number)s is the project's number.
    "project_opened": Template(
        Kind.PROJECT,
        _("已立项，任务书编制中：%(title)s"),
        _(
            "您单位的「%(title)s」（方向 %(direction)s）已立项，项目编号 %(number)s。项目处正依据申报书编制任务书，编制完成后将发送贵单位签订。"
        ),
    ),
    "task_book_changed": Template(
        Kind.PROJECT,
        _("任务书已修改：%(title)s"),
        _("项目「%(title)s」（%(number)s）的任务书已由项目处修改，请登录查看修改内容。"),
    ),
    "task_book_sent": Template(
        Kind.PROJECT,
        _("请签订任务书：%(title)s"),
        _(
            "项目「%(title)s」（%(number)s）的任务书已编制完成，请于 %(sign_by)s（北京时间）前由单位管理员签订并上传盖章的任务书；逾期未签订的将撤销立项。"
        ),
    ),
    "task_book_reopened": Template(
        Kind.PROJECT,
        _("任务书退回修改：%(title)s"),
        _("项目「%(title)s」（%(number)s）的任务书已退回修改。\n理由：%(comment)s"),
    ),
    "task_book_signed": Template(
        Kind.PROJECT,
        _("承担单位已签订任务书：%(title)s"),
        _("项目「%(title)s」（%(number)s）的承担单位已签订任务书并上传盖章件，请审核后签订。"),
    ),
    "task_book_countersigned": Template(
        Kind.PROJECT,
        _("任务书已签订，项目开始执行：%(title)s"),
        _("项目「%(title)s」（%(number)s）的任务书已由主管部门签订，项目进入执行阶段。"),
    ),
    "sign_reminder": Template(
        Kind.PROJECT,
        _("任务书签订即将到期：%(title)s"),
        _("项目「%(title)s」（%(number)s）的任务书须于 %(sign_by)s（北京时间）前签订，逾期未签订的将撤销立项。"),
    ),
    "project_revoked": Template(
        Kind.PROJECT,
        _("项目已撤销立项：%(title)s"),
        _("项目「%(title)s」（%(number)s）已撤销立项。\n原因：%(comment)s"),
    ),
    "project_terminated": Template(
        Kind.PROJECT,
        _("项目已终止：%(title)s"),
        _("项目「%(title)s」（%(number)s）已终止，停止拨款。\n原因：%(comment)s"),
    ),
    "payment_made": Template(
        Kind.PAYMENT,
        _("项目经费已拨付：%(title)s"),
        _("项目「%(title)s」（%(number)s）的「%(tranche)s」已拨付 %(amount)s 元，请注意查收。"),
    ),
    "change_requested": Template(
        Kind.PROJECT,
        _("请对变更申请出具意见：%(title)s"),
        _("项目「%(title)s」（%(number)s）的承担单位提出第 %(change_number)s 号变更申请（%(change)s），请出具推荐单位意见。"),
    ),
    "change_reviewed": Template(
        Kind.PROJECT,
        _("变更申请待审批：%(title)s"),
        _("项目「%(title)s」（%(number)s）的第 %(change_number)s 号变更申请（%(change)s）已有推荐单位意见，请审批。"),
    ),
    "change_approved": Template(
        Kind.PROJECT,
        _("变更申请已批准：%(title)s"),
        _(
            "项目「%(title)s」（%(number)s）的第 %(change_number)s 号变更申请（%(change)s）已批准，任务书第 %(amendment)s 号变更生效。\n审批意见：%(comment)s"
        ),
    ),
    "change_refused": Template(
        Kind.PROJECT,
        _("变更申请不予批准：%(title)s"),
        _("项目「%(title)s」（%(number)s）的第 %(change_number)s 号变更申请（%(change)s）不予批准。\n理由：%(comment)s"),
    ),
    # After signing (reports, acceptance, termination, recovery, credit): %(report)s is the report's kind.
    "report_due": Template(
        Kind.PROJECT,
        _("请按期报送%(report)s：%(title)s"),
        _("项目「%(title)s」（%(number)s）的%(report)s须于 %(due_on)s 前报送，请登录填报各项考核指标的实际完成值并上传佐证材料。"),
    ),
    "report_overdue": Template(
        Kind.PROJECT,
        _("%(report)s已逾期：%(title)s"),
        _("项目「%(title)s」（%(number)s）的%(report)s报送期限 %(due_on)s 已过，尚未报送，请尽快报送。"),
    ),
    "report_submitted": Template(
        Kind.PROJECT,
        _("%(report)s待审核：%(title)s"),
        _("项目「%(title)s」（%(number)s）的承担单位已报送%(report)s，考核指标核验：%(verdict)s，请审核。"),
    ),
    "report_returned": Template(
        Kind.PROJECT,
        _("%(report)s退回修改：%(title)s"),
        _("项目「%(title)s」（%(number)s）的%(report)s已退回修改。\n理由：%(comment)s"),
    ),
    "midterm_checked": Template(
        Kind.PROJECT,
        _("中期检查结论：%(outcome)s：%(title)s"),
        _("项目「%(title)s」（%(number)s）的中期检查结论为「%(outcome)s」。%(rectify)s\n意见：%(comment)s"),
    ),
    "final_report_submitted": Template(
        Kind.PROJECT,
        _("项目申请验收：%(title)s"),
        _("项目「%(title)s」（%(number)s）的承担单位已提交结题报告，申请验收，请组织验收。"),
    ),
    "final_report_returned": Template(
        Kind.PROJECT,
        _("结题材料退回修改：%(title)s"),
        _("项目「%(title)s」（%(number)s）的结题材料已退回修改，请补充后重新提交。\n理由：%(comment)s"),
    ),
    "acceptance_opened": Template(
        Kind.PROJECT,
        _("项目验收已开始：%(title)s"),
        _("项目「%(title)s」（%(number)s）的验收已开始（%(mode)s），验收结论作出后将通知贵单位。"),
    ),
    "panel_declined": Template(
        Kind.PROJECT,
        _("验收专家谢绝邀请：%(title)s"),
        _("%(expert)s谢绝了项目「%(title)s」（%(number)s）的验收邀请，请另行邀请专家。\n理由：%(comment)s"),
    ),
    "panel_invited": Template(
        Kind.PROJECT,
        _("验收专家邀请：%(title)s"),
        _("邀请您参加项目「%(title)s」（%(number)s）的验收。请先声明与该项目无利益冲突后接受邀请，再逐项填写验收意见。"),
    ),
    "panel_opinion_submitted": Template(
        Kind.PROJECT,
        _("验收专家已提交意见：%(title)s"),
        _("项目「%(title)s」（%(number)s）的验收专家已提交意见（%(done)s/%(wanted)s），全部提交后可作出验收结论。"),
    ),
    "project_accepted": Template(
        Kind.PROJECT,
        _("项目验收通过并结题：%(title)s"),
        _("项目「%(title)s」（%(number)s）验收通过，已结题，可下载验收证书。\n验收意见：%(comment)s"),
    ),
    "acceptance_rectify": Template(
        Kind.PROJECT,
        _("项目验收须限期整改：%(title)s"),
        _("项目「%(title)s」（%(number)s）验收结论为限期整改，请于 %(rectify_by)s 前提交整改报告；整改只有一次。\n意见：%(comment)s"),
    ),
    "rectification_submitted": Template(
        Kind.PROJECT,
        _("整改报告待验收：%(title)s"),
        _("项目「%(title)s」（%(number)s）的承担单位已提交整改报告，请组织再次验收。"),
    ),
    "acceptance_failed": Template(
        Kind.PROJECT,
        _("项目验收不通过：%(title)s"),
        _("项目「%(title)s」（%(number)s）验收不通过。\n理由：%(comment)s"),
    ),
    "project_rescinded": Template(
        Kind.PROJECT,
        _("项目已撤销：%(title)s"),
        _("项目「%(title)s」（%(number)s）已撤销，已拨付的财政资金须全部退回。\n原因：%(comment)s"),
    ),
    "recovery_due": Template(
        Kind.PAYMENT,
        _("请退回项目经费：%(title)s"),
        _("项目「%(title)s」（%(number)s）应退回财政资金 %(amount)s 元，请于 %(due_on)s 前退回。\n依据：%(reason)s"),
    ),
    "recovery_received": Template(
        Kind.PAYMENT,
        _("项目经费退回已到账：%(title)s"),
        _("项目「%(title)s」（%(number)s）退回的 %(amount)s 元已到账，尚应退回 %(left)s 元。"),
    ),
    "credit_recorded": Template(
        Kind.PROJECT,
        _("信用记录：%(title)s"),
        _("因项目「%(title)s」（%(number)s）%(reason)s，%(subject)s已记入失信记录，%(until)s不得申报。\n依据：%(source)s"),
    ),
}

SMS = _("【邕科】%(title)s。详情请登录邕科系统查看。")
EMAIL_FOOTER = _("查看详情：%(url)s\n\n您可以在「通知设置」中关闭此类邮件：%(preferences)s")
# Parameters that are a time: an empty one reads as "not set" in the reader's language.
TIMES = ("due", "closes_at", "objection_ends_at", "sign_by")


class _Params(dict):
    """A template's parameters; one the event did not give reads as empty, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of a template in the active language."""
    t = TEMPLATES[template]
    values = _Params(params)
    for name in TIMES:
        if name in values and not values[name]:
            values[name] = gettext("未设定")
    return str(t.title) % values, str(t.body) % values


def render_sent(template: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) as sent: in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(template, params)


def localized(n: Notification) -> tuple[str, str]:
    """An inbox entry's (title, body) in the reader's language; as sent if its template is gone."""
    if n.template not in TEMPLATES:
        return n.title, n.body
    return render(n.template, n.params)


def sms_text(title: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(SMS) % {"title": title}


def email_footer(url: str, preferences: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(EMAIL_FOOTER) % {"url": url, "preferences": preferences}

"""What people read of an error, and the labels of codes the pages show.

A domain error's message is written for the API and the console: "amount: 须填写金额（元）/
amount required" — the field's code first, Chinese, then an English gloss. A page names the
field by its label and speaks one language: "立项金额：须填写金额（元）" on a Chinese page,
"Amount: amount required" on an English one. `error_text` does that for every page, so no
view formats a domain message itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yongke.applications.workflow import POST, PRE
from yongke.core.errors import YongkeError
from yongke.projects.workflow import PROJECT

if TYPE_CHECKING:  # django-stubs-ext is a development dependency; the name is for mypy only
    from django_stubs_ext import StrOrPromise

# The fields services and the portal name in errors (detail.field), by their label on the page.
FIELD_LABELS: dict[str, StrOrPromise] = {
    "action": _("操作"),
    "affinity_floor": _("匹配度下限"),
    "amount": _("金额"),
    "application": _("申报"),
    "budgets": _("预算"),
    "call": _("申报批次"),
    "closes_at": _("截止时间"),
    "comment": _("意见"),
    "conflict": _("利益冲突说明"),
    "contact": _("联系方式"),
    "days": _("天数"),
    "district": _("注册地"),
    "direction": _("申报方向"),
    "directions": _("申报方向"),
    "email": _("邮箱"),
    "facts": _("申报信息"),
    "fields": _("专业领域"),
    "file": _("文件"),
    "full_name": _("姓名"),
    "id_number": _("身份证号码"),
    "industry": _("行业代码"),
    "kind": _("类别"),
    "leader": _("项目负责人"),
    "lock_version": _("版本号"),
    "max_load": _("最大评审量"),
    "max_prob": _("单对最大概率"),
    "min_load": _("最少评审量"),
    "mode": _("分配方式"),
    "name": _("名称"),
    "objection_days": _("公示天数"),
    "organisation": _("申报单位"),
    "orgs": _("单位名单"),
    "password": _("密码"),
    "password1": _("密码"),
    "password2": _("确认密码"),
    "person": _("人员"),
    "points": _("评分"),
    "position": _("名次"),
    "programme": _("专项"),
    "reason": _("理由"),
    "requested_amount": _("申请财政资助"),
    "role": _("角色"),
    "seed": _("随机种子"),
    "self_raised_amount": _("自筹经费"),
    "statement": _("声明"),
    "summary": _("项目摘要"),
    "team": _("项目团队"),
    "template": _("通知模板"),
    "time_limit": _("求解时限"),
    "title": _("项目名称"),
    "unit": _("推荐单位"),
    "username": _("用户名"),
    "uscc": _("统一社会信用代码"),
    "valid_to": _("截止日期"),
    "zone": _("所在开发区"),
}

ROLE_LABELS: dict[str, StrOrPromise] = {
    "org_admin": _("申报单位管理员"),
    "applicant": _("申报人"),
    "recommender": _("推荐单位"),
    "officer": _("项目处业务人员"),
    "finance": _("财务人员"),
    "expert": _("评审专家"),
    "auditor": _("审计人员"),
    "sysadmin": _("系统管理员"),
}

# What an audit entry's object is.
TARGET_LABELS: dict[str, StrOrPromise] = {
    "application": _("申报"),
    "organisation": _("单位"),
    "person": _("人员"),
    "user": _("用户"),
    "call": _("申报批次"),
    "guide": _("申报指南"),
    "guide_version": _("申报指南"),
    "review_round": _("评审轮次"),
    "review_assignment": _("评审任务"),
    "expert": _("专家"),
    "attachment": _("附件"),
    "notification_preferences": _("通知设置"),
    "project": _("项目"),
}

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_{}\-]+)*"
_PREFIX = re.compile(rf"^(?P<field>{_IDENT})\s*[:：]\s*")
# The English gloss: after the last " / " (or "）/ "), no Chinese, at least one Latin letter.
_CJK = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_GLOSS = re.compile(rf"(?:\s|(?<=[）」』】”]))/\s*(?P<en>[^{_CJK}/]*[A-Za-z][^{_CJK}/]*)$")


@dataclass(frozen=True)
class Message:
    """A domain message taken apart: the field it names, the Chinese text, the English gloss."""

    field: str | None
    zh: str
    en: str | None


def split_message(message: str, field: str | None = None) -> Message:
    text = message.strip()
    m = _PREFIX.match(text)
    if m:
        field = field or m["field"]
        text = text[m.end() :]
    g = _GLOSS.search(text)
    en = None
    if g:
        en = g["en"].strip()
        text = text[: g.start()].rstrip()
    return Message(field=field or None, zh=text, en=en)


def field_label(field: str | None, labels: Mapping[str, Any] | None = None) -> str | None:
    """The label of a field code: the form's own first (fact labels, a form's fields), then ours.

    "facts.kpi_patents" is the fact's label, "budgets.1.1" the budget of 1.1, "points.team"
    the criterion's; a code we have no label for gives None (the message is shown without a
    name rather than with an identifier).
    """
    if not field:
        return None
    labels = labels or {}
    if field in labels:
        return str(labels[field])
    if field in FIELD_LABELS:
        return str(FIELD_LABELS[field])
    head, _dot, rest = field.partition(".")
    if rest:
        if rest in labels:
            return str(labels[rest])
        last = rest.rsplit(".", 1)[-1]
        if last in labels:
            return str(labels[last])
        if head in FIELD_LABELS and not rest.isidentifier():  # budgets.1.1, claims.0
            return f"{FIELD_LABELS[head]}（{rest}）"
        if head in FIELD_LABELS:
            return str(FIELD_LABELS[head])
        if last in FIELD_LABELS:
            return str(FIELD_LABELS[last])
    return None


def _english() -> bool:
    return (get_language() or "").startswith("en")


def message_text(message: str, *, field: str | None = None, labels: Mapping[str, Any] | None = None, named: bool = True) -> str:
    """A domain message as a page shows it, in the page's language, the field named by its label.

    `named=False` leaves the name out (the message is shown under the field itself).
    """
    parts = split_message(message, field)
    english = _english()
    text = parts.en if english and parts.en else parts.zh
    if english and parts.en:
        text = text[:1].upper() + text[1:]
    label = field_label(parts.field, labels) if named else None
    if not label or text.startswith(label):
        return text
    return f"{label}: {text}" if english else f"{label}：{text}"


def error_text(error: YongkeError, *, labels: Mapping[str, Any] | None = None, named: bool = True) -> str:
    detail = error.detail if isinstance(error.detail, dict) else {}
    field = detail.get("field")
    return message_text(error.message, field=str(field) if field else None, labels=labels, named=named)


def error_field(error: YongkeError) -> str | None:
    detail = error.detail if isinstance(error.detail, dict) else {}
    field = detail.get("field")
    return str(field) if field else None


def roles_text(roles: tuple[str, ...] | list[str]) -> str:
    return (", " if _english() else "、").join(str(ROLE_LABELS.get(r, r)) for r in roles)


# Audit entries by what was done (the workflow's own steps are labelled by the workflow).
ACTION_LABELS: dict[str, StrOrPromise] = {
    "application_create": _("创建草稿"),
    "application_update": _("修改申报"),
    "application_pdf": _("下载申报书 PDF"),
    "attachment_add": _("上传附件"),
    "attachment_delete": _("删除附件"),
    "attachment_remove": _("删除附件"),
    "attachment_replace": _("替换附件"),
    "call_open": _("发布申报批次"),
    "call_close": _("关闭申报批次"),
    "call_update": _("修改申报批次"),
    "claim_allocate": _("按预算分配"),
    "claim_proposed": _("免申即享：生成待确认申领"),
    "credit_record_add": _("登记信用记录"),
    "declaration_add": _("登记回避声明"),
    "document_verify": _("核验证明材料"),
    "expert_add": _("加入专家库"),
    "guide_load": _("导入申报指南"),
    "guide_publish": _("发布申报指南"),
    "guide_retire": _("停用申报指南"),
    "invitation_accept": _("接受评审邀请"),
    "invitation_decline": _("谢绝评审邀请"),
    "notification_preferences_set": _("修改通知设置"),
    "org_attribute_set": _("登记单位属性"),
    "organisation_create": _("登记单位"),
    "organisation_register": _("单位注册"),
    "organisation_update": _("修改单位信息"),
    "panel_move": _("会评调整名次"),
    "person_create": _("登记人员"),
    "review_round_close": _("关闭评审轮次"),
    "review_round_infeasible": _("专家分配无可行方案"),
    "review_round_run": _("分配评审专家"),
    "review_waiver": _("评审未完成即决定：记录理由"),
    "score_submit": _("提交评分"),
    "user_add": _("创建账户"),
    "bank_account_set": _("登记收款账户"),
    "project_open": _("建立项目（任务书编制）"),
    "task_book_update": _("修改任务书"),
    "task_book_pdf": _("下载任务书 PDF"),
    "payment_record": _("登记拨款"),
    "change_request": _("申请变更"),
    "change_opinion": _("出具推荐单位意见"),
    "change_approve": _("批准变更"),
    "change_refuse": _("不予批准变更"),
    "change_withdraw": _("撤回变更申请"),
    "call_project_settings": _("设置批次项目管理"),
    "sign_reminder": _("提醒签订任务书"),
    # after signing: reports, the mid-term check, acceptance, closure, recovery, credit
    "report_save": _("保存项目报告草稿"),
    "report_attach": _("上传佐证材料"),
    "report_file_remove": _("删除佐证材料"),
    "report_submit": _("提交项目报告"),
    "report_return": _("退回项目报告"),
    "report_reminder": _("提醒报送项目报告"),
    "report_pdf": _("下载项目报告 PDF"),
    "midterm_check": _("作出中期检查结论"),
    "acceptance_open": _("组织验收"),
    "acceptance_invite": _("增邀验收专家"),
    "acceptance_overdue": _("逾期未申请验收"),
    "panel_accept": _("接受验收邀请"),
    "panel_decline": _("谢绝验收邀请"),
    "panel_opinion": _("提交验收意见"),
    "certificate_pdf": _("下载验收证书"),
    "recovery_open": _("要求退回经费"),
    "recovery_receive": _("登记退回到账"),
    "credit_record_end": _("信用记录办结"),
    "call_postaward_settings": _("设置批次验收规则"),
}


def action_label(action: str) -> str:
    """An audit action as people say it; the workflow's label for its steps; the code if we have none."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    for wf in (PRE, POST, PROJECT):
        t = wf.transition(action)
        if t is not None:
            return str(t.label)
    return action


def state_label(state: str) -> str:
    """A workflow state's label where the funding mode is not at hand (an audit entry)."""
    for wf in (PRE, POST, PROJECT):
        if state in wf.states:
            return str(wf.state_label(state))
    return state


def target_label(target_type: str) -> str:
    return str(TARGET_LABELS.get(target_type, target_type))

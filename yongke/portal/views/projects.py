"""Projects after 立项, for the unit and whoever else may see one: 我的项目, the project's page (the
任务书 with its 考核指标, 经费预算, 进度安排, parties, 拨款计划 and ledger; every change in the timeline;
the versions side by side; the signing steps; change requests; the bank account), and the
project's files. The officer's, the recommending unit's and finance's pages are in
`project_office.py`; both read through `yongke.projects.selectors` and write through
`yongke.projects.services` (the bank account through `yongke.orgs.services`)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.applications.proposal import BUDGET_LABELS
from yongke.core import workdays
from yongke.core.errors import YongkeError
from yongke.guide.selectors import compiled_for
from yongke.orgs import services as org_services
from yongke.orgs.selectors import bank_account_of, people_visible_to
from yongke.portal.forms_projects import BankAccountForm, ChangeRequestForm, StepForm, WithdrawForm, place_simple
from yongke.portal.texts import ACTION_LABELS as AUDIT_LABELS
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, flash, paginate, roles_required, scope
from yongke.projects import pdf as project_pdf
from yongke.projects import rules as project_rules
from yongke.projects import services
from yongke.projects.models import ChangeRequest, Project
from yongke.projects.selectors import (
    change_get,
    project_file_get,
    project_get,
    project_ledger,
    project_timeline,
    projects_visible_to,
    task_book_content,
    version_diff,
    versions_of,
)
from yongke.projects.workflow import CHANGEABLE_STATES, PROJECT

APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)
DANGER = ("revoke", "terminate", "reopen")

# What the timeline calls the project's audit entries that are not workflow steps.
ACTION_LABELS = {
    "project_open": gettext_lazy("立项，建立项目"),
    "task_book_update": gettext_lazy("修改任务书"),
    "change_request": gettext_lazy("申请变更"),
    "change_opinion": gettext_lazy("推荐单位出具意见"),
    "change_approve": gettext_lazy("批准变更"),
    "change_refuse": gettext_lazy("不予批准变更"),
    "change_withdraw": gettext_lazy("撤回变更申请"),
    "payment_record": gettext_lazy("登记拨款"),
    "sign_reminder": gettext_lazy("发送签订提醒"),
    "task_book_pdf": gettext_lazy("下载任务书 PDF"),
}
# The task book's sections, as the versions and the timeline name them.
SECTION_LABELS = {
    "title": gettext_lazy("项目名称"),
    "content": gettext_lazy("研究内容"),
    "starts_on": gettext_lazy("项目开始日期"),
    "ends_on": gettext_lazy("项目结束日期"),
    "leader": gettext_lazy("项目负责人"),
    "organisation": gettext_lazy("承担单位"),
    "indicators": gettext_lazy("考核指标"),
    "milestones": gettext_lazy("进度安排"),
    "budget": gettext_lazy("经费预算"),
    "budget_total": gettext_lazy("经费预算合计"),
    "self_raised_amount": gettext_lazy("自筹经费"),
    "approved_amount": gettext_lazy("立项金额"),
    "partners": gettext_lazy("合作单位"),
    "team": gettext_lazy("项目组成员"),
    "tranches": gettext_lazy("拨款计划"),
}
STEP_LABELS = {"comment": gettext_lazy("意见或理由"), "file": gettext_lazy("盖章的任务书"), "lock_version": gettext_lazy("版本号")}
BANK_LABELS = {"bank": gettext_lazy("开户银行"), "name": gettext_lazy("户名"), "number": gettext_lazy("银行账号")}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action in AUDIT_LABELS:  # the steps after signing (reports, acceptance, recovery) are labelled there
        return str(AUDIT_LABELS[action])
    t = PROJECT.transition(action)
    return str(t.label) if t is not None else action


# --------------------------------------------------------------------------- values as people read them


def value_text(value: Any, kind: str = "", unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    if kind == "bool" or isinstance(value, bool):
        return _("是") if value else _("否")
    if kind == "money":
        return f"{int(value):,} 元"
    if isinstance(value, int):
        return f"{value:,} {unit}".strip()
    return f"{value} {unit}".strip()


def _target_line(t: dict[str, Any]) -> str:
    target = value_text(t.get("target"), t.get("type", ""), t.get("unit", ""))
    promised = value_text(t.get("promised"), t.get("type", ""), t.get("unit", ""))
    return _("%(fact)s：%(target)s（申报承诺 %(promised)s）") % {"fact": t["label"], "target": target, "promised": promised}


def _indicator_lines(value: list[dict[str, Any]]) -> list[str]:
    out = []
    for ind in value:
        if ind.get("source") == "extra":
            out.append(f"{ind['label']}：{value_text(ind.get('target_value'), unit=ind.get('unit', ''))}")
        else:
            out.extend(_target_line(t) for t in ind.get("targets", []))
    return out


def _money_pair(fiscal: Any, own: Any) -> dict[str, str]:
    return {"fiscal": value_text(fiscal, "money"), "own": value_text(own, "money")}


def _months(m: dict[str, Any]) -> str:
    return _("，%(n)s 人月") % {"n": m["months"]} if m.get("months") else ""


SECTION_LINES: dict[str, Any] = {
    "indicators": _indicator_lines,
    "milestones": lambda value: [
        f"{m['due_on']} {m['title']}" + "".join(f"；{k} {v}" for k, v in (m.get("targets") or {}).items()) for m in value
    ],
    "budget": lambda value: [
        _("%(label)s：财政资助 %(fiscal)s，自筹经费 %(own)s") % {"label": b["label"], **_money_pair(b["fiscal"], b["self_raised"])}
        for b in value
    ],
    "budget_total": lambda value: [_("财政资助 %(fiscal)s，自筹经费 %(own)s") % _money_pair(value.get("fiscal"), value.get("self_raised"))],
    "partners": lambda value: [
        f"{p['name']}（{p['uscc']}）：{p.get('tasks') or '—'}，{value_text(p.get('budget'), 'money')}" for p in value
    ],
    "team": lambda value: [f"{m['name']}：{m.get('role') or '—'}{_months(m)}" for m in value],
    "tranches": lambda value: [
        _("第%(n)d期 %(label)s：%(amount)s（%(condition)s）")
        % {"n": t["order"], "label": t["label"], "amount": value_text(t["amount"], "money"), "condition": t["condition_label"]}
        for t in value
    ],
    "leader": lambda value: [f"{value.get('name', '')} {value.get('phone', '')}".strip()],
    "organisation": lambda value: [f"{value.get('name', '')}（{value.get('uscc', '')}）"],
    "approved_amount": lambda value: [value_text(value, "money")],
    "self_raised_amount": lambda value: [value_text(value, "money")],
}


def section_lines(section: str, value: Any) -> list[str]:
    """One section of a task book's content (selectors.task_book_content) as lines of text."""
    if value is None:
        return ["—"]
    if section in SECTION_LINES:
        return SECTION_LINES[section](value)
    if isinstance(value, str | int | float):
        return [str(value) or "—"]
    return [json.dumps(value, ensure_ascii=False)]


def diff_row(section: str, before: Any, after: Any) -> dict[str, Any]:
    """A changed section: its lines before and after, only those that differ (all when only the order did)."""
    was, now = section_lines(section, before), section_lines(section, after)
    gone, new = [x for x in was if x not in now], [x for x in now if x not in was]
    if not gone and not new:
        gone, new = was, now
    return {"section": section, "label": SECTION_LABELS.get(section, section), "before": gone, "after": new}


def timeline_rows(events: list[Any]) -> list[dict[str, Any]]:
    """The project's audit entries, each with what it changed: a task book edit section by section."""
    rows = []
    for e in events:
        d = e.data or {}
        details: list[str] = []
        if e.action == "send" and d.get("sign_by"):
            details.append(_("签订截止：%(at)s（北京时间）") % {"at": d["sign_by"]})
        elif e.action == "project_open" and d.get("amount") is not None:
            details.append(_("立项金额：%(amount)s") % {"amount": value_text(d["amount"], "money")})
        elif e.action == "change_request" and d.get("kind"):
            details.append(_("变更申请第 %(n)s 号：%(kind)s") % {"n": d.get("number"), "kind": ChangeRequest.Kind(d["kind"]).label})
        elif e.action == "change_opinion":
            details.append(_("同意") if d.get("agrees") else _("不同意"))
        elif e.action == "change_approve" and d.get("amendment"):
            details.append(_("任务书第 %(n)s 号变更") % {"n": d["amendment"]})
        elif e.action == "payment_record":
            details.append(
                _("第%(tranche)s期 %(amount)s，凭证号 %(voucher)s，收款账户 %(account)s")
                % {
                    "tranche": d.get("tranche"),
                    "amount": value_text(d.get("amount"), "money"),
                    "voucher": d.get("voucher", ""),
                    "account": d.get("account", ""),
                }
            )
        changes = [diff_row(c["section"], c.get("before"), c.get("after")) for c in d.get("changes", [])]
        rows.append(
            {
                "event": e,
                "label": action_label(e.action),
                "state": PROJECT.state_label(e.to_state) if e.to_state else "",
                "details": details,
                "changes": changes,
            }
        )
    return rows


def versions_table(project: Project) -> dict[str, Any]:
    """The original task book and each amendment side by side: a row per section any amendment changed."""
    versions = versions_of(project)
    if not versions:
        return {"columns": [], "rows": []}
    original = versions[0]
    sections: list[str] = []
    for v in versions[1:]:
        for d in version_diff(original.content, v.content):
            if d["section"] not in sections:
                sections.append(d["section"])
    columns = [
        {
            "version": v,
            "label": _("任务书原件") if v.number == 0 else _("第%(n)d号变更") % {"n": v.number},
            "change": v.change,
            "kind": v.change.get_kind_display() if v.change else "",
        }
        for v in versions
    ]
    rows = [
        {"section": s, "label": SECTION_LABELS.get(s, s), "cells": [section_lines(s, v.content.get(s)) for v in versions]} for s in sections
    ]
    return {"columns": columns, "rows": rows}


def change_rows(cr: ChangeRequest, facts: dict[str, Any], indicators: dict[int, Any]) -> list[dict[str, Any]]:
    """What a change request asks for, against what it replaces: [{label, before, after}]."""
    asked, was = cr.payload or {}, cr.before or {}
    kind = cr.kind
    if kind == ChangeRequest.Kind.EXTENSION:
        return [{"label": _("项目结束日期"), "before": was.get("ends_on", "—"), "after": asked.get("ends_on", "—")}]
    if kind == ChangeRequest.Kind.LEADER:
        return [
            {
                "label": _("项目负责人"),
                "before": f"{was.get('leader_name', '')} {was.get('leader_phone', '')}".strip(),
                "after": f"{asked.get('leader_name', '')} {asked.get('leader_phone', '')}".strip(),
            }
        ]
    if kind == ChangeRequest.Kind.LEAD_UNIT:
        return [
            {"label": _("承担单位"), "before": was.get("organisation_name", "—"), "after": asked.get("organisation_name", "—")},
            {"label": _("项目负责人"), "before": was.get("leader_name", "—"), "after": asked.get("leader_name", "—")},
        ]
    if kind == ChangeRequest.Kind.TARGETS:
        out = []
        if "content" in asked:
            out.append({"label": _("研究内容"), "before": was.get("content") or "—", "after": asked["content"]})
        for pk, targets in (asked.get("indicators") or {}).items():
            ind = indicators.get(int(pk))
            old = (was.get("indicators") or {}).get(str(pk), {})
            for name, value in targets.items():
                fact = facts.get(name)
                kind_, unit = (fact.type, fact.unit or "") if fact else ("", "")
                label = fact.label if fact else name
                out.append(
                    {
                        "label": f"{ind.label}：{label}" if ind else label,
                        "before": value_text(old.get(name), kind_, unit),
                        "after": value_text(value, kind_, unit),
                    }
                )
        return out
    if kind == ChangeRequest.Kind.BUDGET:
        before = {b["category"]: b for b in was.get("budget", [])}
        after = {b["category"]: b for b in asked.get("budget", [])}
        out = []
        for category in dict.fromkeys([*before, *after]):
            b, a = before.get(category, {}), after.get(category, {})
            if (b.get("fiscal"), b.get("self_raised")) == (a.get("fiscal"), a.get("self_raised")):
                continue
            out.append(
                {
                    "label": BUDGET_LABELS.get(category, category),
                    "before": _("财政 %(f)s / 自筹 %(s)s")
                    % {"f": value_text(b.get("fiscal", 0), "money"), "s": value_text(b.get("self_raised", 0), "money")},
                    "after": _("财政 %(f)s / 自筹 %(s)s")
                    % {"f": value_text(a.get("fiscal", 0), "money"), "s": value_text(a.get("self_raised", 0), "money")},
                }
            )
        return out
    return [{"label": _("申请终止"), "before": "", "after": _("终止项目，停止拨款并清算经费")}]


def changes_shown(changes: list[ChangeRequest], project: Project | None = None) -> list[dict[str, Any]]:
    """Change requests with what each asks for (the projects' indicators prefetched or read once)."""
    out = []
    for cr in changes:
        p = project or cr.project
        facts = compiled_for(p.guide_version).guide.facts
        indicators = {i.pk: i for i in p.indicators.all()}
        out.append({"change": cr, "rows": change_rows(cr, facts, indicators), "files": list(cr.files.all())})
    return out


# --------------------------------------------------------------------------- the project's page


def step_forms(user: Any, p: Project, bound: StepForm | None = None) -> list[dict[str, Any]]:
    """The workflow's steps this user may take here (`services.steps_for`), each with its form."""
    out = []
    for t in services.steps_for(user, p):
        form = bound if bound is not None and bound.transition.action == t.action else None
        form = form or StepForm(transition=t, initial={"lock_version": p.lock_version})
        out.append({"t": t, "form": form, "danger": t.action in DANGER, "upload": "signed_file" in t.needs})
    return out


def _tranche_rows(content: dict[str, Any], payments: list[Any]) -> list[dict[str, Any]]:
    paid: dict[int, int] = defaultdict(int)
    for pay in payments:
        paid[pay.tranche.order] += pay.amount
    return [{"tranche": t, "paid": paid.get(t["order"], 0), "left": t["amount"] - paid.get(t["order"], 0)} for t in content["tranches"]]


def detail_context(
    request: HttpRequest,
    p: Project,
    *,
    step: StepForm | None = None,
    bank_form: BankAccountForm | None = None,
) -> dict[str, Any]:
    user = acting_user(request)
    who = scope(request)
    content = task_book_content(p)
    guide = compiled_for(p.guide_version).guide
    payments = list(p.payments.select_related("tranche").order_by("paid_on", "id"))
    changes = list(p.changes.select_related("requested_by").prefetch_related("files").order_by("-number"))
    unit = bool(who.roles & set(APPLICANT_ROLES)) and p.organisation_id in who.organisations
    admin = p.organisation_id in who.admin_of
    send = PROJECT.transition("send")
    return {
        "project": p,
        "sign_by": deadline_text(p),
        "content": content,
        "direction": next((d for d in guide.directions if d.id == p.direction), None),
        "commitments": [i for i in content["indicators"] if i["source"] == "commitment"],
        "extras": [i for i in content["indicators"] if i["source"] == "extra"],
        "tranches": _tranche_rows(content, payments),
        "payments": payments,
        "ledger": project_ledger(p),
        "timeline": timeline_rows(project_timeline(user, p)),
        "versions": versions_table(p),
        "changes": changes_shown(changes, p),
        "steps": step_forms(user, p, step),
        "signed_files": [f for f in p.files.all() if f.kind == "signed_task_book"],
        # What to offer (the services decide): the unit's change requests, the admin's account form,
        # the officer's editor (who may send the task book may edit it).
        "may_request": unit and p.state in CHANGEABLE_STATES,
        "unit": unit,
        "kinds": ChangeRequest.Kind.choices,
        "may_edit": p.editable and send is not None and services.may_take(user, p, send),
        "may_pay": Role.FINANCE in who.roles,  # finance's own role: payment_record takes no other
        "account": bank_account_of(p.organisation),
        "bank_form": (bank_form or BankAccountForm()) if admin else None,
    }


@roles_required()
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = project_get(request.user, pk)
    return render(request, "portal/projects/detail.html", detail_context(request, p))


@roles_required()
@require_POST
def project_step(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the project workflow: send, the unit's signature with the stamped PDF,
    countersign, return for changes, revoke, terminate."""
    p = project_get(request.user, pk)
    t = PROJECT.transition(request.POST.get("action", ""))
    if t is None:
        messages.error(request, _("未知操作。"))
        return redirect("portal:project_detail", pk=p.pk)
    form = StepForm(request.POST, request.FILES, transition=t)
    status = 400
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            p = services.project_transition(
                actor=acting_user(request),
                project=p,
                action=t.action,
                comment=form.cleaned_data.get("comment") or "",
                lock_version=form.cleaned_data["lock_version"],
                filename=(upload.name or "") if upload else "",
                content=upload.read() if upload else None,
            )
        except YongkeError as e:
            problems = e.detail.get("problems") if isinstance(e.detail, dict) else None
            if problems:
                for problem in problems:
                    form.add_error(None, problem)
            else:
                place_simple(form, e, STEP_LABELS)
            status = e.status
        else:
            messages.success(request, _("已办理「%(step)s」：%(state)s。") % {"step": t.label, "state": p.state_label})
            return redirect("portal:project_detail", pk=p.pk)
    p = project_get(request.user, pk)
    return render(request, "portal/projects/detail.html", detail_context(request, p, step=form), status=status)


@roles_required(Role.ORG_ADMIN, Role.OFFICER, Role.SYSADMIN)
@require_POST
def project_bank_account(request: HttpRequest, pk: int) -> HttpResponse:
    """The account the project's unit receives its grant in (`bank_account_set`): only its masked number is shown back."""
    p = project_get(request.user, pk)
    form = BankAccountForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            account = org_services.bank_account_set(actor=acting_user(request), organisation=p.organisation, **form.cleaned_data)
        except YongkeError as e:
            place_simple(form, e, BANK_LABELS)
            status = e.status
        else:
            messages.success(request, _("已登记收款账户：%(bank)s %(number)s。") % {"bank": account.bank, "number": account.number_masked})
            return redirect(reverse("portal:project_detail", args=[p.pk]) + "#bank-h")
    return render(request, "portal/projects/detail.html", detail_context(request, p, bank_form=form), status=status)


@roles_required()
def task_book_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 任务书 as a PDF to print, sign, stamp and upload (`projects.pdf.task_book_pdf`)."""
    p = project_get(request.user, pk)
    content = project_pdf.task_book_pdf(actor=acting_user(request), project=p)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="renwushu-{p.number}.pdf"'
    return response


@roles_required()
def project_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """A project's file (the stamped task book, a change's attachment) for whoever may see the project."""
    p = project_get(request.user, pk)
    f = project_file_get(project=p, pk=file_id)
    return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.filename, content_type=f.content_type)


# --------------------------------------------------------------------------- the unit's lists and change requests


def direction_names(projects: list[Project]) -> dict[tuple[int, str], str]:
    """(guide version, direction) → the direction's name; the versions come with the projects."""
    names: dict[tuple[int, str], str] = {}
    for p in projects:
        key = (p.guide_version_id, p.direction)
        if key not in names:
            d = next((d for d in compiled_for(p.guide_version).guide.directions if d.id == p.direction), None)
            names[key] = d.name if d else ""
    return names


def deadline_text(p: Project) -> str:
    """The signing deadline as people write it in Beijing time ("2026-12-31 24:00")."""
    return workdays.format_deadline(p.sign_by) if p.sign_by else ""


def project_rows(projects: list[Project]) -> list[dict[str, Any]]:
    names = direction_names(projects)
    return [
        {"project": p, "direction_name": names.get((p.guide_version_id, p.direction), ""), "sign_by": deadline_text(p)} for p in projects
    ]


@roles_required(*APPLICANT_ROLES)
def my_projects(request: HttpRequest) -> HttpResponse:
    """The projects of the user's own organisations (not those seen through another role)."""
    qs = projects_visible_to(request.user).filter(organisation__in=scope(request).organisations).order_by("-created_at", "-id")
    page = paginate(request, qs)
    return render(request, "portal/projects/my_projects.html", {"page": page, "rows": project_rows(list(page.object_list))})


CHANGE_LABELS = {
    "payload.ends_on": gettext_lazy("延期后的结束日期"),
    "payload.leader": gettext_lazy("新项目负责人"),
    "payload.leader_phone": gettext_lazy("新负责人联系电话"),
    "payload.organisation": gettext_lazy("新承担单位"),
    "payload.budget": gettext_lazy("经费预算"),
    "payload.content": gettext_lazy("研究内容"),
    "payload": gettext_lazy("变更内容"),
    "reasons": gettext_lazy("变更理由"),
    "indicators": gettext_lazy("考核指标"),
}


@roles_required(*APPLICANT_ROLES)
def change_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A change request: the kind (chosen first), the reasons, what is asked for and attachments."""
    p = project_get(request.user, pk)
    kind = request.POST.get("kind") or request.GET.get("kind") or ChangeRequest.Kind.EXTENSION
    if kind not in ChangeRequest.Kind.values:
        kind = ChangeRequest.Kind.EXTENSION
    content = task_book_content(p)
    people = people_visible_to(request.user).filter(organisation=p.organisation).exclude(pk=p.leader_id).order_by("name")
    data = request.POST if request.method == "POST" else None
    form = ChangeRequestForm(data, request.FILES or None, kind=kind, project=p, content=content, people=people)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            labels = {**CHANGE_LABELS, **{n: f.label for n, f in compiled_for(p.guide_version).guide.facts.items()}}
            try:
                cr = services.change_request_create(
                    actor=acting_user(request),
                    project=p,
                    kind=kind,
                    reasons=form.cleaned_data["reasons"],
                    payload=form.payload(),
                    files=form.uploads(),
                )
            except YongkeError as e:
                if not form.place(e, labels):
                    form.add_error(None, error_text(e, labels=labels))
                status = e.status
            else:
                messages.success(
                    request,
                    _("已提交变更申请第 %(n)d 号（%(kind)s），待推荐单位出具意见。") % {"n": cr.number, "kind": cr.get_kind_display()},
                )
                return redirect(reverse("portal:project_detail", args=[p.pk]) + "#changes-h")
        else:
            messages.error(request, _("请更正标出的错误后再提交。"))
    ctx = {
        "project": p,
        "form": form,
        "kind": kind,
        "kind_label": ChangeRequest.Kind(kind).label,
        "kinds": ChangeRequest.Kind.choices,
        "rows": form.target_rows(),
        "rule": project_rules.rules().sources.get(kind, ""),
    }
    return render(request, "portal/projects/change_new.html", ctx, status=status)


@roles_required(*APPLICANT_ROLES)
@require_POST
def change_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    cr = change_get(request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请勾选「确认撤回这项变更申请」后再撤回。"))
    else:
        try:
            cr = services.change_request_withdraw(actor=acting_user(request), change=cr)
        except YongkeError as e:
            flash(request, e)
        else:
            messages.success(request, _("已撤回变更申请第 %(n)d 号。") % {"n": cr.number})
    return redirect(reverse("portal:project_detail", args=[cr.project_id]) + "#changes-h")

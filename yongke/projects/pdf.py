"""The 任务书 as a PDF (WeasyPrint): A4 with the margins of GB/T 9704 (37 mm at the top, 28 mm
on the binding side, a 156 × 225 mm text block), set in Debian's Noto CJK fonts like the 申报书
(`yongke.applications.pdf`).

It prints the task book as it now stands (`selectors.task_book_content`, what every signed
version and amendment keeps): the cover with the signing state, 一、考核指标 beside the guide's
verbatim clauses, 二、经费预算 with the matching-fund re-check at the approved amount, 三、进度安排,
四、参与单位与人员, 五、拨款计划 (and what was paid), 六、变更记录 (each amendment, what it changed from
and to), and the boxes for the two seals with the dates they were signed.

`task_book_pdf` is the read: whoever may see the project (else not found), and a reader
outside the project's unit is recorded in the audit log, as `application_pdf` does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from yongke.accounts.actors import Actor
from yongke.accounts.selectors import scope_of
from yongke.applications.pdf import shown, yuan
from yongke.applications.proposal import BUDGET_LABELS
from yongke.audit.services import audit_record
from yongke.core import workdays
from yongke.core.regions import RECOMMENDING_UNITS
from yongke.guide.model import Fact, Guide
from yongke.guide.selectors import compiled_for
from yongke.projects import taskbook
from yongke.projects.models import ChangeRequest, Project, TaskBookVersion
from yongke.projects.selectors import project_get, task_book_content, version_diff, versions_of

AUTHORITY = "南宁市科学技术局"  # the 主管部门 that countersigns every task book of the city's plan

# The sections of a task book as `version_diff` names them, for an amendment that has no change request.
SECTION_LABELS = {
    "title": "项目名称",
    "content": "研究内容",
    "starts_on": "项目开始日期",
    "ends_on": "项目结束日期",
    "leader": "项目负责人",
    "organisation": "承担单位",
    "indicators": "考核指标",
    "milestones": "进度安排",
    "budget": "经费预算",
    "partners": "合作单位",
    "team": "项目组成员",
    "tranches": "拨款计划",
}


def _day(value: dt.date | dt.datetime | str | None) -> str:
    """A date (or the day of a time, in Beijing) as the task book writes it: 2027年1月1日."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    assert isinstance(value, dt.date)
    return f"{value.year}年{value.month}月{value.day}日"


def _value(value: Any, fact: Fact | None, unit: str = "") -> str:
    """A target or a promise with its unit: a count "3 件", money "50,000,000 元", a yes/no 是/否."""
    text = shown(value, fact)
    if fact is None and unit and text != "—":
        return f"{text} {unit}"
    return text


def _indicators(content: dict[str, Any], guide: Guide) -> list[dict[str, Any]]:
    rows = []
    for ind in content["indicators"]:
        facts = []
        for t in ind["targets"]:
            fact = guide.facts.get(t["fact"])
            facts.append(
                {"label": t["label"], "target": _value(t["target"], fact, t["unit"]), "promised": _value(t["promised"], fact, t["unit"])}
            )
        if ind["source"] == "extra":
            target = ind.get("target_value")
            facts.append({"label": ind["label"], "target": _value(target, None, ind["unit"]), "promised": "—"})
        rows.append({"label": ind["label"], "clause": ind["clause"], "extra": ind["source"] == "extra", "facts": facts})
    return rows


def _matching(project: Project, content: dict[str, Any]) -> list[dict[str, str]]:
    """Every matching-fund rule of the direction, re-checked at the approved amount and the task
    book's 自筹经费 (the failing ones are `content["matching"]`)."""
    failing = {m["rule"] for m in content["matching"]}
    return [
        {"message": cr.rule.message, "source": cr.rule.source, "result": "不符合" if cr.rule.id in failing else "符合"}
        for cr in taskbook.amount_rules(compiled_for(project.guide_version), project.direction)
    ]


def _stage_targets(targets: dict[str, Any], guide: Guide) -> str:
    parts = [f"{guide.facts[n].label if n in guide.facts else n}：{shown(v, guide.facts.get(n))}" for n, v in targets.items()]
    return "；".join(parts) or "—"


def _budget_line(old: dict[str, Any] | None) -> str:
    if old is None:
        return "—"
    return f"财政 {yuan(old['fiscal'])}，自筹 {yuan(old['self_raised'])}"


def _person(side: dict[str, Any]) -> str:
    """A leader as a change names them: the name, and the phone when it was recorded."""
    name, phone = side.get("leader_name") or "—", side.get("leader_phone")
    return f"{name}（{phone}）" if phone else name


def _indicator_items(cr: ChangeRequest, labels: dict[str, str], guide: Guide) -> list[dict[str, str]]:
    items = []
    before = cr.before.get("indicators") or {}
    for pk, after in (cr.payload.get("indicators") or {}).items():
        was = before.get(pk) or {}
        for name in after:
            if was.get(name) != after[name]:
                fact = guide.facts.get(name)
                what = f"{labels.get(str(pk), '考核指标')}：{fact.label if fact else name}"
                items.append({"what": what, "before": shown(was.get(name), fact), "after": shown(after[name], fact)})
    return items


def _change_items(cr: ChangeRequest, labels: dict[str, str], guide: Guide) -> list[dict[str, str]]:
    """What an approved change request changed, from what to what, as the officer approved it."""
    was, now = cr.before, cr.payload
    kind = cr.kind
    if kind == ChangeRequest.Kind.EXTENSION:
        return [{"what": "项目结束日期", "before": _day(was.get("ends_on")), "after": _day(now.get("ends_on"))}]
    if kind == ChangeRequest.Kind.LEADER:
        return [{"what": "项目负责人", "before": _person(was), "after": _person(now)}]
    if kind == ChangeRequest.Kind.LEAD_UNIT:
        return [
            {"what": "承担单位", "before": was.get("organisation_name", "—"), "after": now.get("organisation_name", "—")},
            {"what": "项目负责人", "before": _person(was), "after": _person(now)},
        ]
    if kind == ChangeRequest.Kind.TARGETS:
        items = []
        if "content" in now:
            items.append({"what": "研究内容", "before": was.get("content") or "—", "after": now["content"]})
        return items + _indicator_items(cr, labels, guide)
    if kind == ChangeRequest.Kind.BUDGET:
        old = {b["category"]: b for b in was.get("budget") or []}
        new = {b["category"]: b for b in now.get("budget") or []}
        return [
            {"what": BUDGET_LABELS.get(c, c), "before": _budget_line(old.get(c)), "after": _budget_line(new.get(c))}
            for c in [*old, *(c for c in new if c not in old)]
            if _budget_line(old.get(c)) != _budget_line(new.get(c))
        ]
    if kind == ChangeRequest.Kind.TERMINATION:
        return [{"what": "项目状态", "before": "执行中", "after": "已终止（停止后续拨款，清算经费）"}]
    return []


def _amendments(project: Project, content: dict[str, Any], guide: Guide) -> list[dict[str, Any]]:
    """Each amendment (version 1, 2, …): its number, date, kind and what it changed."""
    labels = {str(i["id"]): i["label"] for i in content["indicators"]}
    return [_amendment(v, previous, labels, guide) for previous, v in itertools.pairwise(versions_of(project))]


def _amendment(v: TaskBookVersion, previous: TaskBookVersion, labels: dict[str, str], guide: Guide) -> dict[str, Any]:
    cr = v.change
    if cr is None:  # an amendment made without a change request: the sections that differ
        items = [
            {"what": SECTION_LABELS.get(d["section"], d["section"]), "before": "见上一版本", "after": "已修改"}
            for d in version_diff(previous.content, v.content)
        ]
        return {"number": v.number, "date": _day(v.created_at), "kind": "任务书变更", "items": items, "change": None}
    return {
        "number": v.number,
        "date": _day(cr.decided_at or v.created_at),
        "kind": cr.get_kind_display(),
        "items": _change_items(cr, labels, guide),
        "change": {
            "number": cr.number,
            "requested": _day(cr.requested_at),
            "reasons": cr.reasons,
            "opinion": ("同意" if cr.opinion_agrees else "不同意") + (f"：{cr.opinion}" if cr.opinion else ""),
            "decision": cr.decision_comment or "同意",
        },
    }


def _signing(project: Project) -> dict[str, str]:
    """The signing state as the cover states it."""
    state = str(project.state_label)
    if project.state == "drafting":
        note = "任务书编制中（草稿，尚未发送签订）"
    elif project.state == "signing" and project.unit_signed_at is None:
        deadline = workdays.format_deadline(project.sign_by) if project.sign_by else "—"
        note = f"待承担单位签订（签订截止 {deadline}，北京时间）"
    elif project.state == "signing":
        note = f"承担单位已于 {_day(project.unit_signed_at)} 签订，待主管部门签订"
    else:
        parts = []
        if project.unit_signed_at:
            parts.append(f"承担单位 {_day(project.unit_signed_at)} 签订")
        if project.countersigned_at:
            parts.append(f"主管部门 {_day(project.countersigned_at)} 签订")
        note = "；".join(parts) or "未签订"
        if project.ended_at and project.state in ("terminated", "revoked"):
            note += f"；{state}于 {_day(project.ended_at)}"
    return {
        "state": state,
        "note": note,
        "unit_signed": _day(project.unit_signed_at) if project.unit_signed_at else "",
        "countersigned": _day(project.countersigned_at) if project.countersigned_at else "",
    }


def _tranches(project: Project, content: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    payments = list(project.payments.select_related("tranche").order_by("paid_on", "id"))
    paid: dict[int, int] = {}
    for pay in payments:
        paid[pay.tranche.order] = paid.get(pay.tranche.order, 0) + pay.amount
    plan = [
        {
            "order": t["order"],
            "label": t["label"],
            "amount": yuan(t["amount"]),
            "condition": t["condition_label"],
            "paid": yuan(paid.get(t["order"], 0)),
        }
        for t in content["tranches"]
    ]
    made = [
        {"date": _day(p.paid_on), "tranche": f"第{p.tranche.order}期 {p.tranche.label}", "amount": yuan(p.amount), "voucher": p.voucher}
        for p in payments
    ]
    return plan, made


def context(project: Project) -> dict[str, Any]:
    """What the 任务书 shows, read once, as the project now stands."""
    content = task_book_content(project)
    guide = compiled_for(project.guide_version).guide
    direction = guide.direction(project.direction)
    programme = next((p for p in guide.programmes if direction.project in p.projects), None)
    total = content["budget_total"]
    plan, made = _tranches(project, content)
    return {
        "project": project,
        "c": content,
        "guide": guide,
        "direction": direction,
        "programme": programme,
        "authority": AUTHORITY,
        "recommending_unit": RECOMMENDING_UNITS.get(project.recommending_unit, project.recommending_unit or "—"),
        "period": f"{_day(project.starts_on)} 至 {_day(project.ends_on)}",
        "signing": _signing(project),
        "indicators": _indicators(content, guide),
        "budget": [
            {
                "label": b["label"],
                "fiscal": yuan(b["fiscal"]),
                "self_raised": yuan(b["self_raised"]),
                "total": yuan(b["fiscal"] + b["self_raised"]),
                "basis": b["basis"],
            }
            for b in content["budget"]
        ],
        "budget_fiscal": yuan(total["fiscal"]),
        "budget_self": yuan(total["self_raised"]),
        "budget_total": yuan(total["fiscal"] + total["self_raised"]),
        "approved": yuan(project.approved_amount),
        "matching": _matching(project, content),
        "matching_problems": content["matching"],
        "milestones": [
            {"due_on": _day(m["due_on"]), "title": m["title"], "targets": _stage_targets(m["targets"], guide)}
            for m in content["milestones"]
        ],
        "partners": [{**p, "budget": yuan(p["budget"])} for p in content["partners"]],
        "team": content["team"],
        "tranches": plan,
        "payments": made,
        "amendments": _amendments(project, content, guide),
        "printed_at": timezone.localtime(),
    }


def render_task_book_html(project: Project) -> str:
    # The 任务书 is a Chinese document whatever language the reader's pages are in.
    with override("zh-hans"):
        return render_to_string("projects/task_book.html", context(project))


def render_task_book_pdf(project: Project) -> bytes:
    from weasyprint import HTML  # imported when a PDF is made: it loads Pango

    pdf = HTML(string=render_task_book_html(project)).write_pdf()
    assert pdf is not None  # written to no target, the PDF comes back as bytes
    return pdf


def task_book_pdf(*, actor: Actor, project: Project) -> bytes:
    """The 任务书 as a PDF, for whoever may see the project (else not found). A reader outside
    the project's unit (an officer, the recommending unit, finance) is recorded in the audit log."""
    p = project_get(actor, project.pk)
    content = render_task_book_pdf(p)
    if p.organisation_id not in scope_of(actor).organisations:
        audit_record(
            actor=actor,
            action="task_book_pdf",
            target_type="project",
            target_id=p.pk,
            data={"size": len(content), "state": p.state, "amendment": p.amendment},
        )
    return content

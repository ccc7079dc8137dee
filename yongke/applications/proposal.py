"""The 申报书's parts, checked: the project period against the call's limits, the leader's
phone, the budget lines against the requested and self-raised amounts, the 合作单位 by their
统一社会信用代码, the attachment categories a direction asks for, and what a submission needs.

Reads and checks only; `yongke.applications.services` writes. Every refusal names the part
by the label people see (a budget line by its category, a document by its label).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yongke.applications.models import BudgetCategory
from yongke.core.errors import BadInput, Refused
from yongke.core.workdays import add_months as add_months  # the period limit counts months
from yongke.guide.model import Document, Guide
from yongke.orgs.validators import check_uscc

if TYPE_CHECKING:
    from yongke.applications.models import Application, Call
    from yongke.guide.model import Direction

# Attachment categories every application may carry besides its direction's documents.
GENERAL_KINDS: dict[str, str] = {
    "application_form": "申报书（签字盖章扫描件）",
    "other": "其他材料",
}
BUDGET_LABELS: dict[str, str] = dict(BudgetCategory.choices)
MAX_YUAN = 10**12  # no amount of a 申报书 is above a trillion yuan

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def _yuan(n: int) -> str:
    return f"{n:,} 元"


# --------------------------------------------------------------------------- attachment categories


def kind_label(guide: Guide, kind: str) -> str:
    """The label an attachment category is shown by (a free-text category as it was typed)."""
    document = guide.documents.get(kind)
    if document is not None:
        return document.label
    return GENERAL_KINDS.get(kind, kind)


def normalise_kind(guide: Guide, kind: str) -> str:
    """A category given by its key or by its label, as its key; free text stays as typed."""
    kind = kind.strip()
    if kind in guide.documents or kind in GENERAL_KINDS:
        return kind
    for key, document in guide.documents.items():
        if document.label == kind:
            return key
    return next((key for key, label in GENERAL_KINDS.items() if label == kind), kind)


def attachment_kinds(guide: Guide, direction: Direction) -> list[tuple[str, str]]:
    """(key, label) of the categories an upload to this direction offers: its documents, then the general ones."""
    out: dict[str, str] = {}
    for _rule, document in guide.documents_for(direction):
        if document is not None:
            out.setdefault(document.key, document.label)
    out.update(GENERAL_KINDS)
    return list(out.items())


def missing_documents(guide: Guide, direction: Direction, kinds: Iterable[str]) -> list[Document]:
    """The documents required at submission of which no attachment is in force, in the rules' order."""
    have = set(kinds)
    out: dict[str, Document] = {}
    for _rule, document in guide.documents_for(direction):
        if document is not None and document.required_at_submission and document.key not in have:
            out.setdefault(document.key, document)
    return list(out.values())


# --------------------------------------------------------------------------- period and phone


def clean_phone(raw: str) -> str:
    """A mobile number (11 digits) or a landline with its area code (0771-5551234); '' when not given."""
    value = re.sub(r"[\s()（）]", "", str(raw or "")).replace("－", "-").replace("—", "-")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    digits = value.replace("-", "")
    if digits.isdigit() and _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(value):
        return value
    raise BadInput(
        "项目负责人联系电话格式不正确：请填写11位手机号码，或带区号的固定电话（如 0771-5551234）/ not a phone number",
        detail={"field": "leader_phone"},
    )


def check_period(call: Call, starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    """Start and end given together, the end after the start, within the call's limits."""
    if starts_on is None and ends_on is None:
        return
    if starts_on is None or ends_on is None:
        field = "starts_on" if starts_on is None else "ends_on"
        raise BadInput("项目实施期须同时填写开始日期和结束日期 / give both dates", detail={"field": field})
    if ends_on <= starts_on:
        raise BadInput("项目结束日期须晚于开始日期 / the end must be after the start", detail={"field": "ends_on"})
    limit = call.max_period_months
    if limit is not None and ends_on >= add_months(starts_on, limit):
        raise BadInput(
            f"项目实施期不能超过 {limit} 个月（本批次规定），{starts_on.isoformat()} 开始的项目最迟于 "
            f"{(add_months(starts_on, limit) - dt.timedelta(days=1)).isoformat()} 结束 / the period is too long",
            detail={"field": "ends_on", "max_months": limit},
        )
    if call.period_ends_by is not None and ends_on > call.period_ends_by:
        raise BadInput(
            f"项目结束日期不能晚于 {call.period_ends_by.isoformat()}（本批次规定）/ ends too late",
            detail={"field": "ends_on", "ends_by": call.period_ends_by.isoformat()},
        )


# --------------------------------------------------------------------------- budget


@dataclass(frozen=True)
class BudgetRow:
    category: str
    fiscal: int
    self_raised: int
    basis: str = ""

    @property
    def label(self) -> str:
        return BUDGET_LABELS[self.category]


def _line_amount(value: Any, label: str, part: str, field: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_YUAN:
        raise BadInput(f"经费预算「{label}」的{part}应为非负整数（元）/ whole yuan, not negative", detail={"field": field})
    return value


def clean_budget(lines: Iterable[Mapping[str, Any]]) -> list[BudgetRow]:
    """Budget lines as given ({category, fiscal, self_raised, basis, total?}) checked: a standard
    category once each, whole yuan, and a line's 合计 (when given) equal to its two parts. Lines
    with nothing in them are dropped; the rows come back in the table's order."""
    rows: dict[str, BudgetRow] = {}
    for i, line in enumerate(lines):
        category = str(line.get("category") or "")
        if category not in BUDGET_LABELS:
            raise BadInput(f"经费预算第 {i + 1} 行：预算科目不是标准科目 / unknown category", detail={"field": f"budget[{i}].category"})
        label = BUDGET_LABELS[category]
        if category in rows:
            raise BadInput(f"经费预算「{label}」重复填写 / a category appears twice", detail={"field": f"budget.{category}"})
        fiscal = _line_amount(line.get("fiscal"), label, "财政资助", f"budget.{category}.fiscal")
        own = _line_amount(line.get("self_raised"), label, "自筹经费", f"budget.{category}.self_raised")
        total = line.get("total")
        if total not in (None, "") and _line_amount(total, label, "合计", f"budget.{category}.total") != fiscal + own:
            raise BadInput(
                f"经费预算「{label}」不平衡：合计 {_yuan(int(total))} ≠ 财政资助 {_yuan(fiscal)} + 自筹经费 {_yuan(own)}"
                " / the line does not add up",
                detail={"field": f"budget.{category}.total", "category": category},
            )
        basis = str(line.get("basis") or "").strip()
        if fiscal or own or basis:
            rows[category] = BudgetRow(category, fiscal, own, basis)
    order = {c: i for i, c in enumerate(BUDGET_LABELS)}
    return sorted(rows.values(), key=lambda r: order[r.category])


def check_budget_balance(rows: Iterable[Any], *, requested: int, self_raised: int) -> None:
    """The budget's 合计 row equals the application's 申请财政资助 and 自筹经费 (rows: anything with
    `fiscal` and `self_raised`)."""
    rows = list(rows)
    fiscal = sum(r.fiscal for r in rows)
    own = sum(r.self_raised for r in rows)
    if fiscal != requested:
        raise BadInput(
            f"经费预算「合计」的财政资助 {_yuan(fiscal)}，与申请财政资助 {_yuan(requested)}不一致 / the budget does not add up",
            detail={"field": "budget.total.fiscal", "budget": fiscal, "requested_amount": requested},
        )
    if own != self_raised:
        raise BadInput(
            f"经费预算「合计」的自筹经费 {_yuan(own)}，与自筹经费 {_yuan(self_raised)}不一致 / the budget does not add up",
            detail={"field": "budget.total.self_raised", "budget": own, "self_raised_amount": self_raised},
        )


# --------------------------------------------------------------------------- partners


@dataclass(frozen=True)
class PartnerRow:
    uscc: str
    name: str
    tasks: str = ""
    budget: int = 0


def clean_partners(lines: Iterable[Mapping[str, Any]], *, applicant_uscc: str) -> list[PartnerRow]:
    """合作单位 as given ({uscc, name, tasks, budget}): a valid 统一社会信用代码 each, not the
    applicant's own, none twice; rows with nothing in them are dropped."""
    out: list[PartnerRow] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        raw, name = str(line.get("uscc") or "").strip(), str(line.get("name") or "").strip()
        tasks = str(line.get("tasks") or "").strip()
        if not (raw or name or tasks or line.get("budget")):
            continue
        where = f"合作单位第 {i + 1} 行" + (f"（{name}）" if name else "")
        verdict = check_uscc(raw)
        if not verdict.valid:
            raise BadInput(
                f"{where}：统一社会信用代码无效，{verdict.reason}", detail={"field": f"partners[{i}].uscc", "rule": verdict.code}
            )
        if verdict.value == applicant_uscc:
            raise BadInput(
                f"{where}：申报单位本身不是合作单位 / the applicant is not its own partner", detail={"field": f"partners[{i}].uscc"}
            )
        if verdict.value in seen:
            raise BadInput(f"{where}：同一合作单位重复填写 / a partner appears twice", detail={"field": f"partners[{i}].uscc"})
        seen.add(verdict.value)
        if not name:
            raise BadInput(f"{where}：须填写合作单位名称 / name required", detail={"field": f"partners[{i}].name"})
        budget = line.get("budget") or 0
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0 or budget > MAX_YUAN:
            raise BadInput(f"{where}：分配经费应为非负整数（元）/ whole yuan", detail={"field": f"partners[{i}].budget"})
        out.append(PartnerRow(verdict.value, name, tasks, budget))
    return out


def check_partner_shares(rows: Iterable[Any], *, total: int) -> None:
    """What the partners receive fits in the project's whole budget."""
    shared = sum(r.budget for r in rows)
    if shared > total:
        raise BadInput(
            f"合作单位分配经费合计 {_yuan(shared)} 超过项目总经费 {_yuan(total)}（申请财政资助与自筹经费之和）/ shares exceed the budget",
            detail={"field": "partners", "shared": shared, "total": total},
        )


# --------------------------------------------------------------------------- what a submission needs


def check_complete(app: Application, guide: Guide) -> None:
    """A submission's 申报书 is complete: every document required at submission is attached;
    a 前资助 application names an ID-verified leader of its own organisation with a phone,
    the project period and a budget that adds up. Refused naming the first thing missing."""
    direction = guide.direction(app.direction)
    missing = missing_documents(guide, direction, app.attachments.current().values_list("kind", flat=True))
    if missing:
        labels = "、".join(f"「{d.label}」" for d in missing)
        raise Refused(
            f"缺少提交时必须上传的证明材料：{labels}，请在「附件」中上传后再提交 / a required document is missing",
            code="document_missing",
            detail={"documents": [d.key for d in missing], "labels": [d.label for d in missing]},
        )
    if app.funding != "pre":
        return
    _check_pre_complete(app)


def _incomplete(message: str, field: str) -> Refused:
    return Refused(message + " / the application form is incomplete", code="incomplete", detail={"field": field})


def _check_pre_complete(app: Application) -> None:
    if app.leader is None:
        raise _incomplete("申报书不完整：请指定项目负责人（须为本单位已登记身份证号码的人员）", "leader")
    if app.leader.organisation_id != app.organisation_id:
        raise _incomplete(f"项目负责人{app.leader.name}不是本单位登记的人员", "leader")
    if not app.leader_phone:
        raise _incomplete("申报书不完整：请填写项目负责人联系电话", "leader_phone")
    if app.starts_on is None or app.ends_on is None:
        raise _incomplete("申报书不完整：请填写项目实施期（开始和结束日期）", "starts_on")
    check_period(app.call, app.starts_on, app.ends_on)
    lines = list(app.budget_lines.all())
    if not lines:
        raise _incomplete("申报书不完整：请填写经费预算明细", "budget")
    check_budget_balance(lines, requested=app.requested_amount, self_raised=app.self_raised_amount)

"""A call's projects as one Excel workbook, for the officers and finance: 项目 (each project with
its money), 考核指标 (one row per indicator fact), 拨款 (every payment with its voucher) and 合计
(the call's ledger totals and budgets). Only the projects the reader may see
(`selectors.call_ledger`); the totals are the sums of the rows. Amounts are whole yuan, as
numbers; dates are Excel dates.

Every cell goes through the one Excel writer's cell (`yongke.core.xlsx`), so a title typed as
``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.applications.models import Call
from yongke.audit.services import PERSONAL_DATA_EXPORT, audit_record
from yongke.core import workdays
from yongke.core.errors import BadInput
from yongke.core.xlsx import Column, Sheet, write_sheets
from yongke.guide.model import Guide
from yongke.guide.selectors import compiled_for
from yongke.projects.models import Indicator, Payment, Project
from yongke.projects.selectors import call_ledger

YUAN = "#,##0"
DATE = "yyyy-mm-dd"


PROJECT_COLUMNS = [
    Column("序号", 6),
    Column("项目编号", 14),
    Column("项目名称", 40),
    Column("申报方向", 30),
    Column("承担单位", 32),
    Column("项目负责人", 10),
    Column("状态", 10),
    Column("立项金额（元）", 14, YUAN),
    Column("已拨付（元）", 14, YUAN),
    Column("待拨付（元）", 14, YUAN),
    Column("停拨（元）", 14, YUAN),
    Column("应退回（元）", 14, YUAN),
    Column("已退回（元）", 14, YUAN),
    Column("任务书签订截止", 18),
    Column("现行变更序号", 12),
]
MONEY_FIELDS = ("granted", "paid", "outstanding", "stopped", "due_back", "recovered")

INDICATOR_COLUMNS = [
    Column("项目编号", 14),
    Column("考核指标", 48),
    Column("考核内容", 40),
    Column("单位", 8),
    Column("申报书承诺值", 16),
    Column("任务书规定值", 16),
    Column("指南原文", 60),
]

PAYMENT_COLUMNS = [
    Column("项目编号", 14),
    Column("项目名称", 40),
    Column("期次", 6),
    Column("拨款名称", 16),
    Column("凭证号", 20),
    Column("拨付日期", 12, DATE),
    Column("金额（元）", 14, YUAN),
    Column("收款账户", 24),
    Column("开户银行", 24),
    Column("户名", 32),
]

TOTAL_COLUMNS = [Column("事项", 36), Column("金额（元）", 18, YUAN)]
TOTAL_LABELS = {
    "granted": "立项金额合计",
    "paid": "已拨付合计",
    "outstanding": "待拨付合计",
    "stopped": "停拨合计（终止、撤销项目未拨部分）",
    "due_back": "应退回合计",
    "recovered": "已退回合计",
    "net": "净拨付（已拨付 − 已退回）",
}


def _direction(guide: Guide, code: str) -> str:
    try:
        return f"{code} {guide.direction(code).name}"
    except BadInput:  # a direction the guide does not name still shows its code
        return code


def _cell_value(value: Any) -> Any:
    """A target or a promise as a cell: a number as itself, a yes/no as 是/否, nothing as empty."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _project_rows(rows: list[dict[str, Any]], guide: Guide) -> list[list[Any]]:
    out = []
    for n, r in enumerate(rows, start=1):
        p: Project = r["project"]
        ledger = r["ledger"]
        out.append(
            [
                n,
                p.number,
                p.title,
                _direction(guide, p.direction),
                p.organisation.name,
                p.leader.name,
                str(p.state_label),
                *(getattr(ledger, f) for f in MONEY_FIELDS),
                workdays.format_deadline(p.sign_by) if p.sign_by else "",
                p.amendment,
            ]
        )
    return out


def _indicator_rows(projects: list[Project], guide: Guide) -> list[list[Any]]:
    indicators = Indicator.objects.filter(project__in=projects).select_related("project").order_by("project__number", "order", "id")
    out: list[list[Any]] = []
    for ind in indicators:
        if ind.source == Indicator.Source.EXTRA:
            target = ind.target_value
            out.append([ind.project.number, ind.label, ind.label, ind.unit, None, target, "（任务书补充指标）"])
            continue
        for name, target in ind.targets.items():
            fact = guide.facts.get(name)
            label = fact.label if fact is not None else name
            unit = (fact.unit or "") if fact is not None else ind.unit
            promised = ind.promised.get(name)
            out.append([ind.project.number, ind.label, label, unit, _cell_value(promised), _cell_value(target), ind.clause])
    return out


def _payment_rows(projects: list[Project]) -> list[list[Any]]:
    payments = Payment.objects.filter(project__in=projects).select_related("project", "tranche").order_by("paid_on", "id")
    return [
        [
            pay.project.number,
            pay.project.title,
            pay.tranche.order,
            pay.tranche.label,
            pay.voucher,
            pay.paid_on,
            pay.amount,
            pay.account_masked,
            pay.account_bank,
            pay.account_name,
        ]
        for pay in payments
    ]


def _total_rows(ledger: dict[str, Any]) -> list[list[Any]]:
    totals = ledger["total"].as_dict()
    rows: list[list[Any]] = [[TOTAL_LABELS[k], totals[k]] for k in TOTAL_LABELS]
    for b in ledger["budgets"]:
        rows += [
            [f"批次预算「{b['key']}」", b["budget"]],
            [f"批次预算「{b['key']}」已立项（本表项目）", b["approved"]],
            [f"批次预算「{b['key']}」结余", b["left"]],
        ]
    return rows


def call_projects_xlsx(*, actor: Actor, call: Call) -> bytes:
    """The call's projects that `actor` may see, as a workbook of four sheets: 项目, 考核指标, 拨款, 合计.
    It names each project's leader: one audit entry `export.personal_data` per workbook, for
    every face (API, portal, `yongke project export`), from the web request's address."""
    ledger = call_ledger(actor, call)
    guide = compiled_for(call.guide_version).guide
    projects = [r["project"] for r in ledger["rows"]]
    stamp = f"（导出于 {timezone.localtime().strftime('%Y-%m-%d %H:%M')}，北京时间）"
    payments = _payment_rows(projects)
    total = ledger["total"]
    buf = io.BytesIO()
    write_sheets(
        buf,
        [
            Sheet(
                "项目",
                PROJECT_COLUMNS,
                _project_rows(ledger["rows"], guide),
                title=f"{call.name} 项目台账{stamp}",
                totals=["合计", f"{len(projects)} 项", "", "", "", "", "", *(getattr(total, f) for f in MONEY_FIELDS), "", ""],
            ),
            Sheet("考核指标", INDICATOR_COLUMNS, _indicator_rows(projects, guide), title=f"{call.name} 考核指标{stamp}"),
            Sheet(
                "拨款",
                PAYMENT_COLUMNS,
                payments,
                title=f"{call.name} 拨款记录{stamp}",
                totals=["合计", f"{len(payments)} 笔", "", "", "", "", sum(r[6] for r in payments), "", "", ""],
            ),
            Sheet("合计", TOTAL_COLUMNS, _total_rows(ledger), title=f"{call.name} 经费合计{stamp}"),
        ],
    )
    audit_record(
        actor=actor,
        action=PERSONAL_DATA_EXPORT,
        target_type="call",
        target_id=call.pk,
        data={"format": "xlsx", "rows": len(projects), "fields": ["leader_name"]},
    )
    return buf.getvalue()

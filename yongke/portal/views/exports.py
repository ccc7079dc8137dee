"""Excel exports of the portal, all through the one writer (`yongke.core.xlsx.write_table`, which
neutralises formula-like text): every officer / recommender / finance queue as filtered on its
page, the recommending unit's 推荐汇总表 and the 公示 workbook. Each sheet has a title row,
the header, the rows and a totals row; amounts are numbers in 万元, times and dates real
Excel dates.

A workbook that names people (the queues and the 公示 workbook: 项目负责人) leaves one audit
entry `export.personal_data`; the 推荐汇总表 names organisations only and is not audited."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from yongke.accounts.models import Role
from yongke.applications.reports import recommendation_summary
from yongke.applications.selectors import applications_filtered, calls_visible_to, supported
from yongke.applications.workflow import WORKFLOWS
from yongke.audit.services import PERSONAL_DATA_EXPORT, audit_record
from yongke.core.directions import direction_order
from yongke.core.regions import RECOMMENDING_UNITS
from yongke.core.workdays import last_day
from yongke.core.xlsx import Column, write_table
from yongke.portal.views.common import annotate_directions, roles_required, scope
from yongke.portal.views.queues import _filtered
from yongke.publicity.selectors import period_of, with_publicity

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WAN = "#,##0.00##"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"


def _asked(a) -> int | None:
    """What an application asks: a 前资助 request, or a 后补助 claim's quoted amount (never the 0 it requests)."""
    return a.requested_amount if a.funding == "pre" else a.quoted_amount


def _wan(yuan: int | None) -> float | None:
    return None if yuan is None else round(yuan / 10_000, 4)


def _local(ts: dt.datetime | None) -> dt.datetime | None:
    """An aware time as Beijing wall-clock time (Excel keeps no time zone)."""
    return timezone.localtime(ts).replace(tzinfo=None) if ts else None


def _funding(a: Any) -> str:
    return "后补助" if a.funding == "post" else "前资助"


def _workbook(
    *, filename: str, sheet: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], totals: Sequence[Any]
) -> HttpResponse:
    buf = io.BytesIO()
    write_table(buf, sheet=sheet, title=title, columns=columns, rows=rows, totals=totals)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"export-{stamp}.xlsx\"; filename*=UTF-8''{quote(f'{filename}-{stamp}.xlsx')}"
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


def _personal_data_exported(request: HttpRequest, *, target_type: str, target_id: Any, rows: int, fields: list[str]) -> None:
    """The audit entry of a workbook that names people (issue 14: exports of personal data):
    who, from which address (the request's, kept by the audit middleware), what and how many rows."""
    audit_record(
        actor=request.user,  # roles_required: a signed-in user
        action=PERSONAL_DATA_EXPORT,
        target_type=target_type,
        target_id=target_id,
        data={"format": "xlsx", "rows": rows, "fields": fields},
    )


# --------------------------------------------------------------------------- the queues

QUEUE_COLUMNS = [
    Column("序号", 6),
    Column("申报批次", 26),
    Column("项目名称", 40),
    Column("申报单位", 32),
    Column("统一社会信用代码", 22),
    Column("项目负责人", 10),
    Column("申报方向", 30),
    Column("推荐单位", 18),
    Column("资助方式", 10),
    Column("状态", 16),
    Column("申请金额（万元）", 14, WAN),
    Column("立项/核定金额（万元）", 14, WAN),
    Column("提交时间（北京时间）", 18, DATETIME),
]


def _queue_response(request: HttpRequest, qs: Any, *, title: str, filename: str, queue: str) -> HttpResponse:
    """A queue as a workbook; it names each project's leader (项目负责人), so it is audited."""
    apps = annotate_directions(request.user, qs)
    rows = [
        [
            i,
            a.call.name,
            a.title,
            a.organisation.name,
            a.organisation.uscc,
            a.leader.name if a.leader else "",
            f"{a.direction} {a.direction_name}",
            a.organisation.recommending_unit_name,
            _funding(a),
            str(a.state_label),
            _wan(_asked(a)),
            _wan(a.decided_amount),
            _local(a.submitted_at),
        ]
        for i, a in enumerate(apps, start=1)
    ]
    requested = sum(_asked(a) or 0 for a in apps)
    decided = sum(a.decided_amount or 0 for a in apps)
    totals = ["合计", f"{len(apps)} 项", "", "", "", "", "", "", "", "", _wan(requested), _wan(decided), None]
    response = _workbook(
        filename=filename, sheet=title, title=f"{title}（导出于 {_stamp()}，北京时间）", columns=QUEUE_COLUMNS, rows=rows, totals=totals
    )
    _personal_data_exported(request, target_type="application_queue", target_id=queue, rows=len(rows), fields=["leader_name"])
    return response


@roles_required(Role.OFFICER)
def officer_queue_export(request: HttpRequest) -> HttpResponse:
    """The officer's queue of one (funding, state), with the page's filters."""
    funding = request.GET.get("funding", "pre")
    if funding not in WORKFLOWS:
        funding = "pre"
    wf = WORKFLOWS[funding]
    state = request.GET.get("state", "recommended" if funding == "pre" else "claimed")
    if state not in wf.states:
        state = wf.initial
    qs = _filtered(request, funding=funding, state=state).order_by("submitted_at", "id")
    label = f"{'后补助' if funding == 'post' else '前资助'}·{wf.state_label(state)}"
    return _queue_response(request, qs, title=f"业务办理队列 {label}", filename=f"业务办理-{label}", queue=f"officer:{funding}:{state}")


RECOMMEND_TABS = {"submitted": "待推荐", "recommended": "已推荐", "not_recommended": "未推荐", "all": "全部"}


@roles_required(Role.RECOMMENDER)
def recommend_queue_export(request: HttpRequest) -> HttpResponse:
    """The recommending unit's queue of one tab, with the page's filters."""
    state = request.GET.get("state", "submitted")
    if state not in RECOMMEND_TABS:
        state = "submitted"
    qs = _filtered(request, state=None if state == "all" else state).order_by("submitted_at", "id")
    label = RECOMMEND_TABS[state]
    return _queue_response(request, qs, title=f"推荐审核队列 {label}", filename=f"推荐审核-{label}", queue=f"recommend:{state}")


@roles_required(Role.FINANCE)
def finance_export(request: HttpRequest) -> HttpResponse:
    """Finance's list of decided and paid applications, with the page's filters."""
    qs = supported(_filtered(request)).order_by("state", "-updated_at", "id")
    return _queue_response(request, qs, title="资金拨付清单", filename="资金拨付清单", queue="finance")


# --------------------------------------------------------------------------- 推荐汇总表

SUMMARY_COLUMNS = [
    Column("序号", 6),
    Column("单位名称", 34),
    Column("统一社会信用代码", 22),
    Column("项目名称", 40),
    Column("方向", 30),
    Column("申请金额（万元）", 14, WAN),
    Column("推荐意见", 30),
]


@roles_required(Role.RECOMMENDER, Role.OFFICER)
def recommend_summary_export(request: HttpRequest) -> HttpResponse:
    """推荐汇总表 of a recommending unit (default: the recommender's own), optionally of one call."""
    mine = sorted(scope(request).units)
    unit = request.GET.get("unit") or (mine[0] if mine else "")
    call_id = int(request.GET["call"]) if request.GET.get("call", "").isdigit() else None
    apps = annotate_directions(request.user, recommendation_summary(request.user, unit=unit, call_id=call_id))
    rows = [
        [
            i,
            a.organisation.name,
            a.organisation.uscc,
            a.title,
            f"{a.direction} {a.direction_name}",
            _wan(_asked(a)),
            (a.recommend_comment or "").strip() or "同意推荐",
        ]
        for i, a in enumerate(apps, start=1)
    ]
    totals = ["合计", f"{len(apps)} 项", "", "", "", _wan(sum(_asked(a) or 0 for a in apps)), ""]
    unit_name = RECOMMENDING_UNITS.get(unit, unit)
    call = calls_visible_to(request.user).filter(pk=call_id).first() if call_id else None
    title = f"{unit_name}{call.name if call else ''}推荐汇总表"
    return _workbook(filename=title, sheet="推荐汇总表", title=title, columns=SUMMARY_COLUMNS, rows=rows, totals=totals)


# --------------------------------------------------------------------------- 公示

PUBLICITY_COLUMNS = [
    Column("序号", 6),
    Column("项目名称", 40),
    Column("申报单位", 32),
    Column("统一社会信用代码", 22),
    Column("项目负责人", 10),
    Column("申报方向", 30),
    Column("推荐单位", 18),
    Column("资助方式", 10),
    Column("金额（万元）", 14, WAN),
    Column("公示开始", 12, DATE),
    Column("公示截止（当日24:00）", 14, DATE),
    Column("公示期（工作日）", 10),
]


@roles_required(Role.OFFICER)
def publicity_export(request: HttpRequest) -> HttpResponse:
    """The 公示 list of the officer's programmes (optionally of one call) as an Excel workbook."""
    call_id = int(request.GET["call"]) if request.GET.get("call", "").isdigit() else None
    qs = applications_filtered(user := request.user, state="published", call=call_id).order_by("call_id", *direction_order(), "id")
    apps = annotate_directions(user, with_publicity(qs))
    rows = []
    for i, a in enumerate(apps, start=1):
        period = period_of(a)
        rows.append(
            [
                i,
                a.title,
                a.organisation.name,
                a.organisation.uscc,
                a.leader.name if a.leader else "",
                f"{a.direction} {a.direction_name}",
                a.organisation.recommending_unit_name,
                _funding(a),
                _wan(a.decided_amount or 0),
                period.starts_on if period else None,
                last_day(a.objection_ends_at) if a.objection_ends_at else None,
                period.working_days if period else None,
            ]
        )
    totals = ["合计", f"{len(apps)} 项", "", "", "", "", "", "", _wan(sum(a.decided_amount or 0 for a in apps)), None, None, None]
    call = calls_visible_to(user).filter(pk=call_id).first() if call_id else None
    title = f"{call.name}拟支持项目公示名单" if call else "南宁市科技计划拟支持项目公示名单"
    response = _workbook(filename="公示名单", sheet="公示名单", title=title, columns=PUBLICITY_COLUMNS, rows=rows, totals=totals)
    # The leader's name is in the workbook, not on the public 公示 page: the export is audited.
    _personal_data_exported(request, target_type="publicity_list", target_id=call_id or "*", rows=len(rows), fields=["leader_name"])
    return response

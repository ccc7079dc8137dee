"""The portfolio at a glance: every project the caller may see with its indicators, money and
risks, the sums by programme, direction, district and year, and each indicator fact's targets
against its actuals (`projects.portfolio.portfolio`), and the same as a workbook
(`portfolio_xlsx`). For officers, finance, auditors and admins; others get 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from yongke.api.auth import actor
from yongke.api.schemas import ERRORS, Code, PageQuery, cursor_unsupported
from yongke.projects.portfolio import FactTotal, Flag, Group, Row, filters_from, portfolio, portfolio_xlsx

router = Router(tags=["portfolio"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Rate = Field(description="已完成 ÷ 考核指标（0–1；无考核指标时为空）/ completed ÷ contracted, 0..1")


class PortfolioFilter(Schema):
    programme: Code | None = Field(None, description="专项编号 / programme")
    direction: Code | None = Field(None, description="申报方向编号 / direction")
    district: Code | None = Field(None, description="承担单位注册地（GB/T 2260）/ the lead unit's district")
    year: int | None = Field(None, ge=2000, le=2100, description="项目所属申报批次的开始年份 / the year the project's call opened")
    state: Code | None = Field(None, description="项目状态 / project state")


class PortfolioQuery(PortfolioFilter, PageQuery):
    """The filters, and the page of rows (the aggregates are over every row)."""


class FlagOut(Schema):
    code: str = Field(description="milestone_missed | midterm_overdue | final_overdue | rectification_overdue | acceptance_overdue")
    label: str
    due_on: dt.date = Field(description="应完成日期 / the day it was due")
    detail: str = Field(description="阶段目标名称等 / e.g. the milestone's title")


class FactValueOut(Schema):
    fact: str
    target: int | float = Field(description="任务书规定值 / the task book's target")
    actual: int | float | None = Field(description="最近一次已提交报告的实际完成值 / the latest submitted report's actual")


class PortfolioRowOut(Schema):
    id: int
    number: str
    title: str
    organisation: str
    programme: str
    programme_name: str
    direction: str
    direction_name: str
    district: str
    district_name: str
    year: int
    state: str
    state_label: str
    contracted: int = Field(description="考核指标数 / indicators contracted")
    completed: int = Field(description="最近一次已提交报告核验通过的指标数 / indicators passed in the latest submitted report")
    completion_rate: float | None = Rate
    reported: bool = Field(description="有已提交的报告 / a submitted report gives actuals")
    granted: int = Field(description="立项金额（元）/ yuan")
    paid: int = Field(description="已拨付（元）")
    due_back: int = Field(description="应退回（元）")
    recovered: int = Field(description="已退回（元，按到账凭证）/ by receipts")
    at_risk: bool
    flags: list[FlagOut]
    facts: list[FactValueOut] = Field(description="数值型指标事实的目标与实际 / numeric facts' targets and actuals")


class GroupOut(Schema):
    key: str
    name: str
    projects: int
    contracted: int
    completed: int
    completion_rate: float | None = Rate
    granted: int
    paid: int
    due_back: int
    recovered: int
    at_risk: int = Field(description="风险项目数 / projects at risk")


class FactTotalOut(Schema):
    fact: str
    label: str
    unit: str
    projects: int = Field(description="有该指标目标的项目数 / projects with a target for it")
    reported: int = Field(description="其中报告了实际完成值的项目数 / of those, projects reporting an actual")
    target: int | float
    actual: int | float
    rate: float | None = Field(description="实际 ÷ 目标 / actual ÷ target")


class OptionOut(Schema):
    key: str
    name: str


class FiltersOut(Schema):
    programme: str
    direction: str
    district: str
    year: int | None
    state: str


class RowsPage(Schema):
    items: list[PortfolioRowOut]
    count: int
    page: int
    page_size: int


class PortfolioOut(Schema):
    as_of: dt.date = Field(description="统计日（北京时间）/ the day of the figures")
    filters: FiltersOut
    totals: GroupOut = Field(description="各行之和 / the sum of the rows")
    by_programme: list[GroupOut]
    by_direction: list[GroupOut]
    by_district: list[GroupOut]
    by_year: list[GroupOut]
    facts: list[FactTotalOut] = Field(description="各指标事实：目标合计与实际合计 / each fact: targets and actuals summed")
    options: dict[str, list[OptionOut]] = Field(description="各筛选项可选的值 / the values each filter may take")
    rows: RowsPage


def _flag(f: Flag) -> dict[str, Any]:
    return {"code": f.code, "label": f.label, "due_on": f.due_on, "detail": f.detail}


ROW_FIELDS = (
    "id",
    "number",
    "title",
    "organisation",
    "programme",
    "programme_name",
    "direction",
    "direction_name",
    "district",
    "district_name",
    "year",
    "state",
    "state_label",
    "contracted",
    "completed",
    "completion_rate",
    "reported",
    "granted",
    "paid",
    "due_back",
    "recovered",
    "at_risk",
)


def _row(r: Row) -> dict[str, Any]:
    return {
        **{k: getattr(r, k) for k in ROW_FIELDS},
        "flags": [_flag(f) for f in r.flags],
        "facts": [{"fact": name, "target": target, "actual": r.actuals.get(name)} for name, target in r.targets.items()],
    }


def _group(g: Group) -> dict[str, Any]:
    names = ("key", "name", "projects", "contracted", "completed", "completion_rate", "granted", "paid", "due_back", "recovered", "at_risk")
    return {k: getattr(g, k) for k in names}


def _fact(f: FactTotal) -> dict[str, Any]:
    return {k: getattr(f, k) for k in ("fact", "label", "unit", "projects", "reported", "target", "actual", "rate")}


@router.get("/portfolio", response={200: PortfolioOut, **ERRORS}, summary="项目绩效看板：指标、经费与风险 / the portfolio at a glance")
def portfolio_get(request: HttpRequest, query: Query[PortfolioQuery]):
    if query.cursor:
        raise cursor_unsupported()  # the rows are pages of a computed list: by number only
    p = portfolio(actor(request), filters_from(query.model_dump(exclude={"page", "page_size", "cursor"}, exclude_none=True)))
    start = (query.page - 1) * query.page_size
    return {
        "as_of": p.as_of,
        "filters": p.filters.as_dict(),
        "totals": _group(p.totals),
        **{f"by_{dim}": [_group(g) for g in groups] for dim, groups in p.groups.items()},
        "facts": [_fact(f) for f in p.facts],
        "options": {dim: [{"key": k, "name": n} for k, n in values] for dim, values in p.options.items()},
        "rows": {
            "items": [_row(r) for r in p.rows[start : start + query.page_size]],
            "count": len(p.rows),
            "page": query.page,
            "page_size": query.page_size,
        },
    }


@router.get(
    "/portfolio.xlsx",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "项目、按专项、按方向、按区县、按年度、指标完成与风险项目七张工作表 / seven sheets, one per table",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="项目绩效看板 Excel（调用者可见的项目）/ the portfolio as a workbook",
)
def portfolio_workbook(request: HttpRequest, query: Query[PortfolioFilter]):
    content = portfolio_xlsx(actor(request), filters_from(query.model_dump(exclude_none=True)))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="portfolio.xlsx"'
    return response

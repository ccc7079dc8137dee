"""The portfolio at a glance (`projects.portfolio`): filters, charts each beside the table it
draws (the table is the truth; ECharts, served locally, draws it from the page's JSON), the
projects at risk linking to their pages, and the same tables as a workbook."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy

from yongke.core.errors import BadInput
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, flash, roles_required
from yongke.projects.portfolio import PORTFOLIO_ROLES, FactTotal, Filters, Group, filters_from, portfolio, portfolio_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AT_RISK_SHOWN = 200  # the page lists this many projects at risk; the workbook has them all
FILTER_LABELS = {
    "year": gettext_lazy("年度"),
    "state": gettext_lazy("状态"),
    "programme": gettext_lazy("专项"),
    "direction": gettext_lazy("申报方向"),
    "district": gettext_lazy("区县"),
}


def _labels() -> dict[str, str]:
    return {k: str(v) for k, v in FILTER_LABELS.items()}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _figure(value: int | float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _group(g: Group) -> dict[str, Any]:
    return {"g": g, "pct": _pct(g.completion_rate)}


def _fact(f: FactTotal) -> dict[str, Any]:
    return {"f": f, "target": _figure(f.target), "actual": _figure(f.actual), "pct": _pct(f.rate)}


def _chart_rows(groups: list[Group]) -> list[dict[str, Any]]:
    return [
        {
            "name": g.name or g.key or "—",
            "contracted": g.contracted,
            "completed": g.completed,
            "rate": None if g.completion_rate is None else round(g.completion_rate * 100, 1),
            "granted": g.granted,
            "paid": g.paid,
            "recovered": g.recovered,
            "projects": g.projects,
            "at_risk": g.at_risk,
        }
        for g in groups
    ]


def _filters(request: HttpRequest) -> tuple[Filters, BadInput | None]:
    try:
        return filters_from(request.GET), None
    except BadInput as e:
        return Filters(), e


@roles_required(*PORTFOLIO_ROLES)
def portfolio_page(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    if error is not None:
        flash(request, error, labels=_labels())
    p = portfolio(request.user, filters)
    data = {
        "labels": {
            "contracted": gettext("考核指标（项）"),
            "completed": gettext("已完成（项）"),
            "rate": gettext("完成率（%）"),
            "count": gettext("项"),
            "wan": gettext("万元"),
            "granted": gettext("立项金额（万元）"),
            "paid": gettext("已拨付（万元）"),
            "recovered": gettext("已退回（万元）"),
            "projects": gettext("项目数"),
            "at_risk": gettext("风险项目数"),
            "fact_rate": gettext("实际完成 ÷ 任务书目标（%）"),
        },
        "programme": _chart_rows(p.groups["programme"]),
        "direction": _chart_rows(p.groups["direction"]),
        "district": _chart_rows(p.groups["district"]),
        "year": _chart_rows(p.groups["year"]),
        "facts": [{"name": f.label, "rate": None if f.rate is None else round(f.rate * 100, 1)} for f in p.facts],
        "empty_text": gettext("暂无数据"),
    }
    at_risk = p.at_risk
    ctx = {
        "p": p,
        "filters": filters.as_dict(),
        "groups": {dim: [_group(g) for g in groups] for dim, groups in p.groups.items()},
        "totals": _group(p.totals),
        "facts": [_fact(f) for f in p.facts],
        "at_risk": at_risk[:AT_RISK_SHOWN],
        "at_risk_more": max(len(at_risk) - AT_RISK_SHOWN, 0),
        "query": request.GET.urlencode() if error is None else "",
        "data": data,
    }
    return render(request, "portal/portfolio/portfolio.html", ctx, status=400 if error is not None else 200)


@roles_required(*PORTFOLIO_ROLES)
def portfolio_export(request: HttpRequest) -> HttpResponse:
    """The portfolio as filtered on the page, as a workbook (`projects.portfolio.portfolio_xlsx`)."""
    filters, error = _filters(request)
    if error is not None:
        text = error_text(error, labels=_labels())
        return render(request, "portal/message.html", {"title": gettext("项目绩效看板"), "text": text}, status=400)
    content = portfolio_xlsx(acting_user(request), filters)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="portfolio.xlsx"'
    return response

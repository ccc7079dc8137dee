"""Dashboards (ECharts, served locally) and the 公示 export to Excel."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from yongke.accounts.models import Role
from yongke.applications import stats
from yongke.applications.selectors import applications_filtered, calls_visible_to
from yongke.applications.workflow import WORKFLOWS
from yongke.core.errors import NotFound
from yongke.guide.selectors import guide_for, guide_version_current
from yongke.orgs.validators import RECOMMENDING_UNITS
from yongke.portal.views.common import annotate_directions, roles_required

# GB/T 4754-2017 sections (门类).
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
    "": "未填行业",
}


ZONE_SHORT = {"GXQ": "高新区", "JKQ": "经开区", "DMJKQ": "东盟经开区"}


def _programme_names() -> dict[str, str]:
    try:
        return {p.id: p.name for p in guide_for(guide_version_current()).programmes}
    except NotFound:
        return {}


@roles_required(Role.OFFICER, Role.SYSADMIN, Role.AUDITOR, Role.FINANCE)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    counts = stats.queue_counts(user)
    order = {(f, st): i for i, (f, st) in enumerate((f, st) for f in ("pre", "post") for st in WORKFLOWS[f].states)}
    post = gettext("后补助")
    by_state = [
        {"name": f"{post + '·' if f == 'post' else ''}{WORKFLOWS[f].state_label(st)}", "n": n}
        for (f, st), n in sorted(counts.items(), key=lambda kv: order.get(kv[0], 999))
    ]
    names = _programme_names()
    by_programme = [{**r, "name": names.get(r["key"], r["key"] or "—")} for r in stats.totals_by(user, "programme")]
    by_unit = [{**r, "name": ZONE_SHORT.get(r["key"]) or RECOMMENDING_UNITS.get(r["key"], "南宁市外")} for r in stats.totals_by_unit(user)]
    by_industry = [{**r, "name": INDUSTRY_SECTIONS.get(r["key"], r["key"])} for r in stats.totals_by_industry_section(user)]
    calls = list(calls_visible_to(user).select_related(None).order_by("-opens_at"))
    budgets = [
        {
            "call": b["call"].name,
            "key": b["key"],
            "name": f"{'方向' if '.' in b['key'] else '项目'}{b['key']}",
            "budget": b["budget"],
            "decided": b["decided"],
        }
        for b in stats.budget_use(user, calls)
    ]
    submissions = [{"day": d.isoformat(), "n": n} for d, n in stats.submissions_by_day(user)]
    deadlines = [{"name": c.name, "day": timezone.localtime(c.closes_at).date().isoformat()} for c in calls]
    data: dict[str, Any] = {
        "by_state": by_state,
        "by_programme": by_programme,
        "by_unit": by_unit,
        "by_industry": by_industry,
        "budgets": budgets,
        "submissions": submissions,
        "deadlines": deadlines,
        "empty_text": gettext("暂无数据"),
    }
    totals = {
        "n": sum(r["n"] for r in by_programme),
        "requested": sum(r["requested"] for r in by_programme),
        "decided": sum(r["decided"] for r in by_programme),
    }
    return render(request, "portal/dashboard.html", {"data": data, "totals": totals})


@roles_required(Role.OFFICER)
def publicity_export(request: HttpRequest) -> HttpResponse:
    """The 公示 list of the officer's programmes as an Excel workbook."""
    from yongke.core.xlsx import Column, write_table

    apps = annotate_directions(user := request.user, applications_filtered(user, state="published").order_by("call_id", "direction", "id"))
    columns = [
        Column("序号", 6),
        Column("申报批次", 30),
        Column("项目名称", 40),
        Column("申报单位", 32),
        Column("统一社会信用代码", 22),
        Column("申报方向", 30),
        Column("推荐单位", 18),
        Column("资助方式", 10),
        Column("金额（万元）", 14, "0.00##"),
        Column("公示截止（北京时间）", 20),
    ]
    rows = [
        [
            i,
            a.call.name,
            a.title,
            a.organisation.name,
            a.organisation.uscc,
            f"{a.direction} {a.direction_name}",
            a.organisation.recommending_unit_name,
            "后补助" if a.funding == "post" else "前资助",
            round((a.decided_amount or 0) / 10_000, 4),
            timezone.localtime(a.objection_ends_at).strftime("%Y-%m-%d %H:%M") if a.objection_ends_at else "",
        ]
        for i, a in enumerate(apps, start=1)
    ]
    buf = io.BytesIO()
    write_table(buf, sheet="公示名单", columns=columns, rows=rows)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f"attachment; filename=\"publicity-{stamp}.xlsx\"; filename*=UTF-8''%E5%85%AC%E7%A4%BA%E5%90%8D%E5%8D%95-{stamp}.xlsx"
    )
    return response

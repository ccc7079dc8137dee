"""Dashboards (ECharts, served locally). The Excel exports are in `exports.py`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from yongke.accounts.models import Role
from yongke.applications import stats
from yongke.applications.selectors import calls_visible_to
from yongke.applications.workflow import WORKFLOWS
from yongke.core.errors import NotFound
from yongke.guide.selectors import guide_for, guide_version_current
from yongke.orgs.validators import RECOMMENDING_UNITS
from yongke.portal.views.common import roles_required

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


@roles_required(Role.OFFICER, Role.FINANCE)
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

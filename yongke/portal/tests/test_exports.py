"""The Excel exports: every queue as filtered on its page, the recommending unit's 推荐汇总表 and
the 公示 workbook — each with a title row, the header, real numbers and dates, and totals; a
formula-like organisation name stays text."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from yongke.applications import services
from yongke.portal.tests.conftest import an_application, portal_world
from yongke.testing import TEST, advance, make_application, make_application_in, make_org, make_person

BEIJING = ZoneInfo("Asia/Shanghai")
PUBLISHED = dt.datetime(2026, 9, 29, 10, 0, tzinfo=BEIJING)


def sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def values(ws):
    return list(ws.iter_rows(values_only=True))


@pytest.fixture
def world(db):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        return portal_world()


@pytest.fixture
def published(world):
    """An application of the world's organisation funded with 80万 and published on 2026-09-29."""
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application_in(
            "funded", world=world, leader=make_person(world.org, name="王负责"), amount=800_000, title="公示导出测试项目"
        )
    with time_machine.travel(PUBLISHED, tick=False):
        return advance(app, world, "publish")


# --------------------------------------------------------------------------- 公示


def test_the_publicity_workbook_has_a_title_the_leader_real_dates_and_a_total(client, world, published):
    client.force_login(world.officer)
    ws = sheet(client.get("/officer/publicity.xlsx"))
    rows = values(ws)
    assert rows[0][0] == "南宁市科技计划拟支持项目公示名单"
    header = rows[1]
    assert header[:5] == ("序号", "项目名称", "申报单位", "统一社会信用代码", "项目负责人")
    row = dict(zip(header, rows[2], strict=True))
    assert row["项目名称"] == "公示导出测试项目"
    assert row["项目负责人"] == "王负责"
    assert row["金额（万元）"] == 80
    assert row["公示开始"] == dt.datetime(2026, 9, 29)  # an Excel date, read back as a datetime
    assert row["公示截止（当日24:00）"] == dt.datetime(2026, 10, 12)  # the 5th working day, the 调休 Saturday counted
    assert row["公示期（工作日）"] == 5
    assert ws.cell(row=3, column=header.index("公示开始") + 1).is_date
    totals = dict(zip(header, rows[3], strict=True))
    assert totals["序号"] == "合计"
    assert totals["项目名称"] == "1 项"
    assert totals["金额（万元）"] == 80


def test_the_publicity_workbook_of_one_call_is_titled_by_the_call(client, world, published):
    client.force_login(world.officer)
    rows = values(sheet(client.get(f"/officer/publicity.xlsx?call={world.call.pk}")))
    assert rows[0][0] == f"{world.call.name}拟支持项目公示名单"


def test_a_formula_like_organisation_name_stays_text(client, world):
    org = make_org(district="450103", name='=HYPERLINK("http://evil.example","点我领补贴")')
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application(call=world.call, org=org, leader=make_person(org))
        for action in ("submit", "recommend"):
            app, _ = services.application_transition(actor=TEST, application=app, action=action)
    client.force_login(world.officer)
    ws = sheet(client.get("/officer/queue.xlsx?funding=pre&state=recommended"))
    header = [c.value for c in ws[2]]
    cell = ws.cell(row=3, column=header.index("申报单位") + 1)
    assert cell.value == org.name
    assert cell.data_type == "s"  # text, not a formula
    assert cell.quotePrefix is True


# --------------------------------------------------------------------------- queues


def test_the_officer_queue_exports_what_its_filters_show(client, world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        a = an_application(world, "recommended", title="队列导出甲")
        b = an_application(world, "recommended", title="队列导出乙")
    client.force_login(world.officer)
    page = client.get("/officer/queue/", {"funding": "pre", "state": "recommended", "q": "导出甲"}).content.decode()
    assert 'href="/officer/queue.xlsx?funding=pre&amp;state=recommended&amp;q=' in page
    rows = values(sheet(client.get("/officer/queue.xlsx", {"funding": "pre", "state": "recommended", "q": "导出甲"})))
    assert rows[0][0].startswith("业务办理队列 前资助·已推荐，待形式审查")
    titles = [r[2] for r in rows[2:-1]]
    assert titles == [a.title]
    assert b.title not in titles
    header, totals = rows[1], rows[-1]
    assert totals[0] == "合计"
    assert totals[header.index("申请金额（万元）")] == a.requested_amount / 10_000
    submitted = rows[2][header.index("提交时间（北京时间）")]
    assert isinstance(submitted, dt.datetime)


def test_the_recommend_queue_exports_only_the_units_jurisdiction(client, world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        mine = an_application(world, "submitted", title="本区待推荐")
        theirs = make_application_in("submitted", world=world, org=world.other_org, title="外区待推荐")
    client.force_login(world.recommender)
    rows = values(sheet(client.get("/recommend/queue.xlsx?state=submitted")))
    titles = [r[2] for r in rows[2:-1]]
    assert mine.title in titles
    assert theirs.title not in titles
    assert rows[-1][1] == "1 项"


def test_finance_exports_its_list(client, world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = an_application(world, "funded", title="拨付导出项目")
    client.force_login(world.finance)
    rows = values(sheet(client.get("/finance/list.xlsx")))
    assert rows[0][0].startswith("资金拨付清单")
    assert [r[2] for r in rows[2:-1]] == [app.title]
    assert rows[-1][rows[1].index("立项/核定金额（万元）")] == 80


# --------------------------------------------------------------------------- 推荐汇总表


def test_the_recommendation_summary_lists_what_the_unit_recommended_with_its_opinion(client, world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        first = make_application(call=world.call, org=world.org, user=world.applicant, title="推荐项目一", requested_amount=2_000_000)
        first, _ = services.application_transition(actor=world.applicant, application=first, action="submit")
        services.application_transition(actor=world.recommender, application=first, action="recommend", comment="材料齐全，同意推荐")
        second = an_application(world, "recommended", title="推荐项目二")
        waiting = an_application(world, "submitted", title="尚未推荐的项目")
    client.force_login(world.recommender)
    rows = values(sheet(client.get("/recommend/summary.xlsx")))
    assert rows[0][0] == "青秀区推荐汇总表"
    assert rows[1] == ("序号", "单位名称", "统一社会信用代码", "项目名称", "方向", "申请金额（万元）", "推荐意见")
    body = {r[3]: r for r in rows[2:-1]}
    assert set(body) == {first.title, second.title}
    assert waiting.title not in body
    assert body[first.title][1] == world.org.name
    assert body[first.title][2] == world.org.uscc
    assert body[first.title][4].startswith("1.1 ")
    assert body[first.title][5] == 200
    assert body[first.title][6] == "材料齐全，同意推荐"
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == "2 项"
    assert rows[-1][5] == 200 + second.requested_amount / 10_000


def test_a_recommender_exports_only_their_own_units_summary(client, world):
    client.force_login(world.recommender)
    assert client.get(f"/recommend/summary.xlsx?unit={world.other_org.recommending_unit}").status_code == 403
    assert client.get(f"/recommend/summary.xlsx?unit={world.org.recommending_unit}").status_code == 200


def test_an_officer_exports_any_units_summary_and_an_applicant_none(client, world):
    client.force_login(world.officer)
    rows = values(sheet(client.get(f"/recommend/summary.xlsx?unit={world.other_org.recommending_unit}")))
    assert rows[0][0] == "西乡塘区推荐汇总表"
    client.force_login(world.applicant)
    assert client.get("/recommend/summary.xlsx").status_code == 403
    assert client.get("/officer/queue.xlsx").status_code == 403
    assert client.get("/officer/publicity.xlsx").status_code == 403

"""The portfolio page (`portal:portfolio`): filters, a data table beside each chart, the
projects at risk linking to their pages, the workbook as filtered; for officers, finance and
auditors only; Chinese first, English on request; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yongke.projects import rules
from yongke.projects.tests.portfolio_helpers import add_projects, at, kept
from yongke.testing import build_world

pytestmark = pytest.mark.django_db
URL = "/office/portfolio/"


@pytest.fixture(scope="module")
def pw(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from kept(
        lambda: add_projects(build_world(directions=["1.1", "14.1"], officer_programmes=("1",))),
        django_db_blocker,
        str(tmp_path_factory.mktemp("media")),
    )


def page(client, user, query: str = "", **extra) -> tuple[int, str]:
    client.force_login(user)
    r = client.get(URL + query, **extra)
    return r.status_code, r.content.decode()


def found(pattern: str, text: str, group: int = 0) -> str:
    m = re.search(pattern, text, re.S)
    assert m is not None, pattern
    return m.group(group)


def table(html: str, id_: str) -> str:
    return found(rf'<table[^>]*id="{id_}".*?</table>', html)


def test_the_url_names(pw):
    assert reverse("portal:portfolio") == URL
    assert reverse("portal:portfolio_export") == "/office/portfolio.xlsx"


def test_an_officer_sees_their_programmes_projects_with_a_table_beside_each_chart(client, pw):
    status, html = page(client, pw.officer)
    assert status == 200
    assert "项目绩效看板" in html
    for chart in ("programme", "direction", "money", "district", "facts"):
        assert f'id="chart-{chart}"' in html
    for name in ("table-programme", "table-direction", "table-year", "table-district", "table-facts", "table-at-risk"):
        assert f'id="{name}"' in html
    programmes = table(html, "table-programme")
    assert 'data-key="1"' in programmes
    assert 'data-key="2"' not in programmes
    assert "vendor/echarts.min.js" in html
    assert "portal/portfolio.js" in html
    data = json.loads(found(r'<script id="portfolio-data" type="application/json">(.*?)</script>', html, 1))
    assert [r["contracted"] for r in data["programme"]] == [4]
    assert [r["completed"] for r in data["programme"]] == [1]


def test_the_menu_shows_the_portfolio_to_its_roles(client, pw):
    for who in ("officer", "finance"):
        assert 'href="/office/portfolio/"' in page(client, getattr(pw, who))[1], who
    client.force_login(pw.applicant)
    assert 'href="/office/portfolio/"' not in client.get("/my/projects/").content.decode()


@pytest.mark.parametrize("who", ["applicant", "org_admin", "recommender", "expert", "auditor", "sysadmin"])
def test_others_get_403(client, pw, who):
    assert page(client, getattr(pw, who))[0] == 403
    assert client.get("/office/portfolio.xlsx").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, pw):
    r = client.get(URL)
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_filters_narrow_the_tables_and_keep_their_values(client, pw):
    status, html = page(client, pw.finance, "?district=450107")
    assert status == 200
    assert 'data-key="450107"' in table(html, "table-district")
    assert 'data-key="450103"' not in table(html, "table-district")
    assert '<option value="450107" selected>' in html
    assert 'href="/office/portfolio.xlsx?district=450107"' in html


def test_a_bad_filter_is_a_400_with_the_reason(client, pw):
    status, html = page(client, pw.finance, "?year=soon")
    assert status == 400
    assert "年度" in html


def test_the_totals_row_is_the_sum_of_the_rows(client, pw):
    html = page(client, pw.finance)[1]
    t = table(html, "table-programme")
    body = found(r"<tbody>(.*?)</tbody>", t, 1)
    counts = [int(x) for x in re.findall(r'<tr data-key="[^"]*">\s*<th scope="row">[^<]*</th><td class="num">(\d+)</td>', body)]
    total = int(found(r'<tr class="total"><th scope="row">[^<]*</th><td class="num">(\d+)</td>', t, 1))
    assert counts == [2, 1]
    assert total == sum(counts) == 3


def test_projects_at_risk_link_to_their_pages_as_the_clock_moves(client, pw):
    assert "没有逾期的阶段目标、报告或验收" in page(client, pw.finance)[1]
    late = rules.acceptance_due(pw.a.ends_on, rules.postaward().acceptance_within_months) + dt.timedelta(days=1)
    with time_machine.travel(at(late), tick=False):
        html = page(client, pw.finance)[1]
    risks = table(html, "table-at-risk")
    assert f'href="/projects/{pw.a.pk}/"' in risks
    assert f'href="/projects/{pw.b.pk}/"' in risks
    assert f'data-project="{pw.c.pk}"' not in risks
    assert "逾期未完成验收" in risks
    assert "结题报告逾期未报送" in risks


def test_the_page_in_english(client, pw):
    html = page(client, pw.finance, HTTP_ACCEPT_LANGUAGE="en")[1]
    assert '<html lang="en">' in html
    assert all(word in html for word in ("Programme", "Direction", "Lead unit", "Amount granted", "Due back"))


def test_the_export_is_the_filtered_workbook_with_totals_of_its_rows(client, pw):
    client.force_login(pw.finance)
    r = client.get("/office/portfolio.xlsx?programme=1")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb["项目"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    data, total = [x for x in rows if x[0] != "合计"], next(x for x in rows if x[0] == "合计")
    assert sorted(x[1] for x in data) == sorted([pw.a.number, pw.c.number])
    assert total[12] == sum(x[12] for x in data) == 1_000_000
    assert client.get("/office/portfolio.xlsx?state=nope").status_code == 400


def test_the_page_costs_the_same_queries_for_one_project_as_for_all(client, pw):
    client.force_login(pw.finance)
    client.get(URL)  # warm
    counts = []
    for query in ("?programme=2", ""):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL + query).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 16, counts

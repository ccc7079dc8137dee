"""`GET /api/v1/portfolio` and `/api/v1/portfolio.xlsx`: typed rows and aggregates (the sums of
the rows), the same filters as the page, a page of rows, and who may ask."""

from __future__ import annotations

import io

import openpyxl
import pytest

from yongke.projects.tests.portfolio_helpers import add_projects, kept

A = "/api/v1"
MONEY = ("contracted", "completed", "granted", "paid", "due_back", "recovered")


@pytest.fixture(scope="module")
def pw(world, django_db_blocker, tmp_path_factory):
    yield from kept(lambda: add_projects(world), django_db_blocker, str(tmp_path_factory.mktemp("media")))


def get(api, role: str, query: str = ""):
    return api.as_(role).get(f"{A}/portfolio{query}")


def test_the_portfolio_with_its_rows_and_aggregates(api, pw):
    r = get(api, "finance", "?page_size=100")
    assert r.status_code == 200
    body = r.json()
    rows = body["rows"]["items"]
    assert body["rows"]["count"] == len(rows) == 3
    a = next(x for x in rows if x["id"] == pw.a.pk)
    assert (a["contracted"], a["completed"], a["completion_rate"], a["paid"]) == (2, 1, 0.5, 350_000)
    assert {"fact": "kpi_new_revenue", "target": 50_000_000, "actual": 30_000_000} in a["facts"]
    b = next(x for x in rows if x["id"] == pw.b.pk)
    assert (b["due_back"], b["recovered"], b["district"], b["district_name"]) == (100_000, 40_000, "450107", "西乡塘区")
    for name in MONEY:
        assert body["totals"][name] == sum(x[name] for x in rows)
    for dim in ("by_programme", "by_direction", "by_district", "by_year"):
        assert sum(g["projects"] for g in body[dim]) == len(rows)
        for name in MONEY:
            assert sum(g[name] for g in body[dim]) == body["totals"][name], (dim, name)
    revenue = next(f for f in body["facts"] if f["fact"] == "kpi_new_revenue")
    assert (revenue["target"], revenue["actual"], revenue["unit"]) == (110_000_000, 30_000_000, "元")


def test_the_filters_and_the_page_of_rows(api, pw):
    body = get(api, "finance", "?programme=2").json()
    assert [x["number"] for x in body["rows"]["items"]] == [pw.b.number]
    assert body["filters"]["programme"] == "2"
    assert body["totals"]["projects"] == 1
    assert [o["key"] for o in body["options"]["programme"]] == ["1", "2"]
    paged = get(api, "finance", "?page_size=1&page=2").json()
    assert (len(paged["rows"]["items"]), paged["rows"]["count"], paged["totals"]["projects"]) == (1, 3, 3)


@pytest.mark.parametrize(("query", "field"), [("?year=soon", "year"), ("?year=1999", "year"), ("?state=sleeping", "state")])
def test_a_bad_filter_is_a_400_naming_the_field(api, pw, query, field):
    r = get(api, "finance", query)
    assert r.status_code == 400
    assert r.json()["code"] == "bad_input"
    assert r.json()["detail"]["field"] == field


def test_an_officer_sees_their_programmes_only(api, pw):
    assert sorted(x["number"] for x in get(api, "officer").json()["rows"]["items"]) == sorted([pw.a.number, pw.c.number])
    assert [x["number"] for x in get(api, "other_officer").json()["rows"]["items"]] == [pw.b.number]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("org_admin", 403),
        ("applicant", 403),
        ("recommender", 403),
        ("expert", 403),
        ("officer", 200),
        ("finance", 200),
        ("auditor", 403),  # the auditor reads the audit log only
        ("sysadmin", 403),
    ],
)
def test_who_may_see_the_portfolio(api, pw, role, status):
    assert get(api, role).status_code == status
    assert api.as_(role).get(f"{A}/portfolio.xlsx").status_code == status


def test_the_workbook_is_the_filtered_portfolio(api, pw):
    r = api.as_("finance").get(f"{A}/portfolio.xlsx?district=450103")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = [[c.value for c in row] for row in wb["项目"].iter_rows(min_row=3)]
    data, total = [x for x in rows if x[0] != "合计"], next(x for x in rows if x[0] == "合计")
    assert sorted(x[1] for x in data) == sorted([pw.a.number, pw.c.number])
    assert total[13] == sum(x[13] for x in data) == 350_000


def test_the_operations_are_typed_in_the_openapi_document(api, pw):
    doc = api.get(f"{A}/openapi.json").json()
    ok = doc["paths"]["/api/v1/portfolio"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/PortfolioOut")
    params = {p["name"] for p in doc["paths"]["/api/v1/portfolio"]["get"]["parameters"]}
    assert {"programme", "direction", "district", "year", "state", "page", "page_size"} <= params
    assert (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        in (doc["paths"]["/api/v1/portfolio.xlsx"]["get"]["responses"]["200"]["content"])
    )


def test_the_portfolio_rows_page_by_number_and_refuse_a_cursor(client, db):
    from yongke.accounts.services import token_create
    from yongke.testing import make_user

    officer = make_user("officer", programme="*")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=officer, user=officer, name='t')}"}
    assert client.get("/api/v1/portfolio", **auth).status_code == 200
    r = client.get("/api/v1/portfolio?cursor=%7B%7D", **auth)
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == "cursor"

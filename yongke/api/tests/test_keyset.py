"""Lists walked by cursor (keyset pagination): every row once, in order, the last page as cheap as the first."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yongke.api.tests.test_applications import new_draft

A = "/api/v1"


def walk(client, url: str) -> tuple[list[int], int]:
    ids: list[int] = []
    pages = 0
    page = client.get(url).json()
    while True:
        pages += 1
        ids += [a["id"] for a in page["items"]]
        if page["next_cursor"] is None:
            return ids, pages
        page = client.get(f"{url}&cursor={page['next_cursor']}").json()


def test_the_cursor_walks_every_row_once_in_the_order_of_the_pages(api, world):
    for i in range(7):
        new_draft(api, world, title=f"游标项目{i}")
    mine = api.as_("applicant")
    by_number = [a["id"] for n in range(1, 6) for a in mine.get(f"{A}/applications?page_size=2&page={n}").json()["items"]]
    by_cursor, pages = walk(mine, f"{A}/applications?page_size=2")
    assert by_cursor == by_number  # newest first, the same rows as page numbers give
    assert len(by_cursor) == len(set(by_cursor)) == 9  # 7 new + draft A + submitted A
    assert pages == 5
    first = mine.get(f"{A}/applications?page_size=100").json()
    assert first["next_cursor"] is None
    assert first["count"] == 9


def test_a_cursor_page_reads_no_more_than_the_first_page(api, world):
    for i in range(6):
        new_draft(api, world, title=f"查询项目{i}")
    mine = api.as_("applicant")
    first = mine.get(f"{A}/applications?page_size=2").json()
    with CaptureQueriesContext(connection) as one:
        mine.get(f"{A}/applications?page_size=2")
    with CaptureQueriesContext(connection) as two:
        mine.get(f"{A}/applications?page_size=2&cursor={first['next_cursor']}")
    assert len(two.captured_queries) == len(one.captured_queries)
    page_sql = [q["sql"] for q in two.captured_queries if "LIMIT" in q["sql"] and "applications_application" in q["sql"]]
    assert page_sql
    assert all("OFFSET" not in sql for sql in page_sql)


def test_the_list_reads_only_what_it_shows(api, world):
    with CaptureQueriesContext(connection) as ctx:
        api.as_("applicant").get(f"{A}/applications?page_size=5")
    page_sql = next(q["sql"] for q in ctx.captured_queries if "LIMIT" in q["sql"] and "applications_application" in q["sql"])
    assert '"applications_application"."facts"' not in page_sql
    assert '"applications_application"."verdict"' not in page_sql


def test_a_forged_or_broken_cursor_is_bad_input_naming_the_cursor(api, world):
    mine = api.as_("applicant")
    for bad in ("!!!", "eyJ4IjoxfQ", "WyJ4IiwieSJd", "W10", "x" * 401):
        r = mine.get(f"{A}/applications?cursor={bad}")
        assert r.status_code in (400, 422), bad
        assert "cursor" in r.content.decode()

"""The portal's long lists walk by cursor: every row once, forwards and back, and a broken cursor
falls back to the first page instead of an error."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yongke.applications import services
from yongke.testing import ELIGIBLE_1_1, make_application, make_person

QUEUE = "/officer/queue/?funding=pre&state=recommended"


def _recommended(world, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        app = make_application(call=world.call, org=world.org, user=world.applicant, facts=ELIGIBLE_1_1, leader=make_person(world.org))
        app, _ = services.application_transition(actor=world.applicant, application=app, action="submit")
        app, _ = services.application_transition(actor=world.recommender, application=app, action="recommend")
        ids.append(app.pk)
    return ids


def _rows(html: str) -> list[int]:
    return [int(x) for x in dict.fromkeys(re.findall(r"/applications/(\d+)/\"", html))]


def _link(html: str, label: str) -> str | None:
    m = re.search(r'<a href="\?([^"]+)">' + label + "</a>", html)
    return m.group(1).replace("&amp;", "&") if m else None


def test_the_officer_queue_walks_by_cursor_forwards_and_back(client, world, monkeypatch):
    monkeypatch.setattr("yongke.portal.views.common.paginate.__defaults__", (3,))  # three rows a page
    expected = _recommended(world, 8)
    client.force_login(world.officer)
    html = client.get(QUEUE).content.decode()
    seen, pages = _rows(html), [_rows(html)]
    while (nxt := _link(html, "下一页")) is not None:
        assert "after=" in nxt
        html = client.get(f"/officer/queue/?{nxt}").content.decode()
        pages.append(_rows(html))
        seen += pages[-1]
    assert seen == expected  # in order of submission, each once
    assert [len(p) for p in pages] == [3, 3, 2]
    assert "第 3/3 页" in html
    prev = _link(html, "上一页")
    assert prev is not None
    assert "before=" in prev
    back = client.get(f"/officer/queue/?{prev}").content.decode()
    assert _rows(back) == pages[1]
    assert "第 2/3 页" in back


def test_a_cursor_page_seeks_instead_of_skipping(client, world, monkeypatch):
    monkeypatch.setattr("yongke.portal.views.common.paginate.__defaults__", (3,))
    _recommended(world, 5)
    client.force_login(world.officer)
    nxt = _link(client.get(QUEUE).content.decode(), "下一页")
    assert nxt is not None
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/officer/queue/?{nxt}").status_code == 200
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "applications_application"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listing
    assert all("OFFSET" not in sql for sql in listing)


def test_a_broken_cursor_shows_the_first_page(client, world):
    ids = _recommended(world, 2)
    client.force_login(world.officer)
    r = client.get(f"{QUEUE}&after=not-a-cursor&page=7")
    assert r.status_code == 200
    assert _rows(r.content.decode()) == ids

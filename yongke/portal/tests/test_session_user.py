"""The session's user is read in one query with what every page asks of it (portal.backends):
its role grants (its scope) and the header's unread count. No page reads either again, and
the header's count is the inbox's, as of the request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yongke.notifications.models import Notification
from yongke.portal.backends import PATH
from yongke.testing import make_org, make_user

pytestmark = pytest.mark.django_db


def _notify(user, n: int) -> None:
    for i in range(n):
        Notification.objects.create(user=user, kind="returned", template="t", key=f"k{i}", title=f"通知{i}", body="…")


def _own_reads(queries, table: str) -> list[str]:
    """The queries of `table` other than the session user's (whose subqueries name it too)."""
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and 'FROM "auth_user"' not in q["sql"]]


@pytest.fixture
def signed_in():
    user = make_user("applicant", organisation=make_org())
    client = Client()
    client.force_login(user, backend=PATH)
    return user, client


def test_a_page_reads_neither_the_grants_nor_the_unread_count_on_its_own(signed_in):
    user, client = signed_in
    _notify(user, 2)
    with CaptureQueriesContext(connection) as q:
        r = client.get("/my/applications/")
    assert r.status_code == 200
    assert _own_reads(q.captured_queries, "accounts_rolegrant") == []
    assert _own_reads(q.captured_queries, "notifications_notification") == []
    assert 'id="unread-count">2<' in r.content.decode()


@pytest.mark.parametrize("unread", [0, 1, 3])
def test_the_headers_count_is_the_inboxs(signed_in, unread):
    user, client = signed_in
    _notify(user, unread)
    Notification.objects.create(user=user, kind="returned", template="t", key="read", title="已读", body="…", read_at="2026-01-01T00:00Z")
    html = client.get("/my/applications/").content.decode()
    if unread:
        assert f'id="unread-count">{unread}<' in html
    else:
        assert 'id="unread-count"' not in html


def test_the_count_follows_a_mark_read_on_the_next_page(signed_in):
    user, client = signed_in
    _notify(user, 2)
    first = Notification.objects.filter(user=user).order_by("pk").first()
    r = client.post(f"/notifications/{first.pk}/read/", {"next": "/my/applications/"}, follow=True)
    assert 'id="unread-count">1<' in r.content.decode()
    r = client.post("/notifications/read-all/", {"next": "/my/applications/"}, follow=True)
    assert 'id="unread-count"' not in r.content.decode()


def test_another_users_notifications_are_not_counted(signed_in):
    _user, client = signed_in
    _notify(make_user("applicant", organisation=make_org()), 4)
    assert 'id="unread-count"' not in client.get("/my/applications/").content.decode()

"""The inbox, as the API and the portal show it: everyone sees their own notifications and
nobody else's; reading one marks it read; the header counts the unread."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from yongke.accounts.services import token_create
from yongke.core.errors import NotFound
from yongke.notifications.models import Notification, Preference
from yongke.notifications.selectors import notification_for, notifications_for, unread_count
from yongke.notifications.services import notification_mark_read, notifications_deliver
from yongke.notifications.tasks import NOTIFIER

A = "/api/v1"


def tell(*users, template: str = "returned", key: str = "e1", title: str = "示例项目"):
    """Deliver an event to the users (as the task does), returning each one's entry."""
    params = {"title": title, "direction": "1.1", "call": "测试批次", "comment": "补充材料"}
    event = {"template": template, "key": key, "to": {"users": [u.pk for u in users]}, "params": params, "link": "/applications/1/"}
    notifications_deliver(actor=NOTIFIER, events=[event])
    return [Notification.objects.get(user=u, key=key) for u in users]


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, user=user, name='tests')}"}


# --------------------------------------------------------------------------- selectors and services


def test_nobody_sees_anothers_notification(world):
    (mine,) = tell(world.applicant)
    assert list(notifications_for(world.stranger)) == []
    with pytest.raises(NotFound):
        notification_for(world.stranger, mine.pk)


def test_nobody_may_mark_anothers_notification_read(world):
    (mine,) = tell(world.applicant)
    with pytest.raises(NotFound):
        notification_mark_read(actor=world.stranger, notification=mine)
    mine.refresh_from_db()
    assert mine.read_at is None


def test_reading_one_lowers_the_unread_count(world):
    first, _ = tell(world.applicant, key="a")[0], tell(world.applicant, key="b")[0]
    assert unread_count(world.applicant) == 2
    notification_mark_read(actor=world.applicant, notification=first)
    assert unread_count(world.applicant) == 1


# --------------------------------------------------------------------------- the API


def test_the_api_lists_my_notifications_newest_first_with_the_unread_count(client, world):
    tell(world.applicant, key="a", title="甲项目")
    tell(world.applicant, key="b", title="乙项目", template="recommended")
    body = client.get(f"{A}/notifications", **bearer(world.applicant)).json()
    assert body["count"] == 2
    assert body["unread"] == 2
    assert [i["title"] for i in body["items"]] == ["申报已获推荐：乙项目", "申报需补正：甲项目"]
    assert body["items"][0]["kind"] == "recommendation"
    assert body["items"][0]["read_at"] is None
    assert body["items"][0]["link"] == "/applications/1/"


def test_the_api_shows_another_user_nothing_and_404_for_their_notification(client, world):
    (mine,) = tell(world.applicant)
    headers = bearer(world.stranger)
    assert client.get(f"{A}/notifications", **headers).json()["count"] == 0
    response = client.post(f"{A}/notifications/{mine.pk}/read", **headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_api_marks_one_read(client, world):
    (mine,) = tell(world.applicant)
    headers = bearer(world.applicant)
    response = client.post(f"{A}/notifications/{mine.pk}/read", **headers)
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    body = client.get(f"{A}/notifications", **headers).json()
    assert body["unread"] == 0
    assert client.get(f"{A}/notifications?unread=true", **headers).json()["count"] == 0


def test_the_api_needs_a_signed_in_user(client, world):
    (mine,) = tell(world.applicant)
    assert client.get(f"{A}/notifications").status_code == 401
    assert client.post(f"{A}/notifications/{mine.pk}/read").status_code == 401


def test_the_api_speaks_the_requests_language(client, world):
    tell(world.applicant, title="甲项目")
    body = client.get(f"{A}/notifications", HTTP_ACCEPT_LANGUAGE="en", **bearer(world.applicant)).json()
    assert body["items"][0]["title"] == "Correction requested: 甲项目"
    assert "Requirements: 补充材料" in body["items"][0]["body"]


def test_the_openapi_document_types_the_inbox(client, db):
    doc = client.get(f"{A}/openapi.json").json()
    assert {"/api/v1/notifications", "/api/v1/notifications/{notification_id}/read"} <= set(doc["paths"])
    assert "unread" in doc["components"]["schemas"]["InboxOut"]["properties"]


# --------------------------------------------------------------------------- the portal


def _unread_badge(html: str) -> str | None:
    m = re.search(r'id="unread-count">(\d+)<', html)
    return m.group(1) if m else None


def test_the_header_shows_the_unread_count(client, world):
    tell(world.applicant, key="a")
    tell(world.applicant, key="b")
    client.force_login(world.applicant)
    assert _unread_badge(client.get("/my/applications/").content.decode()) == "2"
    client.force_login(world.stranger)
    assert _unread_badge(client.get("/my/applications/").content.decode()) is None


def test_the_inbox_page_lists_and_marks_read(client, world):
    (n,) = tell(world.applicant, title="甲项目")
    client.force_login(world.applicant)
    page = client.get("/notifications/").content.decode()
    assert "申报需补正：甲项目" in page
    assert "补正要求：补充材料" in page
    response = client.post(f"/notifications/{n.pk}/read/", {"next": "/notifications/"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert _unread_badge(client.get("/notifications/").content.decode()) is None


def test_mark_all_read_clears_the_count(client, world):
    tell(world.applicant, key="a")
    tell(world.applicant, key="b")
    (others,) = tell(world.stranger, key="c")
    client.force_login(world.applicant)
    client.post("/notifications/read-all/")
    assert unread_count(world.applicant) == 0
    others.refresh_from_db()
    assert others.read_at is None


def test_the_portal_answers_404_for_anothers_notification(client, world):
    (n,) = tell(world.applicant)
    client.force_login(world.stranger)
    assert client.post(f"/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_the_inbox_needs_a_sign_in(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_inbox_reads_in_english(client, world):
    tell(world.applicant, title="甲项目")
    client.force_login(world.applicant)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Correction requested: 甲项目" in page


def test_the_preferences_page_switches_email_off_for_a_kind(client, world):
    client.force_login(world.applicant)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="returned-email" checked' in page
    kinds = ["returned", "recommendation", "formal_review", "invitation", "reminder", "decision", "published", "deadline"]
    form = {f"{k}-email": "on" for k in kinds if k != "returned"} | {f"{k}-sms": "on" for k in kinds}
    assert client.post("/notifications/preferences/", form).status_code == 302
    pref = Preference.objects.get(user=world.applicant, kind="returned")
    assert (pref.email, pref.sms) == (False, True)
    assert 'name="returned-email">' in client.get("/notifications/preferences/").content.decode()
    mail.outbox.clear()
    tell(world.applicant)
    assert mail.outbox == []
    assert Notification.objects.filter(user=world.applicant).count() == 1

"""The signed-in user's own notifications: the inbox and marking one read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from yongke.api.auth import actor
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Id, Page, PageQuery, local, paginate
from yongke.notifications import messages, services
from yongke.notifications.models import Notification
from yongke.notifications.selectors import notification_for, notifications_for, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="returned, recommendation, formal_review, invitation, reminder, decision, published, deadline")
    title: str = Field(description="按请求语言 / in the request's language")
    body: str
    link: str = Field(description="门户中的相关页面 / the page it is about")
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxOut(Page[NotificationOut]):
    unread: int = Field(description="未读总数 / unread in all")


class InboxQuery(PageQuery):
    unread: bool | None = Field(None, description="true：只列未读；false：只列已读 / only unread, or only read")


def notification_out(n: Notification) -> dict[str, Any]:
    title, body = messages.localized(n)
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": title,
        "body": body,
        "link": n.link,
        "created_at": local(n.created_at),
        "read_at": local(n.read_at),
    }


@router.get("/notifications", response={200: InboxOut, **ERRORS}, summary="我的通知（最新在前）/ my notifications, newest first")
def notifications_list(request: HttpRequest, query: Query[InboxQuery]):
    user = actor(request)
    page = paginate(notifications_for(user, unread=query.unread), query, notification_out)
    return {**page, "unread": unread_count(user)}


@router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="标为已读（只能是本人的通知）/ mark one of mine read",
)
def notifications_read(request: HttpRequest, notification_id: Id):
    user = actor(request)
    n = services.notification_mark_read(actor=user, notification=notification_for(user, notification_id))
    return notification_out(n)

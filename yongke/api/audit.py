"""The audit log: auditors and system admins read it; nobody writes to it through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from yongke.api.auth import actor
from yongke.api.schemas import ERRORS, Code, Page, PageQuery, Text, When, local, paginate
from yongke.applications.selectors import audit_events_visible_to
from yongke.audit.models import AuditEvent

router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    from_state: str
    to_state: str
    comment: str
    address: str | None
    data: dict[str, Any]


class AuditFilter(PageQuery):
    action: Code | None = None
    target_type: Code | None = None
    target_id: Code | None = None
    actor: Text | None = Field(None, max_length=150, description="用户名 / username")
    since: When | None = None
    until: When | None = None


def event_out(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": local(e.at),
        "actor": e.actor_name,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "comment": e.comment,
        "address": e.address,
        "data": e.data,
    }


@router.get("/audit", response={200: Page[AuditOut], **ERRORS}, summary="审计日志（审计人员、系统管理员）/ the audit log, auditors only")
def audit_list(request: HttpRequest, filters: Query[AuditFilter]):
    qs = audit_events_visible_to(actor(request))
    for name, lookup in (
        ("action", "action"),
        ("target_type", "target_type"),
        ("target_id", "target_id"),
        ("actor", "actor_name"),
        ("since", "at__gte"),
        ("until", "at__lt"),
    ):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    return paginate(qs.order_by("-at", "-id"), filters, event_out)

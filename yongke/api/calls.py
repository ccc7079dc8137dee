"""Calls for applications (申报批次) and the guide they open: public reads; officers open and close calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from yongke.api.auth import PUBLIC, PUBLIC_OPENAPI, actor
from yongke.api.schemas import ERRORS, MAX_COUNT, WRITE_ERRORS, Amount, Code, Flag, Id, Input, Page, PageQuery, Text, When, local, paginate
from yongke.applications import selectors, services
from yongke.applications.models import Call
from yongke.core.directions import sort_directions
from yongke.core.errors import NotFound
from yongke.guide import selectors as guide_selectors

router = Router(tags=["calls"])


class GuideRef(Schema):
    label: str
    revision: int


class CallOut(Schema):
    id: int
    name: str
    guide_version: GuideRef
    directions: list[str]
    opens_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    is_open: bool
    budgets: dict[str, int]
    leader_limit: int
    org_limit: int | None
    experts_per_application: int
    blind_review: bool


class CallFilter(PageQuery):
    open: bool | None = Field(None, description="只看正在受理的批次 / only calls open now")


class CallIn(Input):
    name: Text = Field(min_length=1, max_length=200)
    opens_at: When | None = Field(None, description="默认：现在 / default now")
    closes_at: When
    directions: list[Code] | None = Field(None, max_length=100, description="默认：指南全部方向 / default all")
    budgets: dict[Code, Amount] = Field(
        default_factory=dict, max_length=1000, description="方向或项目 → 预算（元）/ direction or project → yuan"
    )
    leader_limit: StrictInt = Field(1, ge=1, le=100)
    org_limit: StrictInt | None = Field(None, ge=1, le=1000)
    experts_per_application: StrictInt = Field(3, ge=1, le=50)
    blind_review: Flag = False


def call_out(call: Call) -> dict[str, Any]:
    return {
        "id": call.pk,
        "name": call.name,
        "guide_version": {"label": call.guide_version.label, "revision": call.guide_version.revision},
        "directions": sort_directions(call.directions),
        "opens_at": local(call.opens_at),
        "closes_at": local(call.closes_at),
        "closed_at": local(call.closed_at),
        "is_open": services.call_is_open(call),
        "budgets": call.budgets,
        "leader_limit": call.leader_limit,
        "org_limit": call.org_limit,
        "experts_per_application": call.experts_per_application,
        "blind_review": call.blind_review,
    }


def call_for(user, pk: int) -> Call:
    call = selectors.calls_visible_to(user).filter(pk=pk).first()
    if call is None:
        raise NotFound(f"申报批次 {pk} 不存在 / not found", detail={"id": pk})
    return call


@router.get(
    "/calls",
    auth=PUBLIC,
    openapi_extra=PUBLIC_OPENAPI,
    response={200: Page[CallOut], **ERRORS},
    summary="申报批次列表（公开）/ calls, public",
)
def calls_list(request: HttpRequest, filters: Query[CallFilter]):
    qs = selectors.calls_visible_to(actor(request))
    if filters.open is not None:
        now = timezone.now()
        is_open = {"closed_at__isnull": True, "opens_at__lte": now, "closes_at__gt": now}
        qs = qs.filter(**is_open) if filters.open else qs.exclude(pk__in=qs.filter(**is_open).values("pk"))
    return paginate(qs.order_by("-opens_at", "-id"), filters, call_out)


@router.get(
    "/calls/{int:call_id}",
    auth=PUBLIC,
    openapi_extra=PUBLIC_OPENAPI,
    response={200: CallOut, **ERRORS},
    summary="申报批次详情（公开）/ one call, public",
)
def calls_get(request: HttpRequest, call_id: Id):
    return call_out(call_for(actor(request), call_id))


@router.post("/calls", response={201: CallOut, **WRITE_ERRORS}, summary="发布申报批次（项目处）/ open a call, officers")
def calls_create(request: HttpRequest, payload: CallIn):
    call = services.call_open(actor=actor(request), **payload.model_dump())
    return Status(201, call_out(call))


@router.post("/calls/{int:call_id}/close", response={200: CallOut, **WRITE_ERRORS}, summary="提前截止（项目处）/ close a call now")
def calls_close(request: HttpRequest, call_id: Id):
    user = actor(request)
    return call_out(services.call_close(actor=user, call=call_for(user, call_id)))


# --------------------------------------------------------------------------- the guide


class DirectionOut(Schema):
    id: str
    name: str


class ProjectOut(Schema):
    id: str
    name: str
    funding: str
    directions: list[DirectionOut]


class ProgrammeOut(Schema):
    id: str
    name: str
    projects: list[ProjectOut]


class GuideOut(Schema):
    label: str
    revision: int
    title: str
    status: str
    digest: str
    programmes: list[ProgrammeOut]


class GuideQuery(Schema):
    label: Code | None = Field(None, description="指南版本，如 2022；默认：最新发布版 / default: newest published")
    revision: int | None = Field(None, ge=1, le=MAX_COUNT)


@router.get(
    "/guide",
    auth=PUBLIC,
    openapi_extra=PUBLIC_OPENAPI,
    response={200: GuideOut, **ERRORS},
    tags=["guide"],
    summary="申报指南的专项、项目与方向（公开）/ the guide's tree, public",
)
def guide_get(request: HttpRequest, query: Query[GuideQuery]):
    user = actor(request)
    if query.revision is not None:
        version = guide_selectors.guide_versions_visible_to(user).filter(label=query.label or "", revision=query.revision).first()
        if version is None:
            raise NotFound("没有这个指南版本 / no such guide version", detail={"label": query.label, "revision": query.revision})
    else:
        version = guide_selectors.guide_version_current(query.label)
    guide = guide_selectors.guide_for(version)
    return {
        "label": version.label,
        "revision": version.revision,
        "title": version.title,
        "status": version.status,
        "digest": version.digest,
        "programmes": [
            {
                "id": p.id,
                "name": p.name,
                "projects": [
                    {
                        "id": pr.id,
                        "name": pr.name,
                        "funding": pr.funding,
                        "directions": [{"id": d.id, "name": d.name} for d in pr.directions],
                    }
                    for pr in p.projects
                ],
            }
            for p in guide.programmes
        ],
    }

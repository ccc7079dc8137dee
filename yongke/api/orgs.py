"""Organisations and people: reads through the registry's selectors, writes through its services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yongke.api.auth import PUBLIC, PUBLIC_OPENAPI, actor
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Code, Flag, Id, Input, Page, PageQuery, Ref, Text, local, paginate
from yongke.core.errors import NotFound, PermissionDenied
from yongke.orgs import selectors, services
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import NANNING_DISTRICTS, NANNING_ZONES, check_uscc

router = Router(tags=["organisations"])


# --------------------------------------------------------------------------- schemas


class AttributeOut(Schema):
    name: str
    value: Any
    valid_from: dt.date
    valid_to: dt.date | None
    evidence: str


class OrgOut(Schema):
    id: int
    uscc: str
    name: str
    kind: str
    kind_label: str
    district: str
    district_name: str
    zone: str
    zone_name: str
    recommending_unit: str
    industry: str
    legal_person: bool
    address: str
    created_at: dt.datetime


class OrgDetailOut(OrgOut):
    attributes: list[AttributeOut]


class OrgIn(Input):
    uscc: Text = Field(max_length=40, description="统一社会信用代码（GB 32100-2015）")
    name: Text = Field(min_length=1, max_length=200)
    kind: Text = Field(max_length=32, description=", ".join(Organisation.Kind.values))
    district: Text = Field("", max_length=8, description="GB/T 2260，如 450103；空为南宁市外")
    zone: Text = Field("", max_length=16, description=", ".join(NANNING_ZONES))
    industry: Text = Field("", max_length=5, description="GB/T 4754，如 C3976")
    legal_person: Flag = True
    address: Text = Field("", max_length=300)


class OrgPatch(Input):
    name: Text | None = Field(None, min_length=1, max_length=200)
    kind: Text | None = Field(None, max_length=32)
    district: Text | None = Field(None, max_length=8)
    zone: Text | None = Field(None, max_length=16)
    industry: Text | None = Field(None, max_length=5)
    legal_person: Flag | None = None
    address: Text | None = Field(None, max_length=300)


class OrgFilter(PageQuery):
    district: Code | None = Field(None, description="注册地 GB/T 2260 代码")
    zone: Code | None = None
    kind: Code | None = None
    q: Text | None = Field(None, max_length=100, description="名称包含或信用代码开头 / name contains or code starts with")


class UsccOut(Schema):
    valid: bool
    value: str
    reason: str = ""
    code: str = ""


class PersonOut(Schema):
    id: int
    name: str
    organisation: int | None
    title: str
    phone: str
    email: str
    id_number: str = Field(description="本人和项目处人员看到完整号码，其他人看到掩码 / masked unless owner or officer")
    id_number_masked: bool
    user: int | None


class PersonIn(Input):
    name: Text = Field(min_length=1, max_length=50)
    id_number: Text = Field(max_length=32, description="居民身份证号码（GB 11643）")
    organisation: Ref | None = None
    title: Text = Field("", max_length=50)
    phone: Text = Field("", max_length=30)
    email: Text = Field("", max_length=254)
    me: Flag = Field(False, description="登记为当前用户本人 / this person is the caller")


class PersonFilter(PageQuery):
    organisation: Id | None = None


# --------------------------------------------------------------------------- presenters


def org_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "uscc": org.uscc,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "district": org.district,
        "district_name": NANNING_DISTRICTS.get(org.district, ""),
        "zone": org.zone,
        "zone_name": NANNING_ZONES.get(org.zone, ""),
        "recommending_unit": org.recommending_unit,
        "industry": org.industry,
        "legal_person": org.legal_person,
        "address": org.address,
        "created_at": local(org.created_at),
    }


def org_detail_out(org: Organisation) -> dict[str, Any]:
    attrs = [
        {"name": a.name, "value": a.value, "valid_from": a.valid_from, "valid_to": a.valid_to, "evidence": a.evidence}
        for a in org.attributes.all()
    ]
    return {**org_out(org), "attributes": attrs}


def person_out(person: Person, viewer) -> dict[str, Any]:
    shown = selectors.person_id_number_for(person, viewer)
    return {
        "id": person.pk,
        "name": person.name,
        "organisation": person.organisation_id,
        "title": person.title,
        "phone": person.phone,
        "email": person.email,
        "id_number": shown,
        "id_number_masked": shown == person.id_number_masked,
        "user": person.user_id,
    }


def organisation_for(user, pk: int) -> Organisation:
    org = selectors.organisations_visible_to(user).filter(pk=pk).first()
    if org is None:
        raise NotFound(f"单位 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    return org


# --------------------------------------------------------------------------- organisations


@router.get("/organisations", response={200: Page[OrgOut], **ERRORS}, summary="单位列表 / organisations the caller may see")
def organisations_list(request: HttpRequest, filters: Query[OrgFilter]):
    qs = selectors.organisations_visible_to(actor(request))
    if filters.district:
        qs = qs.filter(district=filters.district)
    if filters.zone:
        qs = qs.filter(zone=filters.zone)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(uscc__startswith=filters.q.upper()))
    return paginate(qs.order_by("name", "id"), filters, org_out)


@router.get(
    "/organisations/validate-uscc",
    auth=PUBLIC,
    openapi_extra=PUBLIC_OPENAPI,
    response={200: UsccOut, **ERRORS},
    summary="校验统一社会信用代码 / check a unified social credit code",
)
def organisations_validate_uscc(request: HttpRequest, code: Text = Query(..., max_length=64)):
    return check_uscc(code).as_dict()


@router.get("/organisations/{int:org_id}", response={200: OrgDetailOut, **ERRORS}, summary="单位详情 / one organisation")
def organisations_get(request: HttpRequest, org_id: Id):
    return org_detail_out(organisation_for(actor(request), org_id))


@router.post("/organisations", response={201: OrgDetailOut, **WRITE_ERRORS}, summary="登记单位 / register an organisation")
def organisations_create(request: HttpRequest, payload: OrgIn):
    return Status(201, org_detail_out(services.organisation_create(actor=actor(request), data=payload.model_dump())))


@router.patch("/organisations/{int:org_id}", response={200: OrgDetailOut, **WRITE_ERRORS}, summary="修改单位信息 / update an organisation")
def organisations_update(request: HttpRequest, org_id: Id, payload: OrgPatch):
    user = actor(request)
    org = organisation_for(user, org_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    current = {k: getattr(org, k) for k in ("uscc", "name", "kind", "district", "zone", "industry", "legal_person", "address")}
    org, _ = services.organisation_upsert(actor=user, data={**current, **changes})
    return org_detail_out(org)


# --------------------------------------------------------------------------- people


@router.get("/people", response={200: Page[PersonOut], **ERRORS}, summary="人员列表 / people the caller may see")
def people_list(request: HttpRequest, filters: Query[PersonFilter]):
    user = actor(request)
    qs = selectors.people_visible_to(user)
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    return paginate(qs.order_by("name", "id"), filters, lambda p: person_out(p, user))


@router.get("/people/{int:person_id}", response={200: PersonOut, **ERRORS}, summary="人员详情 / one person")
def people_get(request: HttpRequest, person_id: Id):
    user = actor(request)
    person = selectors.people_visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"人员 {person_id} 不存在或无权查看 / not found", detail={"id": person_id})
    return person_out(person, user)


@router.post("/people", response={201: PersonOut, **WRITE_ERRORS}, summary="登记人员（校验身份证号码）/ register a person")
def people_create(request: HttpRequest, payload: PersonIn):
    user = actor(request)
    org = None
    if payload.organisation is not None:
        org = selectors.organisations_visible_to(user).filter(pk=payload.organisation).first()
        if org is None:
            # An organisation the caller cannot see is not theirs: answered as person_create answers
            # for one that is not theirs, so that the two are not told apart.
            raise PermissionDenied(
                "只能为本单位登记人员 / only for your own organisation",
                detail={"field": "organisation", "organisation": payload.organisation},
            )
    person = services.person_create(
        actor=user,
        name=payload.name,
        id_number=payload.id_number,
        organisation=org,
        title=payload.title,
        phone=payload.phone,
        email=payload.email,
        user=user if payload.me else None,
    )
    return Status(201, person_out(person, user))

"""Post-subsidies (后补助): quotes, allocation, screening, and the claims of a call."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from yongke.api.auth import PUBLIC, PUBLIC_OPENAPI, actor
from yongke.api.calls import call_for
from yongke.api.schemas import ERRORS, WRITE_ERRORS, Amount, Code, Facts, Id, Json, Text
from yongke.applications import selectors as app_selectors
from yongke.awards import services
from yongke.awards.allocate import award_allocate
from yongke.awards.quote import award_quote
from yongke.core.errors import BadInput
from yongke.guide.selectors import compiled_for, guide_version_current

router = Router(tags=["awards"])


class QuoteIn(Schema):
    direction: Code
    facts: Facts
    org: Text | None = Field(None, max_length=18, description="统一社会信用代码（可选）")
    year: int | None = Field(None, ge=2000, le=2100)
    history: Json = Field(None, description="该单位已获支持的记录，见 docs/api.md / earlier claims")


@router.post("/awards/quote", auth=PUBLIC, openapi_extra=PUBLIC_OPENAPI, response={200: Json, **ERRORS},
             summary="后补助测算：金额与逐步依据（公开）/ quote an award with its breakdown")
def awards_quote(request: HttpRequest, payload: QuoteIn):
    compiled = compiled_for(guide_version_current())
    return award_quote(compiled, direction=payload.direction, facts=payload.facts, org=payload.org, year=payload.year, history=payload.history)


class ClaimIn(Schema):
    id: Text | int
    amount: Amount


class AllocateIn(Schema):
    budget: Amount
    claims: list[ClaimIn] = Field(max_length=200_000)


@router.post("/awards/allocate", response={200: Json, **ERRORS}, summary="按预算等比例分配（最大余数法）/ allocate a budget")
def awards_allocate(request: HttpRequest, payload: AllocateIn):
    return award_allocate({"budget": payload.budget, "claims": [c.dict() for c in payload.claims]}).as_dict()


class ScreenIn(Schema):
    orgs: list[Facts] = Field(max_length=10_000, description="每行：name、uscc 与各事实 / name, uscc and facts")
    directions: list[Code] | None = None


@router.post("/awards/screen", response={200: Json, **WRITE_ERRORS},
             summary="免申即享筛查（项目处）：每个单位可获的后补助与金额 / screen organisations")
def awards_screen(request: HttpRequest, payload: ScreenIn):
    import polars as pl

    from yongke.accounts.models import Role
    from yongke.accounts.selectors import scope_of
    from yongke.awards.screen import awards_screen as screen
    from yongke.awards.screen import check_orgs
    from yongke.core.errors import PermissionDenied

    if not scope_of(actor(request)).has(Role.OFFICER, Role.SYSADMIN):
        raise PermissionDenied("只有项目处人员可以筛查 / officers only")
    if not payload.orgs:
        raise BadInput("orgs: 至少一行 / at least one row", detail={"field": "orgs"})
    compiled = compiled_for(guide_version_current())
    frame = check_orgs(pl.DataFrame(payload.orgs, infer_schema_length=None), compiled)
    result = screen(compiled, frame, directions=payload.directions)
    return {**result.summary(), "awards": result.listed().to_dicts()}


@router.get("/applications/{int:app_id}/quote", response={200: Json, **ERRORS}, summary="申领的测算金额与依据 / a claim's quote")
def application_quote(request: HttpRequest, app_id: Id):
    return services.claim_quote(app_selectors.application_for(actor(request), app_id))


@router.post("/applications/{int:app_id}/check-claim", response={200: Json, **WRITE_ERRORS},
             summary="按测算金额核查申领（项目处）/ check a claim at its quoted amount")
def application_check_claim(request: HttpRequest, app_id: Id):
    app, quote = services.claim_check(actor=actor(request), application=app_selectors.application_for(actor(request), app_id))
    return {"id": app.pk, "state": app.state, "amount": app.decided_amount, "quote": quote}


class DirectionQuery(Schema):
    direction: Code


@router.get("/calls/{int:call_id}/claims", response={200: Json, **ERRORS}, summary="某方向的申领排序与预算线 / claims and the budget line")
def call_claims(request: HttpRequest, call_id: Id, query: Query[DirectionQuery]):
    return services.claims_ranked(actor(request), call_for(actor(request), call_id), query.direction)


@router.post("/calls/{int:call_id}/claims/allocate", response={200: Json, **WRITE_ERRORS},
             summary="按预算分配某方向已核查的申领（项目处）/ allocate the budget to checked claims")
def call_claims_allocate(request: HttpRequest, call_id: Id, payload: DirectionQuery):
    return services.claims_allocate(actor=actor(request), call=call_for(actor(request), call_id), direction=payload.direction)


@router.post("/calls/{int:call_id}/claims/screen-registry", response={200: Json, **WRITE_ERRORS},
             summary="免申即享：按单位库筛查并生成待确认的申领（项目处）/ propose claims from the registry")
def call_claims_screen(request: HttpRequest, call_id: Id) -> Any:
    return services.registry_screen(actor=actor(request), call=call_for(actor(request), call_id))

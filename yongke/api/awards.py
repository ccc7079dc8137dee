"""Post-subsidies (后补助): quotes, allocation, screening, and the claims of a call."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, PlainValidator, StrictInt, WithJsonSchema

from yongke.api.auth import PUBLIC, PUBLIC_OPENAPI, actor
from yongke.api.calls import call_for
from yongke.api.schemas import ERRORS, MAX_ID, WRITE_ERRORS, Amount, Code, Facts, Id, Input, Json, Text, no_control
from yongke.applications import selectors as app_selectors
from yongke.awards import services
from yongke.awards.allocate import award_allocate
from yongke.awards.quote import award_quote
from yongke.guide.selectors import compiled_for, guide_version_current

router = Router(tags=["awards"])


# --------------------------------------------------------------------------- quotes


class QuoteIn(Input):
    direction: Code
    facts: Facts
    org: Text | None = Field(None, max_length=18, description="统一社会信用代码（可选）")
    year: StrictInt | None = Field(None, ge=2000, le=2100)
    history: Json = Field(None, description="该单位已获支持的记录，见 docs/api.md / earlier claims")


class QuoteStepOut(Schema):
    step: str = Field(description="这一步算的是什么 / what this step computes")
    amount: int = Field(description="元；限额削减为负数 / yuan, negative where a limit cuts")
    source: str = Field(description="指南原文 / the guide's verbatim clause")


class QuoteTierOut(Schema):
    upto: int | None = Field(None, description="本档上限（元），最后一档为空 / the tier's upper bound in yuan; none on the last")
    rate_pct: float = Field(description="本档比例（%）/ the tier's rate")


class QuoteReasonOut(Schema):
    """Only `code` and `message` are always present; the others when they apply."""

    code: str = Field(
        description="rule_failed | excluded | paid_once | annual_cap | annual_cap_reached | to_verify | assumed_parameter | history_fact | zero_amount"
    )
    message: str
    rule: str | None = Field(None, description="规则编号 / the guide rule's id")
    source: str | None = Field(None, description="指南原文 / the guide's verbatim clause")
    history: list[int] | None = Field(None, description="所依据的申报历史条目（下标）/ the history entries it rests on")
    fields: list[str] | None = Field(None, description="待核实的事实，如 facts.content / the facts to verify")
    parameter: str | None = Field(None, description="assumed_parameter：待定参数名 / the assumed parameter's name")
    value: int | float | None = Field(None, description="assumed_parameter：测算所用的值 / the value the quote used")
    label: str | None = Field(None, description="assumed_parameter：参数的中文名称 / the parameter's Chinese label")
    tiers: list[QuoteTierOut] | None = Field(None, description="assumed_parameter：分段比例表 / the rate table of a tiered parameter")
    amount_up_to: int | None = Field(None, description="to_verify：核实后最高可得金额（元）/ the most the award could be once verified")


class QuoteOut(Schema):
    direction: str
    eligible: bool
    amount: int = Field(description="元；不符合条件时为0 / yuan, 0 when not eligible")
    breakdown: list[QuoteStepOut] = Field(description="各步金额之和等于 amount / the steps add up to amount")
    reasons: list[QuoteReasonOut]


@router.post(
    "/awards/quote",
    auth=PUBLIC,
    openapi_extra=PUBLIC_OPENAPI,
    response={200: QuoteOut, **ERRORS},
    exclude_unset=True,
    summary="后补助测算：金额与逐步依据（公开）/ quote an award with its breakdown",
)
def awards_quote(request: HttpRequest, payload: QuoteIn):
    compiled = compiled_for(guide_version_current())
    return award_quote(
        compiled, direction=payload.direction, facts=payload.facts, org=payload.org, year=payload.year, history=payload.history
    )


# --------------------------------------------------------------------------- allocation


def _claim_id(value: Any) -> str | int:
    # One validator rather than `str | int`: a union's errors name its members, not the field.
    if isinstance(value, str) and value:
        return no_control(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID:
        return value
    raise ValueError("应为非空文本或64位整数 / must be non-empty text or a 64-bit whole number")


ClaimId = Annotated[
    str | int,
    PlainValidator(_claim_id),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer", "minimum": -MAX_ID, "maximum": MAX_ID}]}),
]


class ClaimIn(Input):
    id: ClaimId = Field(description="文本或整数，不得重复 / text or a whole number, unique")
    amount: Amount


class AllocateIn(Input):
    budget: Amount
    claims: list[ClaimIn] = Field(max_length=200_000)


class AllocatedOut(Schema):
    id: int | str
    amount: int = Field(description="元 / yuan")


class AllocationOut(Schema):
    allocations: list[AllocatedOut] = Field(description="与申领同序；合计等于预算（或全额）/ in the claims' order")
    ratio: float = Field(description="实付与申领之比（6位小数，仅供展示）/ paid over claimed, rounded for people")


@router.post("/awards/allocate", response={200: AllocationOut, **ERRORS}, summary="按预算等比例分配（最大余数法）/ allocate a budget")
def awards_allocate(request: HttpRequest, payload: AllocateIn):
    return award_allocate({"budget": payload.budget, "claims": [c.model_dump() for c in payload.claims]}).as_dict()


# --------------------------------------------------------------------------- screening


class ScreenIn(Input):
    orgs: list[Facts] = Field(max_length=10_000, description="每行：name、uscc 与各事实 / name, uscc and facts")
    directions: list[Code] | None = Field(None, max_length=1000)


class ScreenDirectionOut(Schema):
    direction: str
    name: str
    count: int
    amount: int = Field(description="元 / yuan")


class ScreenSkippedOut(Schema):
    direction: str
    name: str
    missing_columns: list[str] = Field(description="该方向必需而表中没有的事实 / required facts the rows lack")


class ScreenAwardOut(Schema):
    name: str
    uscc: str
    direction: str
    project: str
    amount: int = Field(description="元 / yuan")
    to_verify: list[str] = Field(description="表中未能判定、待项目处核实的规则编号 / rule ids left to the officer")


class ScreenOut(Schema):
    orgs: int = Field(description="筛查的单位数 / organisations screened")
    found: int = Field(description="找到的补助数 / awards found")
    total: int = Field(description="金额合计（元）/ total yuan")
    by_direction: list[ScreenDirectionOut]
    skipped: list[ScreenSkippedOut] = Field(description="缺少必需事实列而未筛查的方向 / directions not screened")
    awards: list[ScreenAwardOut]


@router.post(
    "/awards/screen",
    response={200: ScreenOut, **WRITE_ERRORS},
    summary="免申即享筛查（项目处）：每个单位可获的后补助与金额 / screen organisations",
)
def awards_screen(request: HttpRequest, payload: ScreenIn):
    return services.organisations_screen(actor=actor(request), rows=payload.orgs, directions=payload.directions)


# --------------------------------------------------------------------------- claims in a call


@router.get(
    "/applications/{int:app_id}/quote",
    response={200: QuoteOut, **ERRORS},
    exclude_unset=True,
    summary="申领的测算金额与依据 / a claim's quote",
)
def application_quote(request: HttpRequest, app_id: Id):
    return services.claim_quote(app_selectors.application_for(actor(request), app_id))


class ClaimCheckOut(Schema):
    id: int
    state: str = Field(description="checked，或不符合条件时 refused / checked, or refused")
    amount: int | None = Field(description="核定金额（元）/ the decided amount")
    quote: QuoteOut


@router.post(
    "/applications/{int:app_id}/check-claim",
    response={200: ClaimCheckOut, **WRITE_ERRORS},
    exclude_unset=True,
    summary="按测算金额核查申领（项目处）/ check a claim at its quoted amount",
)
def application_check_claim(request: HttpRequest, app_id: Id):
    user = actor(request)
    app, quote = services.claim_check(actor=user, application=app_selectors.application_for(user, app_id))
    return {"id": app.pk, "state": app.state, "amount": app.decided_amount, "quote": quote}


class DirectionQuery(Schema):
    direction: Code


class DirectionIn(Input):
    direction: Code


class RankedClaimOut(Schema):
    id: int
    organisation: str
    uscc: str
    state: str
    amount: int = Field(description="核定金额（元）/ the checked amount")
    allocated: int = Field(description="按预算分配后（元）/ after the budget is shared")


class ClaimsOut(Schema):
    direction: str
    budget_key: str = Field(description="预算所在的方向或项目 / the direction or project whose budget applies")
    budget: int | None = Field(description="元；未设置为 null / yuan, null when none is set")
    claimed: int
    fits: bool = Field(description="已核查的申领能否全额纳入预算余额 / whether the checked claims fit what the budget has left")
    left: int | None = Field(
        None,
        description="预算余额：扣除已公示、已拨付及同一预算下其他方向已核查的金额（元）/ what the budget has left for the checked claims",
    )
    ratio: str = Field(description='精确分数，如 "2/3" / the exact fraction')
    claims: list[RankedClaimOut]


@router.get(
    "/calls/{int:call_id}/claims", response={200: ClaimsOut, **ERRORS}, summary="某方向的申领排序与预算线 / claims and the budget line"
)
def call_claims(request: HttpRequest, call_id: Id, query: Query[DirectionQuery]):
    user = actor(request)
    return services.claims_ranked(user=user, call=call_for(user, call_id), direction=query.direction)


class ClaimAllocatedOut(Schema):
    id: int
    amount: int = Field(description="元 / yuan")


class ClaimsAllocationOut(Schema):
    direction: str
    budget: int
    carried: int = Field(0, description="预算已承担：已公示、已拨付及同一预算下其他方向已核查的金额（元）/ what the budget already carries")
    left: int = Field(0, description="本次分配的预算余额（元）/ what is shared among these claims")
    ratio: str = Field(description="精确分数 / the exact fraction")
    allocations: list[ClaimAllocatedOut]


@router.post(
    "/calls/{int:call_id}/claims/allocate",
    response={200: ClaimsAllocationOut, **WRITE_ERRORS},
    summary="按预算分配某方向已核查的申领（项目处）/ allocate the budget to checked claims",
)
def call_claims_allocate(request: HttpRequest, call_id: Id, payload: DirectionIn):
    user = actor(request)
    return services.claims_allocate(actor=user, call=call_for(user, call_id), direction=payload.direction)


class RegistrySkippedOut(Schema):
    uscc: str
    direction: str
    reason: str


class RegistryScreenOut(Schema):
    created: int = Field(description="新生成的待确认申领 / claims proposed")
    skipped: list[RegistrySkippedOut]
    found: int = Field(description="单位库完全支持的补助数 / awards the registry fully supports")


@router.post(
    "/calls/{int:call_id}/claims/screen-registry",
    response={200: RegistryScreenOut, **WRITE_ERRORS},
    summary="免申即享：按单位库筛查并生成待确认的申领（项目处）/ propose claims from the registry",
)
def call_claims_screen(request: HttpRequest, call_id: Id):
    user = actor(request)
    return services.registry_screen(actor=user, call=call_for(user, call_id))

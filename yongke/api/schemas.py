"""Shared input types, the error body and the list envelope of every endpoint.

Input types refuse what the database would choke on (NUL and other control characters,
integers beyond 64 bits, dates outside the plausible range), so that bad input is a 400,
never a 500 from the driver. Numbers in a body are strict: `true` is not an amount and `"5"`
is not a count (pydantic's lax mode would take both); query and path parameters arrive as
text and are parsed as usual.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, model_validator

from yongke.core.errors import BadInput
from yongke.core.keyset import Keyset, capped_count

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ID = 2**63 - 1
MAX_AMOUNT = 10**12  # a trillion yuan: above any budget or claim
MAX_COUNT = 10**6  # above any count of people, days, positions or experts
MAX_FACT_NUMBER = 10**16  # a number inside facts (revenue in yuan …): below every 64-bit column


def no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("不能含有控制字符 / control characters are not allowed")
    return value


def _no_control_deep(value: Any) -> Any:
    if isinstance(value, str):
        no_control(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            no_control(str(k))
            _no_control_deep(v)
    elif isinstance(value, list):
        for v in value:
            _no_control_deep(v)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_FACT_NUMBER:
        raise ValueError("数值过大 / number out of range")
    return value


def _plausible(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("时间须带时区，如 2022-05-31T17:00:00+08:00 / timezone required")
    if not 2000 <= value.year <= 2100:
        raise ValueError("年份应在2000至2100之间 / year out of range")
    return value


Text = Annotated[str, AfterValidator(no_control)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # in a path or a query: parsed from text
Ref = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]  # an id inside a JSON body: a JSON integer only
Amount = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT, description="元 / yuan")]
Flag = StrictBool  # a JSON true/false only, never 1, 0 or "yes"
Json = Annotated[Any, AfterValidator(_no_control_deep)]
Facts = Annotated[dict[str, Any], AfterValidator(_no_control_deep)]
When = Annotated[dt.datetime, AfterValidator(_plausible)]
# A filter value: codes such as 450103, GXQ, 1.1, submitted.
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-*]+$")]


class Input(Schema):
    """A JSON object sent in a body. ninja's Schema reads the attributes of whatever it is given,
    so without this a list or a number would pass for a body whose fields are all optional."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        raw = value._obj if isinstance(value, DjangoGetter) else value  # ninja wraps what it validates
        if not isinstance(raw, dict):
            raise ValueError("应为 JSON 对象 / must be a JSON object")
        return value


class Out(BaseModel):
    """An answer built as plain dicts by its presenter (the rows of the long lists): validated by
    pydantic's own validator, without ninja's attribute getter, which a ninja Schema wraps around
    every value of every row (a quarter of a list page's time). Its presenter must hand it dicts
    and lists, not model instances."""


class ErrorOut(Schema):
    code: str = Field(description="稳定的机器可读代码 / stable machine code")
    message: str = Field(description="给人看的说明（中文在前）/ for people")
    detail: Any = Field(description="出错的字段、规则与取值 / the field, rule and value")


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
# A body larger than the server accepts (Django's DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 on any write.
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class PageQuery(Schema):
    page: int = Field(
        1, ge=1, le=100_000, description="页码（便于跳页；深翻页请用 cursor）/ page number (a convenience; use cursor to walk far)"
    )
    page_size: int = Field(20, ge=1, le=100, description="每页条数，最多100 / at most 100")
    cursor: str | None = Field(
        None,
        max_length=400,
        description="上一页返回的 next_cursor：从该处接着翻页，翻到最后一页也一样快；给出时不看 page / "
        "the next_cursor of the previous page: the page after it, as fast at the end as at the start (page is then ignored)",
    )


class Page[T](Schema):
    items: list[T]
    count: int
    count_exact: bool = Field(
        True,
        description="count 是否为准确总数；为 false 时列表超过 count 条（只数到上限，翻页请用 next_cursor）/ "
        "whether count is the exact total; false: the list holds more than count rows (counted up to a limit; walk it by next_cursor)",
    )
    page: int
    page_size: int
    next_cursor: str | None = Field(
        None, description="下一页的游标；没有下一页时为 null / the cursor of the next page, null on the last page"
    )


def paginate(qs, query: PageQuery, present: Callable[[Any], Any], *, count_limit: int | None = None) -> dict[str, Any]:
    """One page of a queryset (or list) as the list envelope every list endpoint returns.

    A queryset ordered by non-null columns is walked by keyset (`core/keyset.py`): `next_cursor`
    names the last row's ordering values and `cursor` seeks past them through the ordering's
    index, so the last page costs what the first does. `page` stays as an OFFSET convenience.
    With `count_limit` a queryset is counted no further than that limit (a COUNT over a LIMIT,
    which costs the same however long the list grows): beyond it `count` is the limit and
    `count_exact` false."""
    exact = True
    if count_limit is not None and hasattr(qs, "count") and not isinstance(qs, list):
        count = capped_count(qs, count_limit)
        exact = count <= count_limit
        count = min(count, count_limit)
    else:
        count = qs.count() if hasattr(qs, "count") and not isinstance(qs, list) else len(qs)
    keys = Keyset.of(qs)
    if keys is not None and query.cursor:
        rows = list(keys.after(qs, query.cursor)[: query.page_size + 1])
    else:
        if query.cursor:
            raise cursor_unsupported()
        start = (query.page - 1) * query.page_size
        rows = list(qs[start : start + query.page_size + 1])
    more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    next_cursor = keys.cursor(rows[-1]) if keys is not None and more and rows else None
    return {
        "items": [present(r) for r in rows],
        "count": count,
        "count_exact": exact,
        "page": query.page,
        "page_size": query.page_size,
        "next_cursor": next_cursor,
    }


def cursor_unsupported() -> Exception:
    return BadInput("cursor: 该列表不支持游标翻页，请用 page / this list pages by number only", detail={"field": "cursor"})


def local(ts: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in Beijing time, with their offset."""
    return timezone.localtime(ts) if ts is not None else None

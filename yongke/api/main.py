"""The NinjaAPI instance: routers by area, authentication by default, one error shape."""

from __future__ import annotations

import json
from typing import Any, cast

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from yongke.api import (
    acceptance,
    applications,
    audit,
    awards,
    calls,
    closure,
    errors,
    health,
    jobs,
    notifications,
    orgs,
    portfolio,
    projects,
    review,
    security,
)
from yongke.api.auth import AUTH
from yongke.api.auth import router as auth_router
from yongke.api.docs import LocalDocs
from yongke.core.textio import exact_float, unique_keys

DESCRIPTION = """邕科 Yongke：南宁市科技计划申报、审查与立项的 JSON 接口。

* 认证 / auth: `Authorization: Bearer <token>`（`POST /api/v1/auth/token` 换取）or the Django session (CSRF header for writes).
* 错误 / errors: `{"code", "message", "detail"}` with a 4xx status; `detail.field` names the offending field.
* 列表 / lists: `{"items", "count", "page", "page_size", "next_cursor"}`; `page_size` at most 100; pass `cursor=<next_cursor>` for the next page (keyset: as fast at the end as at the start), `page` to jump.
* 看不到的对象返回 404；看得到但无权操作返回 403 / invisible objects are 404, forbidden writes 403.
"""


class ExactParser(Parser):
    """JSON bodies as the CLI reads them (core/textio.py): a key given twice in one object is
    refused naming the key, and a number with a fraction keeps its digits, so a fact written
    49999999.999999999 is judged as written, not as the float 50000000.0."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=exact_float, object_pairs_hook=unique_keys("body")))


class Renderer(JSONRenderer):
    json_dumps_params: dict[str, Any] = {"ensure_ascii": False}  # noqa: RUF012 - ninja reads it per instance; Chinese messages readable on the wire


api = NinjaAPI(
    urls_namespace="api",
    title="邕科 Yongke API",
    version="1",
    description=DESCRIPTION,
    auth=AUTH,
    docs=LocalDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=Renderer(),
    parser=ExactParser(),
)
errors.install(api)
api.add_router("", auth_router)
api.add_router("", orgs.router)
api.add_router("", calls.router)
api.add_router("", applications.router)
api.add_router("", audit.router)
api.add_router("", awards.router)
api.add_router("", review.router)
api.add_router("", notifications.router)
api.add_router("", projects.router)
api.add_router("", acceptance.router)
api.add_router("", closure.router)
api.add_router("", portfolio.router)
api.add_router("", security.router)
api.add_router("", health.router)
api.add_router("", jobs.router)

PREFIX = "/api/v1/"


def openapi_document() -> dict:
    """The OpenAPI 3 document, without needing the URLconf (for `yongke openapi`)."""
    return dict(api.get_openapi_schema(path_prefix=PREFIX.strip("/") + "/"))

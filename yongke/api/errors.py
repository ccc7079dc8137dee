"""Every error leaves the API as {"code", "message", "detail"} with its 4xx status.

Domain errors carry their own code and status; request validation, authentication, CSRF,
unknown URLs and Django model validation are translated into the same shape. An unexpected
exception is logged and answered with a bare 500 in the same shape, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yongke.core.errors import YongkeError

log = logging.getLogger("yongke.api")


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail if detail is not None else {}}


def _field(loc: list | tuple) -> tuple[str, str]:
    """ninja's loc is (source, field, …); the field is what a client can act on."""
    parts = [str(p) for p in loc]
    source = parts[0] if parts else ""
    rest = parts[1:] if source in ("body", "query", "path", "form", "file", "header", "cookie") else parts
    # a single body schema argument is nested under its parameter name ("payload"); the body itself is "body"
    if source == "body" and rest[:1] == ["payload"]:
        rest = rest[1:]
    return ".".join(rest) or source, source


def validation_error(request: HttpRequest, exc: ValidationError, api: NinjaAPI) -> HttpResponse:
    errors = []
    for e in exc.errors:
        field, source = _field(e.get("loc", ()))
        errors.append({"field": field, "location": source, "type": e.get("type", ""), "message": str(e.get("msg", ""))})
    first = errors[0] if errors else {"field": "", "message": ""}
    body = error_body(
        "bad_input",
        f"{first['field']}: 请求参数有误（{first['message']}）/ invalid request",
        {"field": first["field"], "errors": errors},
    )
    return api.create_response(request, body, status=400)


def yongke_error(request: HttpRequest, exc: YongkeError, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


def model_validation_error(request: HttpRequest, exc: ModelValidationError, api: NinjaAPI) -> HttpResponse:
    """A service's full_clean() refused the record (too long, not a valid e-mail, duplicate …)."""
    if hasattr(exc, "error_dict"):
        errors = {k: [str(m) for m in v.messages] if hasattr(v, "messages") else [str(x) for x in v] for k, v in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    field = next(iter(errors), "")
    message = errors[field][0] if errors.get(field) else ""
    return api.create_response(request, error_body("bad_input", f"{field}: {message}", {"field": field, "errors": errors}), status=400)


def authentication_error(request: HttpRequest, exc: AuthenticationError, api: NinjaAPI) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthenticated", "需要登录或提供有效的 API 令牌（Authorization: Bearer …）/ authentication required"),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="yongke"'
    return response


_HTTP_CODES = {
    400: "bad_input",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}


def http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    if isinstance(exc.__cause__, YongkeError):  # the body's parser refused it (a key given twice): said as itself
        return yongke_error(request, exc.__cause__, api)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = str(exc)
    if exc.status_code == 403 and "CSRF" in message:
        code, message = "csrf_failed", "CSRF 校验失败：浏览器会话的写请求须带 X-CSRFToken 头 / CSRF check failed"
    elif exc.status_code == 400 and "parse request body" in message:
        message = "请求体不是有效的 JSON / request body is not valid JSON"
    return api.create_response(request, error_body(code, message), status=exc.status_code)


def bad_request(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    """Django refused the request itself: an unparsable multipart body, a suspicious header …"""
    if isinstance(exc, RequestDataTooBig):
        return api.create_response(request, error_body("too_large", "请求体过大 / request body too large"), status=413)
    return api.create_response(request, error_body("bad_input", f"请求无法解析 / malformed request: {type(exc).__name__}"), status=400)


def django_permission_denied(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, error_body("permission_denied", "无权执行该操作 / not allowed"), status=403)


def not_found(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, error_body("not_found", "没有这个资源 / not found"), status=404)


def server_error(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(request, error_body("internal_error", "服务器内部错误，已记录 / internal error, logged"), status=500)


def install(api: NinjaAPI) -> None:
    """Register the handlers; the most specific class wins, so Exception only catches the unexpected."""
    from functools import partial

    for exc_class, handler in (
        (ValidationError, validation_error),
        (YongkeError, yongke_error),
        (ModelValidationError, model_validation_error),
        (AuthenticationError, authentication_error),
        (HttpError, http_error),
        (Http404, not_found),
        (SuspiciousOperation, bad_request),
        (BadRequest, bad_request),
        (MultiPartParserError, bad_request),
        (DjangoPermissionDenied, django_permission_denied),
        (Exception, server_error),
    ):
        api.add_exception_handler(exc_class, partial(handler, api=api))


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # a POST to an unknown URL is a 404, whatever its CSRF token
def json_404(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown URLs under /api/v1/ (and ids that are not numbers) answer in the API's shape, not with an HTML page."""
    return _json(error_body("not_found", f"没有这个接口：{request.path} / no such endpoint"), 404)


def json_405(view: Callable) -> Callable:
    """ninja answers a method a path does not have with a bare 405; give it the API's shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = _json(
                error_body(
                    "method_not_allowed",
                    f"该接口不支持 {request.method}，可用：{allowed} / method not allowed",
                    {"allowed": allowed.split(", ")},
                ),
                405,
            )
            response["Allow"] = allowed
        return response

    return wrapper

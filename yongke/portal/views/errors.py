"""Our own 400/403/404/500 pages, in the page's language (yongke/urls.py names them).

Each says what happened and what to do next. Under /api/ the same status is answered in the
API's shape, {"code", "message", "detail"}, never with a page. The 500 page is a template of
its own (no menu, no database), so it renders whatever broke.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from yongke.accounts.selectors import scope_of
from yongke.portal.texts import message_text, roles_text
from yongke.portal.views.common import RoleRequired

APPLICANT_ROLES = ("applicant", "org_admin")


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "detail": {}}, status=status, json_dumps_params={"ensure_ascii": False})


def _reason(exception: BaseException | None) -> str:
    """The exception's own message, if it is one written for people (ours are, Django's own are not)."""
    if exception is None or not exception.args:
        return ""
    text = str(exception.args[0])
    if not text or text.isascii():  # Django's internals ("No Organisation matches the given query.")
        return ""
    return message_text(text).rstrip("。.")


def _signed_out(request: HttpRequest) -> None:
    """A request refused before the authentication middleware ran (a bad Host header) has no user: the menu shows a visitor's."""
    if not hasattr(request, "user"):
        request.user = AnonymousUser()


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if _api(request):
        return _json("bad_input", "请求无法解析 / bad request", 400)
    _signed_out(request)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if _api(request):
        return _json("permission_denied", "无权执行该操作 / not allowed", 403)
    _signed_out(request)
    user = request.user
    signed_in = user.is_authenticated
    mine: list[str] = sorted(scope_of(user).roles) if signed_in else []
    needs = list(exception.roles) if isinstance(exception, RoleRequired) else []
    context = {
        "signed_in": signed_in,
        "needs": roles_text(needs) if needs else "",
        "mine": roles_text(mine) if mine else "",
        "for_applicants": bool(needs) and set(needs) <= set(APPLICANT_ROLES),
        "reason": "" if needs else _reason(exception),
    }
    return render(request, "403.html", context, status=403)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if _api(request):
        return _json("not_found", f"没有这个接口：{request.path} / no such endpoint", 404)
    _signed_out(request)
    return render(request, "404.html", {"reason": _reason(exception), "path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return _json("internal_error", "服务器内部错误，已记录 / internal error, logged", 500)
    # No request context: the menu would read the database, which may be what failed.
    return HttpResponse(loader.get_template("500.html").render({"title": _("服务器出错了")}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (an expired page, a cookie blocked): our 403, saying what to do."""
    if _api(request):
        return _json("csrf_failed", "CSRF 校验失败，请刷新后重试 / CSRF check failed", 403)
    _signed_out(request)
    context = {"signed_in": request.user.is_authenticated, "needs": "", "mine": "", "for_applicants": False}
    context["reason"] = _("页面已过期或来源无法核实，请刷新页面后重新提交")
    return render(request, "403.html", context, status=403)

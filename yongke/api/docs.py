"""The docs page at /api/v1/docs: every operation listed on the server, and Swagger UI from the
assets django-ninja ships, served here — no CDN, and nothing to add to INSTALLED_APPS. No
inline style or script (the CSP forbids them): the page's own rules are the static file
`portal/api-docs.css`, Swagger UI's settings a JSON data block its init script reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from ninja.openapi.docs import DocsBase

ASSETS = Path(ninja.__file__).parent / "static" / "ninja"
ASSET_TYPES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSET_TYPES:
        raise Http404(name)
    response = FileResponse((ASSETS / name).open("rb"), content_type=ASSET_TYPES[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """(method, path, summary, public?) of every operation, in path order."""
    out = []
    for path, methods in schema.get("paths", {}).items():
        for method in METHOD_ORDER:
            op = methods.get(method)
            if op is None:
                continue
            security = op.get("security")
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or op.get("operationId", ""),
                    "tags": ", ".join(op.get("tags", [])),
                    "public": security is None or {} in security,
                }
            )
    return out


class LocalDocs(DocsBase):
    def render_page(self, request: HttpRequest, api, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        schema = api.get_openapi_schema(path_params=kwargs)
        rows = format_html_join(
            "\n",
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (o["method"], o["path"], o["summary"], o["tags"], "公开 / public" if o["public"] else "需登录 / auth")
                for o in operations(schema)
            ),
        )
        asset = lambda name: reverse("api_docs_asset", args=[name])  # noqa: E731
        # Inside <script> nothing is HTML-decoded: escape for JSON, so "</script>" cannot appear.
        settings = json.dumps({"url": openapi_url, "layout": "BaseLayout", "deepLinking": True, "dom_id": "#swagger-ui"})
        settings = mark_safe(settings.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
        html = format_html(
            """<!DOCTYPE html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="{favicon}"><link rel="stylesheet" href="{css}"><link rel="stylesheet" href="{page_css}">
</head><body data-csrf-token="{csrf}" data-api-csrf="true">
<div class="ops"><h1>{title} <small>v{version}</small></h1>
<p>OpenAPI 3 文档 / document: <a href="{openapi_url}">{openapi_url}</a> · 认证 / auth: <code>Authorization: Bearer &lt;token&gt;</code>
（<code>POST /api/v1/auth/token</code>）或浏览器会话 / or the browser session (CSRF: <code>X-CSRFToken</code>).
错误 / errors: <code>{{"code", "message", "detail"}}</code>.</p>
<table><thead><tr><th>方法</th><th>路径</th><th>说明</th><th>分组</th><th>认证</th></tr></thead><tbody>
{rows}
</tbody></table></div>
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{bundle}"></script><script src="{init}"></script>
</body></html>""",
            title=api.title,
            version=api.version,
            favicon=asset("favicon.png"),
            css=asset("swagger-ui.css"),
            page_css=static("portal/api-docs.css"),  # the page's own rules: no inline <style> under the CSP
            csrf=get_token(request),
            openapi_url=openapi_url,
            rows=rows,
            settings=settings,
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(html)

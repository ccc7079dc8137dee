"""URLs of the JSON API: include with `path("", include("yongke.api.urls"))` in yongke/urls.py."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path, re_path

from yongke.api.docs import docs_asset
from yongke.api.errors import json_404, json_405
from yongke.api.main import api

# Not `app_name`: include() would read a module attribute of that name as this URLconf's namespace.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if _pattern.callback is not None:
        _pattern.callback = json_405(_pattern.callback)

urlpatterns = [
    path("api/v1/", lambda request: redirect("api:openapi-view"), name="api_root"),
    path("api/v1/docs/assets/<str:name>", docs_asset, name="api_docs_asset"),
    path("api/v1/", (_patterns, _app, _namespace)),
    re_path(r"^api/v1/(?P<rest>[\s\S]*)$", json_404),  # [\s\S], not ".": a path may hold a newline (%0A)
]

"""Public pages: the published guide, each requirement beside its verbatim clause."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from yongke.core.errors import NotFound
from yongke.guide import selectors


def guide_index(request: HttpRequest) -> HttpResponse:
    try:
        version = selectors.guide_version_current()
    except NotFound:
        return render(request, "portal/no_guide.html", status=200)
    guide = selectors.guide_for(version)
    return render(request, "portal/guide_index.html", {"version": version, "guide": guide})


def direction_detail(request: HttpRequest, label: str, revision: int, code: str) -> HttpResponse:
    version = selectors.guide_versions_visible_to(request.user).filter(label=label, revision=revision).first()
    if version is None:
        raise Http404("没有这个指南版本")
    guide = selectors.guide_for(version)
    try:
        direction = guide.direction(code)
    except Exception:
        raise Http404("没有这个申报方向") from None
    facts = []
    seen = set()
    from yongke.guide.engine import referenced_names

    for r in direction.rules:
        for n in referenced_names(r.expr) if r.expr else []:
            if n in guide.facts and n not in seen:
                seen.add(n)
                facts.append(guide.facts[n])
    return render(request, "portal/direction.html", {"version": version, "guide": guide, "direction": direction, "facts": facts})

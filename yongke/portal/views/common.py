"""What every view of the portal shares: who asks, domain errors as pages, page gating, paging."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest

from yongke.accounts.selectors import Scope, scope_of
from yongke.core.errors import NotFound, PermissionDenied, YongkeError
from yongke.guide.selectors import compiled_for, guide_versions_visible_to

PAGE_SIZE = 30


def scope(request: HttpRequest) -> Scope:
    return scope_of(request.user)


def acting_user(request: HttpRequest) -> User:
    """The signed-in user, as the `actor` of a service call.

    Every view that calls a service is behind `roles_required`, so nobody anonymous gets
    here; if one ever does, it is a 403, never a write in nobody's name.
    """
    user = request.user
    if not isinstance(user, User):
        raise DjangoPermissionDenied("请先登录 / sign in first")
    return user


def address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def domain_errors(view):
    """A domain NotFound is a 404 page and PermissionDenied a 403 page, never a traceback."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as e:
            raise Http404(e.message) from None
        except PermissionDenied as e:
            raise DjangoPermissionDenied(e.message) from None

    return wrapper


def roles_required(*roles: str):
    """Signed in, holding one of the roles (a superuser holds every role); else 403."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles and not scope(request).has(*roles):
                raise DjangoPermissionDenied("无权访问此页面 / not allowed")
            return domain_errors(view)(request, *args, **kwargs)

        return wrapper

    return decorate


def permits(check: Callable[..., None], **kwargs: Any) -> bool:
    """Whether a service's own permission check (e.g. `authorize_registry_screen`) lets the
    user through: for showing a button exactly when the service would accept the request."""
    try:
        check(**kwargs)
    except PermissionDenied:
        return False
    return True


def flash(request: HttpRequest, error: YongkeError) -> None:
    messages.error(request, error.message)


def paginate(request: HttpRequest, qs, per_page: int = PAGE_SIZE):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def direction_names(user, apps) -> dict[tuple[int, str], str]:
    """(guide version id, direction id) → the direction's name, for a list of applications.

    One query for the versions of the whole list (their guide text deferred); the compiled
    guide is cached per process.
    """
    ids = {a.guide_version_id for a in apps}
    names: dict[tuple[int, str], str] = {}
    if not ids:
        return names
    for version in guide_versions_visible_to(user).filter(pk__in=ids).only("id", "digest", "label", "revision", "status"):
        guide = compiled_for(version).guide
        for d in guide.directions:
            names[(version.pk, d.id)] = d.name
    return names


def annotate_directions(user, apps) -> list[Any]:
    apps = list(apps)
    names = direction_names(user, apps)
    for a in apps:
        a.direction_name = names.get((a.guide_version_id, a.direction), "")
    return apps

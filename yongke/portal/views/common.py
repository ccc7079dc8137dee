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
from yongke.applications.selectors import ListedApplication
from yongke.core.errors import NotFound, PermissionDenied, YongkeError
from yongke.core.keyset import Keyset, capped_count
from yongke.guide.selectors import compiled_for, guide_version_visible, guide_versions_visible_to
from yongke.portal.texts import error_text

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


class RoleRequired(DjangoPermissionDenied):
    """A page for other roles: the 403 page names them and says what to do (views/errors.py)."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__("无权访问此页面 / not allowed")
        self.roles = tuple(roles)


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
                # The 403 page says why: which roles this page is for (yongke/portal/views/errors.py).
                raise RoleRequired(roles)
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


def flash(request: HttpRequest, error: YongkeError, *, labels: dict[str, Any] | None = None) -> None:
    """A domain error as a page message: the field named by its label, in the page's language."""
    messages.error(request, error_text(error, labels=labels))


BATCH_KEPT = "portal_batch_kept"


def keep_batch(request: HttpRequest, *, ids: list[int], action: str, comment: str, days: str) -> None:
    """A batch step that failed for some: the next queue page shows them still selected (once, like a message)."""
    request.session[BATCH_KEPT] = {"ids": ids, "action": action, "comment": comment, "days": days}


def kept_batch(request: HttpRequest) -> dict[str, Any]:
    """What `keep_batch` kept, read once per request (the batch form and the table both ask)."""
    if not hasattr(request, "_batch_kept"):
        kept = request.session.pop(BATCH_KEPT, None) if hasattr(request, "session") else None
        kept = kept if isinstance(kept, dict) else {}
        request._batch_kept = {  # type: ignore[attr-defined]
            "ids": {str(i) for i in kept.get("ids", [])},
            "action": str(kept.get("action", "")),
            "comment": str(kept.get("comment", "")),
            "days": str(kept.get("days", "")),
        }
    return request._batch_kept  # type: ignore[attr-defined]


class KeysetPage:
    """A page found by cursor (`?after=` / `?before=`), answering the templates like Django's
    `Page`: its rows, its number (carried in the link, a convenience), the count and the
    cursors of its neighbours. The database seeks to it through the ordering's index, so the
    last page of a long queue costs what the first does."""

    def __init__(self, rows: list[Any], *, number: int, count: int, per_page: int, prev_cursor: str | None, next_cursor: str | None):
        self.object_list = rows
        self.number = number
        self.paginator = Paginator(range(count), per_page)  # count and num_pages, without reading rows
        self.prev_cursor, self.next_cursor = prev_cursor, next_cursor
        self.more_than: int | None = None  # the count's limit, when the list holds more (paginate's count_limit)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.prev_cursor is not None

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return max(1, self.number - 1)


class _CappedPaginator(Paginator):
    """Django's paginator counting no further than `limit` + 1 rows."""

    def __init__(self, object_list: Any, per_page: int, limit: int) -> None:
        super().__init__(object_list, per_page)
        self.limit = limit

    @functools.cached_property
    def count(self) -> int:  # type: ignore[override]
        return capped_count(self.object_list, self.limit)


def paginate(request: HttpRequest, qs, per_page: int = PAGE_SIZE, *, count_limit: int | None = None):
    """One page of a list. A queryset with a keyset ordering (`core/keyset.py`) is walked by
    cursor: the pager's links carry `after`/`before` (and the page number, for the reader); a
    page number alone (a jump, an old link) is read by OFFSET and gives the cursors on from there.

    With `count_limit`, the total is counted no further than that (the queues: an exact count of a
    long queue on every page costs more than the page): `page.more_than` is then the limit when
    the list holds more, else None, and the pager says "more than N" instead of the page count."""
    keys = Keyset.of(qs)
    after, before = request.GET.get("after") or "", request.GET.get("before") or ""
    if keys is not None and (after or before):
        try:
            number = max(1, int(request.GET.get("page") or 1))
        except ValueError:
            number = 1
        try:
            if after:
                rows = list(keys.after(qs, after)[: per_page + 1])
                more_after, more_before = len(rows) > per_page, True
                rows = rows[:per_page]
            else:
                rows = list(keys.before(qs, before)[: per_page + 1])
                more_before, more_after = len(rows) > per_page, True
                rows = rows[:per_page][::-1]
        except YongkeError:  # a broken or stale cursor: the first page
            return paginate(_without_cursor(request), qs, per_page)
        if not rows:
            return paginate(_without_cursor(request), qs, per_page)
        if not more_before:
            number = 1
        count = qs.count() if count_limit is None else capped_count(qs, count_limit)
        kpage = KeysetPage(
            rows,
            number=number,
            count=count,
            per_page=per_page,
            prev_cursor=keys.cursor(rows[0]) if more_before else None,
            next_cursor=keys.cursor(rows[-1]) if more_after else None,
        )
        kpage.more_than = count_limit if count_limit is not None and count > count_limit else None
        return kpage
    paginator = Paginator(qs, per_page) if count_limit is None else _CappedPaginator(qs, per_page, count_limit)
    page = paginator.get_page(request.GET.get("page"))
    page.more_than = count_limit if count_limit is not None and paginator.count > count_limit else None  # type: ignore[attr-defined]
    if keys is not None:
        rows = list(page.object_list)
        page.prev_cursor = keys.cursor(rows[0]) if rows and page.has_previous() else None  # type: ignore[attr-defined]
        page.next_cursor = keys.cursor(rows[-1]) if rows and page.has_next() else None  # type: ignore[attr-defined]
    return page


def _without_cursor(request: HttpRequest) -> HttpRequest:
    rest = request.GET.copy()
    for name in ("after", "before", "page"):
        rest.pop(name, None)
    request.GET = rest  # type: ignore[assignment]  # a mutable copy stands in for the request's own
    return request


def direction_names(user, apps) -> dict[tuple[int, str], str]:
    """(guide version id, direction id) → the direction's name, for a list of applications.

    The rows of a list (ListedApplication) carry their version's digest and status: no query.
    Other applications: one query for the versions of the whole list (their guide text
    deferred). The compiled guide is cached per process either way.
    """
    versions: dict[int, Any] = {}
    unread: set[int] = set()
    for a in apps:
        if isinstance(a, ListedApplication):
            if guide_version_visible(user, a.guide_version.status):
                versions[a.guide_version.pk] = a.guide_version
        else:
            unread.add(a.guide_version_id)
    if unread - versions.keys():
        for version in (
            guide_versions_visible_to(user).filter(pk__in=unread - versions.keys()).only("id", "digest", "label", "revision", "status")
        ):
            versions[version.pk] = version
    names: dict[tuple[int, str], str] = {}
    for pk, version in versions.items():
        guide = compiled_for(version).guide
        for d in guide.directions:
            names[(pk, d.id)] = d.name
    return names


def annotate_directions(user, apps) -> list[Any]:
    apps = list(apps)
    names = direction_names(user, apps)
    for a in apps:
        a.direction_name = names.get((a.guide_version_id, a.direction), "")
    return apps

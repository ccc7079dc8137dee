"""Read-only aggregates for the portal's queues and dashboards.

Every function except `publicity_list` starts from `applications_visible_to(user)`, so a
programme officer's dashboard counts only their programmes and a district's only its
jurisdiction. Each is one or two grouped queries, whatever the number of applications.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from yongke.applications.models import Application
from yongke.applications.selectors import applications_visible_to
from yongke.applications.workflow import SUPPORTED_STATES
from yongke.core.directions import direction_key, direction_order

# Applications that hold a decided amount (funded or checked, and what follows).
_SUPPORTED = Q(funding="pre", state__in=SUPPORTED_STATES["pre"]) | Q(funding="post", state__in=SUPPORTED_STATES["post"])
# Applications that reached the programme office: everything but drafts and un-confirmed proposals.
_SUBMITTED = ~Q(state__in=("draft", "proposed", "declined"))


def publicity_list(*, call_id: int | None = None) -> QuerySet[Application]:
    """The 公示 list: every application in its publicity period, for anyone to read.

    Publicity is public by law, so this is the one read here not built on
    `applications_visible_to` (which shows an anonymous visitor nothing). Callers must show
    only what a 公示 publishes: title, organisation, direction, amount and the window.
    """
    qs = Application.objects.filter(state="published").select_related("organisation", "call")
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    return qs.order_by("call_id", *direction_order(), "id")


def queue_counts(user) -> dict[tuple[str, str], int]:
    """How many visible applications wait in each (funding, state)."""
    rows = applications_visible_to(user).order_by().values("funding", "state").annotate(n=Count("id"))
    return {(r["funding"], r["state"]): r["n"] for r in rows}


def totals_by(user, field: str, *, submitted_only: bool = True) -> list[dict[str, Any]]:
    """Per value of `field` (programme, direction, organisation__district, …): the number of
    applications, the funds requested and the funds decided."""
    qs = applications_visible_to(user)
    if submitted_only:
        qs = qs.filter(_SUBMITTED)
    rows = (
        qs.order_by()
        .values(field)
        .annotate(
            n=Count("id"), requested=Coalesce(Sum("requested_amount"), 0), decided=Coalesce(Sum("decided_amount", filter=_SUPPORTED), 0)
        )
        .order_by(field)
    )
    out = [{"key": r[field] or "", "n": r["n"], "requested": int(r["requested"]), "decided": int(r["decided"])} for r in rows]
    if field in ("programme", "direction"):  # codes in their numeric order: 2 before 10, 2.1 before 14.1
        out.sort(key=lambda r: direction_key(r["key"]))
    return out


def totals_by_unit(user) -> list[dict[str, Any]]:
    """Per recommending unit: the development zone when the organisation is in one, else its district."""
    qs = applications_visible_to(user).filter(_SUBMITTED)
    rows = (
        qs.order_by()
        .values("organisation__zone", "organisation__district")
        .annotate(
            n=Count("id"), requested=Coalesce(Sum("requested_amount"), 0), decided=Coalesce(Sum("decided_amount", filter=_SUPPORTED), 0)
        )
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r["organisation__zone"] or r["organisation__district"] or ""
        acc = out.setdefault(key, {"key": key, "n": 0, "requested": 0, "decided": 0})
        acc["n"] += r["n"]
        acc["requested"] += int(r["requested"])
        acc["decided"] += int(r["decided"])
    return sorted(out.values(), key=lambda a: -a["n"])


def totals_by_industry_section(user) -> list[dict[str, Any]]:
    """Per GB/T 4754 section (门类, the code's letter): an empty code counts as ''."""
    out: dict[str, dict[str, Any]] = {}
    for r in totals_by(user, "organisation__industry"):
        key = r["key"][:1]
        acc = out.setdefault(key, {"key": key, "n": 0, "requested": 0, "decided": 0})
        for k in ("n", "requested", "decided"):
            acc[k] += r[k]
    return sorted(out.values(), key=lambda a: -a["n"])


def submissions_by_day(user, *, call_id: int | None = None) -> list[tuple[dt.date, int]]:
    """Submissions per day (Beijing time), for the run-up to a deadline."""
    qs = applications_visible_to(user).filter(submitted_at__isnull=False)
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    rows = (
        qs.order_by()
        .annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return [(r["day"], r["n"]) for r in rows]


def budget_use(user, calls) -> list[dict[str, Any]]:
    """Per call and budget line (a direction or a project id): the budget and the amount decided."""
    calls = list(calls)
    decided: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        applications_visible_to(user)
        .filter(_SUPPORTED, call__in=[c.pk for c in calls])
        .order_by()
        .values("call_id", "direction")
        .annotate(total=Coalesce(Sum("decided_amount"), 0))
    )
    for r in rows:
        decided[r["call_id"]][r["direction"]] += int(r["total"])
    out = []
    for call in calls:
        for key, budget in sorted(call.budgets.items(), key=lambda kv: direction_key(kv[0])):
            spent = sum(v for d, v in decided[call.pk].items() if d == key or d.split(".")[0] == key)
            out.append({"call": call, "key": key, "budget": int(budget), "decided": spent})
    return out

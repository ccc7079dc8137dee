"""Direction (and project) codes in their numeric order: 1.1, 1.2, 2.1 … 14.1, never 1.1, 14.1, 2.1.

`direction_key` sorts codes in Python; `direction_order` orders a queryset by a code column
in the database the same way (SQLite and PostgreSQL alike, no cast that a stray code could
break). Every list of directions — selectors, API lists, queues, exports — sorts with these.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, F, OrderBy, Value, When
from django.db.models.functions import Length, StrIndex, Substr


def direction_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """A direction code's parts as sort keys (project 14, direction 1 → ((0, 14, ''), (0, 1, ''))):
    numbers compare as numbers, other parts as text after them."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in str(code).split("."))


def sort_directions(codes: Iterable[str]) -> list[str]:
    return sorted(codes, key=direction_key)


def direction_order(field: str = "direction") -> list[OrderBy]:
    """order_by(*direction_order()) sorts direction codes as numbers in the database (project 2 before 14).

    Each part before and after the first dot is ordered by its length, then its text: for
    digits that is their numeric order, and nothing is cast, so no code can make it fail.
    """
    dot = StrIndex(field, Value("."))
    has_dot = When(**{f"{field}__contains": "."}, then=Substr(field, 1, dot - 1))
    major = Case(has_dot, default=F(field))
    minor = Case(When(**{f"{field}__contains": "."}, then=Substr(field, dot + 1)), default=Value(""))
    return [Length(major).asc(), major.asc(), Length(minor).asc(), minor.asc()]

"""Keyset (cursor) pagination: the page after a row, found through the ordering's index.

OFFSET pagination makes the database walk and throw away every row before the page, so the
last page of a long list costs the whole list. A keyset page instead asks for the rows that
sort after the previous page's last row — `WHERE (created_at, id) < (…, …)` for an ordering
`-created_at, -id` — which an index on the ordering answers by seeking, whatever the depth.

A cursor is the last row's ordering values, JSON in URL-safe base64. It is not a secret and
needs no signature: it only says where to start inside a queryset that is already limited to
what the caller may see, so a forged cursor seeks within the same rows.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from yongke.core.errors import BadInput

_MAX_CURSOR = 400
_KINDS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "DateTimeField",
        "DateField",
        "CharField",
    }
)


def _bad_cursor() -> BadInput:
    return BadInput(
        "cursor: 翻页游标无效，请从第一页重新翻页 / invalid cursor: start again from the first page", detail={"field": "cursor"}
    )


@dataclass(frozen=True)
class Keyset:
    """The ordering of a queryset as (column, descending, kind, nullable) per ordering field;
    a nullable column's NULLs sort last."""

    fields: tuple[tuple[str, bool, str, bool], ...]

    @classmethod
    def of(cls, qs: Any) -> Keyset | None:
        """The keyset of a queryset ordered by concrete columns ending in a unique one; None for a
        list, an unordered queryset or an ordering a keyset cannot walk. A nullable column may take
        part when the ordering puts its NULLs last (`F(name).asc(nulls_last=True)`), which both
        SQLite and PostgreSQL then agree on."""
        if not isinstance(qs, QuerySet) or not qs.query.order_by:
            return None
        model: type[Model] = qs.model
        fields: list[tuple[str, bool, str, bool]] = []
        for item in qs.query.order_by:
            nulls_last = False
            if isinstance(item, OrderBy) and isinstance(item.expression, F):
                name, desc, nulls_last = str(item.expression.name), item.descending, bool(item.nulls_last)  # type: ignore[attr-defined]  # F.name is untyped in django-stubs
            elif isinstance(item, str) and item != "?":
                desc, name = item.startswith("-"), item.lstrip("-+")
            else:
                return None
            if name == "pk":
                name = model._meta.pk.name if model._meta.pk is not None else "id"
            if "__" in name:
                return None
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            if not isinstance(field, Field):  # a reverse relation
                return None
            if not getattr(field, "concrete", False) or (getattr(field, "null", True) and not nulls_last):
                return None
            kind = field.get_internal_type()
            if kind not in _KINDS:
                return None
            fields.append((field.attname, desc, kind, bool(getattr(field, "null", False))))
        last = model._meta.get_field(fields[-1][0]) if fields else None
        if not isinstance(last, Field) or not (last.primary_key or last.unique) or fields[-1][3]:
            return None  # without a unique last column two rows could tie and one would be skipped
        return cls(tuple(fields))

    def cursor(self, row: Model) -> str:
        """The cursor that continues after `row`."""
        values = [_dump(getattr(row, name)) for name, _, _, _ in self.fields]
        return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")

    def _values(self, cursor: str) -> list[Any]:
        if len(cursor) > _MAX_CURSOR:
            raise _bad_cursor()
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _bad_cursor() from None
        if not isinstance(raw, list) or len(raw) != len(self.fields):
            raise _bad_cursor()
        return [
            None if value is None and nullable else _load(value, kind)
            for value, (_, _, kind, nullable) in zip(raw, self.fields, strict=True)
        ]

    def after(self, qs: QuerySet, cursor: str) -> QuerySet:
        """The rows of `qs` that sort after the cursor's row (qs keeps its ordering)."""
        return qs.filter(self._beyond(self._values(cursor), forward=True))

    def before(self, qs: QuerySet, cursor: str) -> QuerySet:
        """The rows of `qs` that sort before the cursor's row, nearest first (the ordering
        reversed: take a page of them and reverse it back)."""
        values = self._values(cursor)
        # A descending column reversed is ascending and vice versa; NULLs (last going forward) come first.
        reverse = [
            (F(name).asc(nulls_first=True) if desc else F(name).desc(nulls_first=True)) if nullable else (name if desc else f"-{name}")
            for name, desc, _, nullable in self.fields
        ]
        return qs.filter(self._beyond(values, forward=False)).order_by(*reverse)

    def _beyond(self, values: list[Any], *, forward: bool) -> Q:
        # (a, b, c) after (x, y, z): a beyond x, or a = x and b beyond y, or a = x and b = y and
        # c beyond z — "beyond" is > for an ascending column and < for a descending one going
        # forward, the reverse going back; a NULL sorts after every value.
        directions = {desc for _, desc, _, _ in self.fields}
        if len(directions) == 1 and not any(nullable for *_, nullable in self.fields):
            # One direction, no NULLs: a row-value comparison, `(a, b) < (x, y)`, which PostgreSQL
            # answers with one seek on the ordering's index (Django spells it out where the
            # database lacks row values).
            lookup = TupleLessThan if directions.pop() == forward else TupleGreaterThan
            return Q(lookup(Tuple(*(F(name) for name, *_ in self.fields)), values))
        cond = Q(pk__in=[])
        for i, (name, desc, _, nullable) in enumerate(self.fields):
            value = values[i]
            if value is None:
                step = Q(pk__in=[]) if forward else Q(**{f"{name}__isnull": False})
            else:
                step = Q(**{f"{name}__{'lt' if desc == forward else 'gt'}": value})
                if nullable and forward:
                    step |= Q(**{f"{name}__isnull": True})
            for j in range(i):
                prior, prior_value = self.fields[j][0], values[j]
                step &= Q(**{f"{prior}__isnull": True}) if prior_value is None else Q(**{prior: prior_value})
            cond |= step
        return cond


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _load(value: Any, kind: str) -> Any:
    try:
        if kind == "DateTimeField":
            if not isinstance(value, str):
                raise ValueError
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError
            return parsed
        if kind == "DateField":
            if not isinstance(value, str):
                raise ValueError
            return dt.date.fromisoformat(value)
        if kind == "CharField":
            if not isinstance(value, str):
                raise ValueError
            return value
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
            raise ValueError
        return value
    except ValueError:
        raise _bad_cursor() from None


def capped_count(qs, limit: int) -> int:
    """How many rows, counted no further than limit + 1: a count that costs the same however
    long the list grows (COUNT(*) over a LIMIT, without the list's joins and ordering)."""
    return qs.order_by().values("pk")[: limit + 1].count()

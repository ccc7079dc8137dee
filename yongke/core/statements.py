"""Queries compiled to SQL once per process and run again with other values.

Building a queryset and compiling it costs more than the database takes to answer a simple one
(the request's user with its grants: 2 ms of Python for a 0.2 ms query), and every request asks
the same few: its session, its user, its second factor. A `Statement` builds its queryset once,
around stand-in values, keeps the SQL and its parameters per database vendor, and runs it with
the real values in the stand-ins' places through `raw()` (the model's instances, each annotation
an attribute). The values are bound parameters, never text in the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

# Stand for the values while a statement is compiled (an integer in every column's range, a text
# no hash or code takes); the compiled parameters hold each once, where its value goes. A column
# whose values the database adapter converts (dates and times on SQLite) takes no stand-in.
STAND_IN_ID = -7_654_321
STAND_IN_TEXT = "\u2063stand-in\u2063"


class Statement:
    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any) -> None:
        """`build(*stand_ins)`: the queryset, using each stand-in once (an equality on an id or
        a text column); none for a query that takes no value."""
        self._build = build
        self._stand_ins = stand_ins
        self._compiled: dict[str, tuple[type[Model], str, tuple[Any, ...], tuple[int, ...]]] = {}

    def _sql(self, using: str) -> tuple[type[Model], str, tuple[Any, ...], tuple[int, ...]]:
        vendor = connections[using].vendor
        found = self._compiled.get(vendor)
        if found is None:
            qs = self._build(*self._stand_ins)
            sql, params = qs.query.get_compiler(using=using).as_sql()
            params = tuple(params)
            places = []
            for stand_in in self._stand_ins:
                at = [i for i, p in enumerate(params) if type(p) is type(stand_in) and p == stand_in]
                if len(at) != 1:
                    raise ValueError("a Statement's queryset uses each of its values once")
                places.append(at[0])
            found = self._compiled[vendor] = (qs.model, sql, params, tuple(places))
        return found

    def rows(self, *values: Any, using: str = "default") -> list[Any]:
        """The model instances the queryset gives for `values` (in the stand-ins' order)."""
        model, sql, params, places = self._sql(using)
        if len(values) != len(places):
            raise TypeError(f"this statement takes {len(places)} value(s)")
        bound = list(params)
        for at, value in zip(places, values, strict=True):
            bound[at] = value
        return list(model._default_manager.db_manager(using).raw(sql, bound))

    def first(self, *values: Any, using: str = "default") -> Any:
        found = self.rows(*values, using=using)
        return found[0] if found else None

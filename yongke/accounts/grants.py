"""A user's role grants read in the query that reads the user (the session's user, a token's):
one string, each grant's four values (role, organisation id, unit, programme) joined by the unit
separator and the grants by the record separator, neither of which a role, a unit code or a
programme number holds. `accounts.selectors.scope_from_packed` makes the scope of it."""

from __future__ import annotations

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.aggregates import StringAgg
from django.db.models.functions import Cast, Coalesce, Concat

from yongke.accounts.models import RoleGrant

_FIELD_SEP, _GRANT_SEP = "\x1f", "\x1e"
GRANTS_ANNOTATION = "_yongke_grants"


def grants_packed(user_ref: str = "pk") -> Subquery:
    """A subquery for annotating a query of users (`user_ref` naming the user's key): the
    user's grants as one string (NULL: none)."""
    row = Concat(
        "role",
        Value(_FIELD_SEP),
        Coalesce(Cast("organisation_id", CharField()), Value("")),
        Value(_FIELD_SEP),
        "unit",
        Value(_FIELD_SEP),
        "programme",
        output_field=CharField(),
    )
    per_user = RoleGrant.objects.filter(user=OuterRef(user_ref)).order_by().values("user")
    return Subquery(per_user.annotate(packed=StringAgg(row, Value(_GRANT_SEP))).values("packed"), output_field=CharField())


def unpack_grants(packed: str | None) -> list[tuple[str, int | None, str, str]]:
    """The grants of `grants_packed`'s string: (role, organisation id or None, unit, programme)."""
    grants = []
    for item in (packed or "").split(_GRANT_SEP):
        if item:
            role, org, unit, programme = item.split(_FIELD_SEP)
            grants.append((role, int(org) if org else None, unit, programme))
    return grants

"""Who a user is: their roles and the scopes of those roles. Every access check starts here."""

from __future__ import annotations

from dataclasses import dataclass, field

from yongke.accounts.models import ApiToken, Role, RoleGrant


@dataclass(frozen=True)
class Scope:
    """A user's roles, resolved once per request."""

    roles: frozenset[str] = frozenset()
    organisations: frozenset[int] = frozenset()  # as applicant or org admin
    admin_of: frozenset[int] = frozenset()  # as org admin
    units: frozenset[str] = frozenset()  # as recommender
    programmes: frozenset[str] = frozenset()  # as officer; "*" for all
    is_superuser: bool = False
    extra: dict = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or bool(self.roles & {Role.SYSADMIN, Role.AUDITOR})

    def officer_for(self, programme: str) -> bool:
        return self.is_superuser or (Role.OFFICER in self.roles and ("*" in self.programmes or programme in self.programmes))


ANONYMOUS = Scope()


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_yongke_scope", None)
    if cached is not None:
        return cached
    grants = list(RoleGrant.objects.filter(user=user))
    scope = Scope(
        roles=frozenset(g.role for g in grants),
        organisations=frozenset(g.organisation_id for g in grants if g.role in (Role.APPLICANT, Role.ORG_ADMIN) and g.organisation_id),
        admin_of=frozenset(g.organisation_id for g in grants if g.role == Role.ORG_ADMIN and g.organisation_id),
        units=frozenset(g.unit for g in grants if g.role == Role.RECOMMENDER and g.unit),
        programmes=frozenset(g.programme for g in grants if g.role == Role.OFFICER and g.programme),
        is_superuser=bool(user.is_superuser),
    )
    user._yongke_scope = scope
    return scope


def require_role(actor, *roles: str, message: str = "无权执行该操作 / not allowed") -> None:
    """The one role check of the services: the console operator (actor None) may do anything;
    a user needs one of the roles."""
    if actor is None:
        return
    if not scope_of(actor).has(*roles):
        from yongke.core.errors import PermissionDenied

        raise PermissionDenied(message, detail={"roles": list(roles)})


def user_for_token(key: str):
    """The active user of a bearer token, or None."""
    import hashlib

    from django.utils import timezone

    digest = hashlib.sha256(key.encode()).hexdigest()
    token = ApiToken.objects.select_related("user").filter(key_hash=digest, revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user

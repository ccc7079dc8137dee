"""Who a user is: their roles and the scopes of those roles. Every access check starts here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from yongke.accounts.actors import System, Viewer
from yongke.accounts.models import ApiToken, Role, RoleGrant
from yongke.core.errors import PermissionDenied

if TYPE_CHECKING:
    from yongke.orgs.models import Organisation


@dataclass(frozen=True)
class Scope:
    """A user's roles, resolved once per request."""

    roles: frozenset[str] = frozenset()
    organisations: frozenset[int] = frozenset()  # as applicant or org admin
    admin_of: frozenset[int] = frozenset()  # as org admin
    units: frozenset[str] = frozenset()  # as recommender
    programmes: frozenset[str] = frozenset()  # as officer; "*" for all
    is_superuser: bool = False
    is_system: bool = False  # the console, the demo loader, scheduled work: System("reason")
    extra: dict = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        return self.is_system or self.is_superuser or bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        return self.is_system or self.is_superuser or bool(self.roles & {Role.SYSADMIN, Role.AUDITOR})

    def officer_for(self, programme: str) -> bool:
        return (
            self.is_system or self.is_superuser or (Role.OFFICER in self.roles and ("*" in self.programmes or programme in self.programmes))
        )


ANONYMOUS = Scope()
SYSTEM = Scope(is_system=True)


# The scope is kept on the user object itself, so it lives exactly as long as the request's
# user (a fresh instance, e.g. after a role is granted, resolves again).
_SCOPE_ATTR = "_yongke_scope"


def _cached_scope(user: User) -> Scope | None:
    cached = getattr(user, _SCOPE_ATTR, None)
    return cached if isinstance(cached, Scope) else None


def scope_of(user: Viewer | None) -> Scope:
    """The roles and scopes of whoever asks; nobody (None, anonymous, inactive) holds none."""
    if isinstance(user, System):
        return SYSTEM
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = _cached_scope(user)
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
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def require_role(actor: Viewer | None, *roles: str, message: str = "无权执行该操作 / not allowed") -> Scope:
    """The one role check of the services: the actor holds one of the roles (System holds all).
    Returns the actor's scope for the checks that follow."""
    scope = scope_of(actor)
    if not scope.has(*roles):
        raise PermissionDenied(message, detail={"roles": list(roles)})
    return scope


def user_for_token(key: str) -> User | None:
    """The active user of a bearer token, or None."""
    import hashlib

    from django.utils import timezone

    digest = hashlib.sha256(key.encode()).hexdigest()
    token = ApiToken.objects.select_related("user").filter(key_hash=digest, revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def members_of(user: Viewer, organisation: Organisation) -> QuerySet[RoleGrant]:
    """The accounts of an organisation, for its admin (and system admins)."""
    scope = scope_of(user)
    if not (organisation.pk in scope.admin_of or scope.has(Role.SYSADMIN)):
        raise PermissionDenied("只有本单位管理员可以查看成员账户 / org admins only")
    return (
        RoleGrant.objects.filter(organisation=organisation, role__in=(Role.APPLICANT, Role.ORG_ADMIN))
        .select_related("user", "user__person")
        .order_by("user__username", "role")
    )

"""Who a user is: their roles and the scopes of those roles. Every access check starts here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from yongke.accounts.actors import System, Viewer
from yongke.accounts.models import Role, RoleGrant
from yongke.core.errors import PermissionDenied

if TYPE_CHECKING:
    from yongke.orgs.models import Organisation


# 三权分立 (等保): the system, security and audit administrators are three people, none of whom
# takes a workflow step. These roles may not be held together, nor with a workflow role.
ADMIN_ROLES = (Role.SYSADMIN, Role.SECURITY, Role.AUDITOR)
WORKFLOW_ROLES = (Role.ORG_ADMIN, Role.APPLICANT, Role.RECOMMENDER, Role.OFFICER, Role.FINANCE, Role.EXPERT)


def roles_compatible(roles: Iterable[str]) -> str | None:
    """Whether one user may hold all of `roles` at once (三权分立): None if so, else why not (a
    Chinese/English message naming the roles). Pure: the accounts service and the admin form ask it."""
    held = set(roles)
    admin = [r for r in ADMIN_ROLES if r in held]
    labels = {r.value: r.label for r in Role}
    if len(admin) > 1:
        names = "、".join(str(labels[r]) for r in admin)
        return f"{names}不能由同一人担任（三权分立）/ {', '.join(admin)} must be held by different people"
    workflow = [r for r in WORKFLOW_ROLES if r in held]
    if admin and workflow:
        names = "、".join(str(labels[r]) for r in workflow)
        return (
            f"{labels[admin[0]]}不能同时担任{names}（三权分立）/ "
            f"the {admin[0]} role cannot be held with a workflow role ({', '.join(workflow)})"
        )
    if Role.OFFICER in held and Role.FINANCE in held:
        # 不相容岗位分离: who decides and checks an amount (立项, 核查, 分配) is not who pays it.
        return (
            f"{labels[Role.OFFICER]}与{labels[Role.FINANCE]}不能由同一人担任（审批与拨付不相容）/ "
            "the officer and finance roles must be held by different people"
        )
    return None


@dataclass(frozen=True)
class Scope:
    """A user's roles, resolved once per request.

    Only the system (`System("reason")`) passes every check. Django's `is_superuser` flag grants
    nothing here: a system administrator manages accounts and reference data, not the workflow."""

    roles: frozenset[str] = frozenset()
    organisations: frozenset[int] = frozenset()  # as applicant or org admin
    admin_of: frozenset[int] = frozenset()  # as org admin
    units: frozenset[str] = frozenset()  # as recommender
    programmes: frozenset[str] = frozenset()  # as officer; "*" for all
    is_superuser: bool = False  # Django's flag, for information only: it implies no role
    is_system: bool = False  # the console, the demo loader, scheduled work: System("reason")
    extra: dict = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        return self.is_system or bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        """Reads every application, review, award and project: the system only. Officers of "*"
        see every programme's through `officer_for`; no administrator reads application content."""
        return self.is_system

    def officer_for(self, programme: str) -> bool:
        return self.is_system or (Role.OFFICER in self.roles and ("*" in self.programmes or programme in self.programmes))

    def officer_for_all(self, programmes: Iterable[str]) -> bool:
        """An officer of every one of `programmes` (a call's directions' programmes)."""
        return all(self.officer_for(p) for p in programmes)


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


def user_for_token(key: str, *, address: str | None = None) -> User | None:
    """The active user of a bearer token, or None for a key never issued; an expired or revoked
    token (or a disabled account) raises TokenRefused, which says why (HTTP 401). A use is
    audited, with the address, at most once per token per 10 minutes."""
    from yongke.accounts.tokens import token_user

    return token_user(key, address=address)


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

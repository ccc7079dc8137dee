"""Reads the portal needs that the domain does not offer yet (reported; see docs/portal.md)."""

from __future__ import annotations

from django.db.models import QuerySet

from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import scope_of
from yongke.core.errors import PermissionDenied
from yongke.orgs.models import Organisation


def members_of(user, organisation: Organisation) -> QuerySet[RoleGrant]:
    """The accounts of an organisation, for its admin (and system admins)."""
    scope = scope_of(user)
    if not (organisation.pk in scope.admin_of or scope.has(Role.SYSADMIN)):
        raise PermissionDenied("只有本单位管理员可以查看成员账户 / org admins only")
    return (RoleGrant.objects.filter(organisation=organisation, role__in=(Role.APPLICANT, Role.ORG_ADMIN))
            .select_related("user", "user__person").order_by("user__username", "role"))

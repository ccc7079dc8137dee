"""Accounts: users, their roles, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from yongke.accounts.actors import Actor
from yongke.accounts.models import ApiToken, Role, RoleGrant
from yongke.accounts.selectors import scope_of
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput, PermissionDenied
from yongke.core.regions import RECOMMENDING_UNITS

if TYPE_CHECKING:  # roles are scoped to the registry's organisations; accounts import no registry code
    from yongke.orgs.models import Organisation

SCOPED: dict[str, str] = {
    Role.ORG_ADMIN: "organisation",
    Role.APPLICANT: "organisation",
    Role.RECOMMENDER: "unit",
    Role.OFFICER: "programme",
}


@transaction.atomic
def user_add(
    *,
    actor: Actor,
    username: str,
    password: str | None = None,
    role: str,
    organisation: Organisation | None = None,
    unit: str = "",
    programme: str = "",
    email: str = "",
    full_name: str = "",
    password_hash: str | None = None,
) -> User:
    """Create a user (or add a role to an existing one).

    An organisation admin may create accounts only for its own organisation's members;
    everything else needs a system admin (or the system: the console, self-registration).
    """
    if role not in Role.values:
        raise BadInput(f"role: 未知角色 {role}，应为 {', '.join(Role.values)} / unknown role", detail={"field": "role", "value": role})
    scope = scope_of(actor)
    own_member = role == Role.APPLICANT and organisation is not None and organisation.pk in scope.admin_of
    if not (scope.has(Role.SYSADMIN) or own_member):
        raise PermissionDenied("无权创建该账户 / not allowed to create this account", detail={"role": role})
    need = SCOPED.get(role)
    if need == "organisation" and organisation is None:
        raise BadInput("organisation: 该角色须指定所属单位 / this role needs an organisation", detail={"field": "organisation"})
    if need == "unit" and unit not in RECOMMENDING_UNITS:
        raise BadInput(f"unit: 未知推荐单位 {unit} / unknown recommending unit", detail={"field": "unit", "value": unit})
    if need == "programme" and not programme:
        raise BadInput("programme: 项目处人员须指定专项编号（* 表示全部）/ programme required", detail={"field": "programme"})
    if not username or len(username) > 150:
        raise BadInput("username: 用户名不能为空且不超过150字符", detail={"field": "username"})
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=email, first_name=full_name[:150])
        if password_hash:  # already hashed (bulk set-up: hashing is deliberately slow)
            user.password = password_hash
        elif password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.is_staff = role in (Role.SYSADMIN,)
        user.is_superuser = role == Role.SYSADMIN
        user.full_clean(exclude=["password"])
        user.save()
    RoleGrant.objects.get_or_create(
        user=user,
        role=role,
        organisation=organisation if need == "organisation" else None,
        unit=unit if need == "unit" else "",
        programme=programme if need == "programme" else "",
    )
    audit_record(actor=actor, action="user_add", target_type="user", target_id=user.pk, data={"role": role, "username": username})
    return user


def token_create(*, actor: Actor, user: User, name: str) -> str:
    """A new API token for `user` (themself, or by a system admin); the key is shown once and only its hash is kept."""
    if not (getattr(actor, "pk", None) == user.pk or scope_of(actor).has(Role.SYSADMIN)):
        raise PermissionDenied("只能为本人创建令牌 / only your own tokens")
    key = "yk_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:8])
    return key

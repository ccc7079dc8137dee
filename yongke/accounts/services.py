"""Accounts: users, their roles, passwords, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from yongke.accounts.actors import Actor
from yongke.accounts.models import ApiToken, Role, RoleGrant
from yongke.accounts.selectors import roles_compatible, scope_of
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.core.regions import RECOMMENDING_UNITS

if TYPE_CHECKING:  # roles are scoped to the registry's organisations; accounts import no registry code
    from yongke.orgs.models import Organisation

SCOPED: dict[str, str] = {
    Role.ORG_ADMIN: "organisation",
    Role.APPLICANT: "organisation",
    Role.RECOMMENDER: "unit",
    Role.OFFICER: "programme",
}


def _password_problems(password: str, user: User | None, *, field: str) -> None:
    """The settings' validators (AUTH_PASSWORD_VALIDATORS); their messages in Chinese, then English."""

    def problems(language: str) -> list[str]:
        with translation.override(language):  # the validators translate as they validate
            try:
                password_validation.validate_password(password, user)
            except ValidationError as e:
                return [str(m) for m in e.messages]
        return []

    zh = problems("zh-hans")
    if zh:
        en = " ".join(problems("en"))
        raise BadInput(f"{field}: {''.join(zh)} / {en}", code="weak_password", detail={"field": field, "rule": "password_validators"})


def _check_separation(existing: set[str], role: str) -> None:
    """三权分立 (selectors.roles_compatible): an admin role is held alone; a workflow role never beside one."""
    why = roles_compatible(existing | {role})
    if why:
        raise Refused(f"role: {why}", code="separation_of_duties", detail={"field": "role", "role": role, "held": sorted(existing)})


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
    everything else (every other role grant) needs a system admin (or the system: the console,
    self-registration). A password given in clear must pass the password validators; a
    `password_hash` (bulk set-up) is taken as it is. Adding a role to an existing account
    revokes its API tokens (they were issued for what it could do before).
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
    UserModel = get_user_model()
    user = UserModel.objects.select_for_update().filter(username=username).first()
    created = user is None
    if user is None:
        user = UserModel(username=username, email=email, first_name=full_name[:150])
        if password_hash:  # already hashed (bulk set-up: hashing is deliberately slow)
            user.password = password_hash
        elif password:
            _password_problems(password, user, field="password")
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.is_staff = role == Role.SYSADMIN
        user.is_superuser = False  # a system admin administers; what it may do is its role's, not Django's superuser
        user.full_clean(exclude=["password"])
        user.save()
    else:
        _check_separation(set(user.role_grants.values_list("role", flat=True)), role)
    grant, granted = RoleGrant.objects.get_or_create(
        user=user,
        role=role,
        organisation=organisation if need == "organisation" else None,
        unit=unit if need == "unit" else "",
        programme=programme if need == "programme" else "",
    )
    if granted and not created:
        _revoke_all(actor=actor, user=user, reason="role_change")
        if role == Role.SYSADMIN and not user.is_staff:
            type(user).objects.filter(pk=user.pk).update(is_staff=True)
            user.is_staff = True
    scope_data = {"organisation": grant.organisation_id, "unit": grant.unit, "programme": grant.programme}
    audit_record(
        actor=actor,
        action="user_add" if created else "role_grant",
        target_type="user",
        target_id=user.pk,
        data={"role": role, "username": username, "scope": scope_data, "new_grant": granted},
    )
    return user


@transaction.atomic
def role_remove(
    *, actor: Actor, user: User, role: str, organisation: Organisation | None = None, unit: str = "", programme: str = ""
) -> int:
    """A system admin takes a role (with its scope, or every grant of it) from an account; its API tokens are revoked."""
    if not scope_of(actor).has(Role.SYSADMIN):
        raise PermissionDenied("只有系统管理员可以调整角色 / system admins only", detail={"role": role})
    grants = RoleGrant.objects.filter(user=user, role=role)
    if organisation is not None:
        grants = grants.filter(organisation=organisation)
    if unit:
        grants = grants.filter(unit=unit)
    if programme:
        grants = grants.filter(programme=programme)
    removed, _ = grants.delete()
    if removed:
        _revoke_all(actor=actor, user=user, reason="role_change")
        if role == Role.SYSADMIN and not user.role_grants.filter(role=Role.SYSADMIN).exists():
            type(user).objects.filter(pk=user.pk).update(is_staff=False)
        audit_record(
            actor=actor,
            action="role_remove",
            target_type="user",
            target_id=user.pk,
            data={
                "role": role,
                "organisation": getattr(organisation, "pk", None),
                "unit": unit,
                "programme": programme,
                "removed": removed,
            },
        )
    return removed


# --------------------------------------------------------------------------- passwords


@transaction.atomic
def password_set(*, actor: Actor, user: User, password: str, how: str = "change", address: str | None = None) -> User:
    """A new password for `user` (the user themself, after a reset link, or the system):
    validated, stored, the account's API tokens revoked, audited. Other sessions end by
    themselves (Django checks the password's hash on every request); the face keeps the
    current one with `update_session_auth_hash`."""
    if not (getattr(actor, "pk", None) == user.pk or scope_of(actor).is_system):
        raise PermissionDenied("只能修改本人的密码 / only your own password")
    _password_problems(password, user, field="new_password1")
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = _revoke_all(actor=actor, user=user, reason="password_change")
    audit_record(
        actor=actor,
        action="password_reset" if how == "reset" else "password_change",
        target_type="user",
        target_id=user.pk,
        address=address,
        data={"tokens_revoked": revoked},
    )
    return user


# --------------------------------------------------------------------------- API tokens


def _may_manage_tokens(actor: Actor, user: User) -> bool:
    return getattr(actor, "pk", None) == user.pk or scope_of(actor).has(Role.SYSADMIN, Role.SECURITY)


@transaction.atomic
def token_create(*, actor: Actor, user: User, name: str, address: str | None = None) -> str:
    """A new API token for `user` (themself, or by a system admin); the key is shown once and only its hash is kept.

    It expires after YONGKE_TOKEN_DAYS; a user holds at most YONGKE_TOKENS_PER_USER active tokens."""
    if not (getattr(actor, "pk", None) == user.pk or scope_of(actor).has(Role.SYSADMIN)):
        raise PermissionDenied("只能为本人创建令牌 / only your own tokens")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise BadInput("name: 令牌用途不能为空且不超过100字符 / name required, at most 100 characters", detail={"field": "name"})
    now = timezone.now()
    type(user).objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user: the count holds
    limit = settings.YONGKE_TOKENS_PER_USER
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= limit:
        raise Refused(
            f"tokens: 有效令牌已达上限 {limit} 个，请先吊销不用的令牌 / at most {limit} active tokens: revoke one first",
            code="token_limit",
            detail={"field": "tokens", "limit": limit, "active": active},
        )
    key = "yk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        prefix=key[:8],
        expires_at=now + dt.timedelta(days=settings.YONGKE_TOKEN_DAYS),
    )
    audit_record(
        actor=actor,
        action="token_create",
        target_type="api_token",
        target_id=token.pk,
        address=address,
        data={
            "user": user.username,
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return key


def token_list(*, actor: Actor, user: User) -> list[ApiToken]:
    """The tokens of `user`, newest first (themself, a system or security admin)."""
    if not _may_manage_tokens(actor, user):
        raise PermissionDenied("只能查看本人的令牌 / only your own tokens")
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken, reason: str = "revoked") -> ApiToken:
    """Revoke one token (its owner, a system or security admin); revoking it again changes nothing."""
    if not _may_manage_tokens(actor, token.user):
        raise PermissionDenied("只能吊销本人的令牌 / only your own tokens", detail={"token": token.pk})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_reason = reason[:40]
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            actor=actor,
            action="token_revoke",
            target_type="api_token",
            target_id=token.pk,
            data={"user": token.user.username, "reason": reason},
        )
    return token


@transaction.atomic
def tokens_revoke_all(*, actor: Actor, user: User, reason: str = "revoked") -> int:
    """Revoke every active token of `user`; how many were revoked."""
    if not _may_manage_tokens(actor, user):
        raise PermissionDenied("只能吊销本人的令牌 / only your own tokens")
    return _revoke_all(actor=actor, user=user, reason=reason)


def _revoke_all(*, actor: Actor, user: User, reason: str) -> int:
    ids = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("pk", flat=True))
    if ids:
        ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now(), revoked_reason=reason[:40])
        audit_record(actor=actor, action="tokens_revoke", target_type="user", target_id=user.pk, data={"tokens": ids, "reason": reason})
    return len(ids)

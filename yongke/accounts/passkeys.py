"""Passkeys (WebAuthn) as a second factor beside the authenticator app, with django-otp-webauthn.

Policy (docs/mfa.md): a passkey is added by a user who already has the authenticator app and
has verified it in this session (so a stolen password alone cannot add one), and it is a second
factor only — the password, with its lockout, always comes first (passwordless sign-in is off).
The authenticator app and the recovery codes stay: re-authentication before money actions asks
for the password and a code, and a lost passkey is removed by its owner or by the security
administrator's reset (which removes every device). Each registration, use, failure and removal
is audited, as the authenticator's are.

The ceremonies themselves (challenge, signature, origin and relying-party checks, the sign
counter) are the library's; the portal's views (yongke/portal/views/passkeys.py) call these
services before and after them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django_otp_webauthn.models import WebAuthnCredential

from yongke.accounts import mfa
from yongke.accounts.actors import Actor
from yongke.core.errors import BadInput, NotFound

DEVICE = "passkey"


def allowed_origins() -> list[str]:
    return [str(o) for o in getattr(settings, "OTP_WEBAUTHN_ALLOWED_ORIGINS", [])]


def origin_allowed(origin: str) -> bool:
    """Whether a browser on `origin` (scheme://host[:port]) can use this site's passkeys."""
    return origin.rstrip("/") in allowed_origins()


def passkeys_of(viewer: Actor, user: User) -> list[dict[str, Any]]:
    """One's own passkeys, oldest first: name, when added, when last used."""
    mfa._require_self(viewer, user)
    rows = WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    return [{"id": c.pk, "name": c.name, "created_at": c.created_at, "last_used_at": c.last_used_at} for c in rows]


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def may_register(*, actor: Actor, user: User) -> None:
    """Refuse a registration the policy does not allow: one's own, with the authenticator app bound."""
    mfa._require_self(actor, user)
    if not mfa.has_device(user):
        raise BadInput(
            "请先绑定验证器应用，再添加通行密钥 / bind an authenticator app before adding a passkey",
            code="authenticator_first",
            detail={"field": "device"},
        )


def registered(*, actor: Actor, user: User, credential_id: int, address: str | None = None) -> None:
    """Name (when the authenticator gave no name) and audit a passkey the library has just stored."""
    mfa._require_self(actor, user)
    with transaction.atomic():
        credential = WebAuthnCredential.objects.select_for_update().get(pk=credential_id, user=user)
        if not credential.name:
            n = WebAuthnCredential.objects.filter(user=user, pk__lte=credential.pk).count()
            credential.name = f"通行密钥 {n}"
            credential.save(update_fields=["name"])
        data = {"device": DEVICE, "credential": credential.pk, "name": credential.name}
        mfa._audit(actor, user, "mfa.enrolled", to_state=DEVICE, address=address, data=data)


def verified(*, actor: Actor, user: User, credential_id: int, address: str | None = None) -> None:
    """Audit a second-factor verification made with a passkey."""
    mfa._require_self(actor, user)
    mfa._audit(actor, user, "mfa.verified", address=address, data={"device": DEVICE, "credential": credential_id})


def failed(*, actor: Actor, user: User, step: str, code: str, address: str | None = None) -> None:
    """Audit a refused registration or verification (`step`: register / verify)."""
    mfa._require_self(actor, user)
    action = "mfa.enrol_failed" if step == "register" else "mfa.verify_failed"
    mfa._audit(actor, user, action, address=address, data={"device": DEVICE, "reason": code})


def remove(*, actor: Actor, user: User, credential_id: Any, address: str | None = None) -> None:
    """Remove one of one's own passkeys (a lost or replaced device); audited."""
    mfa._require_self(actor, user)
    try:
        pk = int(credential_id)
    except (TypeError, ValueError):
        raise BadInput("credential: 通行密钥编号无效 / not a passkey id", detail={"field": "credential"}) from None
    with transaction.atomic():
        credential = WebAuthnCredential.objects.select_for_update().filter(pk=pk, user=user).first()
        if credential is None:
            raise NotFound("没有这个通行密钥 / no such passkey", detail={"field": "credential"})
        name = credential.name
        credential.delete()
        mfa._audit(actor, user, "mfa.passkey_removed", to_state="removed", address=address, data={"credential": pk, "name": name})

"""A bearer token presented to the API: whose it is, or why it no longer works."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth.models import User
from django.utils import timezone

from yongke.accounts.models import ApiToken
from yongke.core.errors import YongkeError

# A token's use is written to the audit log (and its last use and address stored) at most this often,
# or sooner when it comes from another address.
USE_RECORDED_EVERY = dt.timedelta(minutes=10)


class TokenRefused(YongkeError):
    """A token that was valid once: expired, revoked, or its account disabled (HTTP 401)."""

    code = "token_invalid"
    status = 401


def token_user(key: str, *, address: str | None = None) -> User | None:
    """The active user of a bearer token; None for a key never issued; TokenRefused for one
    that no longer works, with why."""
    from yongke.audit.services import audit_record

    digest = hashlib.sha256(key.encode()).hexdigest()
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=digest)  # unique: no ORDER BY, as .first() adds
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    state = token.state_at(now)
    if state == "revoked":
        raise TokenRefused("令牌已被吊销，请重新申请 / this token was revoked", code="token_revoked", detail={"prefix": token.prefix})
    if state == "expired":
        raise TokenRefused("令牌已过期，请重新申请 / this token has expired", code="token_expired", detail={"prefix": token.prefix})
    if not token.user.is_active:
        raise TokenRefused("账户已停用 / this account is disabled", code="account_disabled", detail={"prefix": token.prefix})
    if token.last_used_at is None or now - token.last_used_at >= USE_RECORDED_EVERY or token.last_used_address != address:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_address=address)
        audit_record(
            actor=token.user,
            action="token_use",
            target_type="api_token",
            target_id=token.pk,
            address=address,
            data={"prefix": token.prefix},
        )
    return token.user

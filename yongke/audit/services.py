"""Writing to the audit log: every state change calls `audit_record` inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

from yongke.audit.models import AuditEvent

if TYPE_CHECKING:  # the log sits below the accounts: it only names whoever acted
    from yongke.accounts.actors import Viewer


def audit_record(
    *,
    actor: Viewer | None,
    action: str,
    target_type: str,
    target_id: Any,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    address: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """One entry of the append-only log. A user is named by username, the system as
    ``system:<reason>``, nobody signed in as ``anonymous``."""
    name = getattr(actor, "username", None) or "anonymous"
    event = AuditEvent(
        actor=actor if isinstance(actor, User) else None,
        actor_name=name,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        from_state=from_state,
        to_state=to_state,
        comment=comment or "",
        address=address,
        data=data or {},
    )
    event.save()
    return event

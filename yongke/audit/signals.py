"""Entries for what happens outside the services: signing in and out, and Django-admin edits."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.models import User

from yongke.audit.services import audit_record

USERNAME_LIMIT = 64  # the target column's width


def _request_address(request: Any) -> str | None:
    meta = getattr(request, "META", None)
    return (meta or {}).get("REMOTE_ADDR") or None  # audit_record turns a trusted proxy into its client


def on_login(sender: Any, request: Any = None, user: User | None = None, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(actor=user, action="login", target_type="user", target_id=user.pk, address=_request_address(request))


def on_login_failed(sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any) -> None:
    """A failed sign-in: the username tried (never the password), as nobody signed in."""
    credentials = credentials or {}
    tried = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    audit_record(
        actor=None,
        action="login_failed",
        target_type="user",
        target_id=tried[:USERNAME_LIMIT],
        address=_request_address(request),
        data={"username": tried[:150]},
    )


def on_logout(sender: Any, request: Any = None, user: User | None = None, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    audit_record(actor=user, action="logout", target_type="user", target_id=user.pk, address=_request_address(request))


ADMIN_ACTIONS = {1: "admin_add", 2: "admin_change", 3: "admin_delete"}


def record_admin_entries(entries: Any) -> None:
    """Each LogEntry the admin wrote becomes an audit entry: the object, the action, the change message."""
    for entry in entries if isinstance(entries, list | tuple) else [entries]:
        ct = entry.content_type
        audit_record(
            actor=entry.user,
            action=ADMIN_ACTIONS.get(entry.action_flag, "admin_edit"),
            target_type=f"{ct.app_label}.{ct.model}" if ct else "admin",
            target_id=entry.object_id or "",
            comment=entry.get_change_message(),
            data={"object": entry.object_repr, "change_message": entry.change_message, "log_entry": entry.pk},
        )


def wrap_admin_log() -> None:
    """The admin writes its LogEntry rows with bulk_create (no post_save signal): the manager's
    `log_actions` is wrapped once so every entry it writes is also audited."""
    from django.contrib.admin.models import LogEntryManager

    original = LogEntryManager.log_actions
    if getattr(original, "_yongke_audited", False):
        return

    @functools.wraps(original)
    def log_actions(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if result:
            record_admin_entries(result)
        return result

    log_actions._yongke_audited = True  # type: ignore[attr-defined]
    LogEntryManager.log_actions = log_actions  # type: ignore[method-assign]

"""The backend settings name for password sign-in and the session's user: the accounts' one
(the user with its grants in one query), with the header's unread count in the same query."""

from __future__ import annotations

from typing import Any

from yongke.accounts.backends import ScopedModelBackend
from yongke.notifications.selectors import UNREAD_ANNOTATION, unread_subquery

PATH = "yongke.portal.backends.PortalBackend"  # as settings.AUTHENTICATION_BACKENDS and every session name it


class PortalBackend(ScopedModelBackend):
    def annotations(self) -> dict[str, Any]:
        return {**super().annotations(), UNREAD_ANNOTATION: unread_subquery()}

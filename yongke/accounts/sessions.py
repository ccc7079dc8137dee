"""The session engine (settings.SESSION_ENGINE): Django's database sessions, whose row is read
by a statement compiled once per process (core.statements) — every signed-in request reads it.
What is read is what Django reads: the row of the key, if it has not expired."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from yongke.core.statements import STAND_IN_TEXT, Statement

_BY_KEY = Statement(lambda key: Session.objects.filter(session_key=key), STAND_IN_TEXT)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        found = _BY_KEY.first(self.session_key) if self.session_key else None
        if found is None or found.expire_date <= timezone.now():  # Django's `expire_date__gt=now`
            self._session_key = None
            return None
        return found

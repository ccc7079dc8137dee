"""The password backend: Django's ModelBackend, whose user of a session is read with its role
grants in the same query (its scope is then known without a query of its own on every request),
a statement compiled once per process. The portal's subclass (`yongke.portal.backends`) is the
one settings name."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from yongke.accounts.grants import GRANTS_ANNOTATION, grants_packed
from yongke.accounts.selectors import scope_from_packed
from yongke.core.statements import STAND_IN_ID, Statement


class ScopedModelBackend(ModelBackend):
    _statements: ClassVar[dict[type, Statement]] = {}  # per backend class: its annotations

    def annotations(self) -> dict[str, Any]:
        """What every request asks of its user, read in the same query ({attribute: expression
        over the user's row}); a face's subclass adds its own."""
        return {GRANTS_ANNOTATION: grants_packed()}

    def _statement(self) -> Statement:
        found = self._statements.get(type(self))
        if found is None:
            extra = self.annotations()
            found = self._statements[type(self)] = Statement(
                lambda pk: get_user_model()._default_manager.annotate(**extra).filter(pk=pk), STAND_IN_ID
            )
        return found

    def get_user(self, user_id: Any) -> Any:
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:  # a session's id that is no id: nobody, as for an id no user has
            return None
        user = self._statement().first(pk)
        if user is None or not self.user_can_authenticate(user):
            return None
        scope_from_packed(user, getattr(user, GRANTS_ANNOTATION))
        return user

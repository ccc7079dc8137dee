"""What the `yongke project …` verb modules share: the bad-input error naming a flag, the
project named by its id, a date flag, a time as the output prints it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from yongke.core.errors import BadInput, NotFound

if TYPE_CHECKING:
    from yongke.accounts.actors import Actor
    from yongke.projects.models import Project


def bad(field: str, message: str, **detail: Any) -> BadInput:
    return BadInput(f"{field}: {message}", detail={"field": field, **detail})


def day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise bad(field, f"应为日期 YYYY-MM-DD「{text}」 / must be a date", value=text) from None


def project_named(actor: Actor, pk: str) -> Project:
    from yongke.projects.selectors import project_get

    try:
        return project_get(actor, pk)
    except NotFound:
        raise BadInput(
            f"project: 项目不存在 {pk} / project not found", code="not_found", detail={"field": "project", "value": pk}
        ) from None


def time_text(ts: dt.datetime | None) -> str | None:
    from yongke.applications.services import local

    return local(ts) if ts else None

"""The projects' answer to the application workflow's steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yongke.accounts.actors import Actor
from yongke.applications.models import Application
from yongke.applications.workflow import Transition


def project_open_on_contract(
    sender: Any, *, application: Application, transition: Transition, actor: Actor, now: dt.datetime, **kwargs: Any
) -> None:
    """立项 (`contract`) opens the project, in the same transaction: the step and its project stand or fall together."""
    if transition.action != "contract" or application.funding != "pre":
        return
    from yongke.projects.services import project_open

    project_open(actor=actor, application=application, now=now)

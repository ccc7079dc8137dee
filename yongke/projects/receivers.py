"""The projects' answer to the application workflow's steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yongke.accounts.actors import Actor
from yongke.applications.models import Application
from yongke.applications.workflow import Transition
from yongke.core.errors import voucher_used


def project_open_on_contract(
    sender: Any, *, application: Application, transition: Transition, actor: Actor, now: dt.datetime, **kwargs: Any
) -> None:
    """立项 (`contract`) opens the project, in the same transaction: the step and its project stand or fall together."""
    if transition.action != "contract" or application.funding != "pre":
        return
    from yongke.projects.services import project_open

    project_open(actor=actor, application=application, now=now)


def voucher_of_claim_unused(sender: Any, *, application: Application, transition: Transition, voucher: str = "", **kwargs: Any) -> dict:
    """拨付 of a 后补助 claim (the `transition_checking` receiver) with a voucher number no
    payment or receipt of a project has used: each voucher is recorded once across the plan."""
    if transition.action != "pay" or application.funding != "post" or not voucher:
        return {}
    from yongke.projects.closure import voucher_taken

    if voucher_taken(voucher):  # the one register: payments, receipts and claims' 拨付
        raise voucher_used(voucher)
    return {}

"""What the projects tell people, through the notifications room: every step that waits on
someone. The unit (its applicants and org admins), the recommending unit's accounts, and the
officers of the project's programme; delivered after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from django.db.models import Q

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role, RoleGrant
from yongke.core import workdays
from yongke.notifications import events as notifications
from yongke.projects.models import ChangeRequest, Project

type To = Literal["unit", "recommender", "officers"]

# The project steps that are news, and to whom.
STEP_TEMPLATES: dict[str, tuple[str, To]] = {
    "send": ("task_book_sent", "unit"),
    "reopen": ("task_book_reopened", "officers"),
    "sign": ("task_book_signed", "officers"),
    "countersign": ("task_book_countersigned", "unit"),
    "revoke": ("project_revoked", "unit"),
    "terminate": ("project_terminated", "unit"),
    "submit_final": ("final_report_submitted", "officers"),
    "return_final": ("final_report_returned", "unit"),
    "accept": ("project_accepted", "unit"),
    "rectify": ("acceptance_rectify", "unit"),
    "submit_rectification": ("rectification_submitted", "officers"),
    "fail": ("acceptance_failed", "unit"),
    "rescind": ("project_rescinded", "unit"),
}


def _to(project: Project, to: To) -> dict[str, Any]:
    if to == "unit":
        return {"organisation": project.organisation_id}
    if to == "recommender":
        grants = RoleGrant.objects.filter(role=Role.RECOMMENDER, unit=project.recommending_unit, user__is_active=True)
    else:
        grants = RoleGrant.objects.filter(Q(programme=project.programme) | Q(programme="*"), role=Role.OFFICER, user__is_active=True)
    users = sorted(set(grants.values_list("user_id", flat=True)))
    return {"users": users} if users else {}


def _params(project: Project, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "number": project.number,
        "title": project.title,
        "direction": project.direction,
        "sign_by": workdays.format_deadline(project.sign_by) if project.sign_by else "",
        **(extra or {}),
    }


def project_event(
    *,
    actor: Actor,
    project: Project,
    template: str,
    to: To | Sequence[int],
    key_suffix: str = "",
    params: dict[str, Any] | None = None,
    link: list[Any] | None = None,
) -> None:
    """One event about a project: to the unit, the recommending unit or the programme's officers,
    or to the users whose ids are given (an expert); linked to the project page unless `link`
    names another (["portal:<name>", *args])."""
    notifications.announce(
        actor=actor,
        events=[
            {
                "template": template,
                "key": f"project:{project.pk}:{template}:{key_suffix or project.lock_version}",
                "to": _to(project, to) if isinstance(to, str) else ({"users": sorted(set(to))} if to else {}),
                "params": _params(project, params),
                "link": link or ["portal:project_detail", project.pk],
            }
        ],
    )


def project_step(*, actor: Actor, project: Project, action: str, comment: str = "", params: dict[str, Any] | None = None) -> None:
    """The news of a step, to whom the step concerns; `params` fill the template beyond the comment
    (a rectification's date)."""
    found = STEP_TEMPLATES.get(action)
    if found is not None:
        template, to = found
        project_event(actor=actor, project=project, template=template, to=to, params={"comment": comment, **(params or {})})


def change_event(*, actor: Actor, change: ChangeRequest, template: str, to: To) -> None:
    project = change.project
    project_event(
        actor=actor,
        project=project,
        template=template,
        to=to,
        key_suffix=f"{change.number}:{change.state}",
        params={
            "change": change.get_kind_display(),
            "change_number": change.number,
            "amendment": project.amendment,
            "comment": change.decision_comment or change.opinion,
        },
    )

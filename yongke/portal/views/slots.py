"""Placeholders for screens other modules provide (expert review, assignment, ranking, awards).

Each URL name exists so menus and links can point at it today; the module that builds the
screen replaces the view in yongke/portal/urls.py.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yongke.accounts.models import Role
from yongke.applications.selectors import applications_visible_to
from yongke.portal.views.common import annotate_directions, roles_required

SLOTS = {
    "expert_invitations": _("评审任务"),
    "officer_assignment": _("专家分配"),
    "officer_ranking": _("评分排名"),
    "award_claims": _("后补助核算"),
}


def slot(name: str, *roles: str):
    @roles_required(*roles)
    def view(request: HttpRequest) -> HttpResponse:
        apps = []
        if name == "expert_invitations":
            # Until the review module lands, an expert at least sees what is assigned to them.
            apps = annotate_directions(request.user, applications_visible_to(request.user).order_by("id")[:200])
        return render(request, "portal/slot.html", {"title": SLOTS[name], "name": name, "apps": apps}, status=200)

    view.__name__ = f"slot_{name}"
    return view


expert_invitations = slot("expert_invitations", Role.EXPERT)
officer_assignment = slot("officer_assignment", Role.OFFICER)
officer_ranking = slot("officer_ranking", Role.OFFICER)
award_claims = slot("award_claims", Role.OFFICER, Role.FINANCE)

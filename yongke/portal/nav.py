"""The role menu: a list of entries, each shown to the roles it names. Append to extend it.

Screens built elsewhere (expert review, the officer's assignment and ranking, post-subsidy
awards) have their entries and URL names here already; their URLs point at a placeholder
view until those modules replace the view in `yongke/portal/urls.py`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from yongke.accounts.models import Role
from yongke.accounts.selectors import Scope
from yongke.projects.portfolio import PORTFOLIO_ROLES

if TYPE_CHECKING:  # django-stubs-ext is a development dependency; the name is for mypy only
    from django_stubs_ext import StrOrPromise

APPLICANTS = (Role.APPLICANT, Role.ORG_ADMIN)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: StrOrPromise  # translated when the menu is rendered, in the request's language
    url_name: str
    roles: tuple[str, ...]  # empty: everyone, signed in or not

    def visible_to(self, scope: Scope) -> bool:
        if not self.roles:
            return True
        return bool(scope.roles.intersection(self.roles))


PUBLIC_NAV: list[NavItem] = [
    NavItem("guide", _("申报指南"), "portal:guide_index", ()),
    NavItem("match", _("我能申报什么"), "portal:match", ()),
    NavItem("publicity", _("公示"), "portal:publicity", ()),
    NavItem("accepted", _("已验收项目"), "portal:accepted_projects", ()),
]

ROLE_NAV: list[NavItem] = [
    NavItem("my_applications", _("我的申报"), "portal:my_applications", APPLICANTS),
    NavItem("calls", _("申报批次"), "portal:calls", APPLICANTS),
    NavItem("my_projects", _("我的项目"), "portal:my_projects", APPLICANTS),
    NavItem("members", _("本单位账户"), "portal:org_members", (Role.ORG_ADMIN,)),
    NavItem("recommend_queue", _("推荐审核"), "portal:recommend_queue", (Role.RECOMMENDER,)),
    NavItem("change_opinions", _("项目变更意见"), "portal:change_opinions", (Role.RECOMMENDER,)),
    NavItem("officer_queues", _("业务办理"), "portal:officer_queues", (Role.OFFICER,)),
    NavItem("officer_projects", _("项目管理"), "portal:officer_projects", (Role.OFFICER,)),
    NavItem("report_queue", _("报告与验收"), "portal:report_queue", (Role.OFFICER,)),
    NavItem("officer_calls", _("申报批次管理"), "portal:officer_calls", (Role.OFFICER,)),
    NavItem("officer_publicity", _("公示与异议"), "portal:officer_publicity", (Role.OFFICER,)),
    NavItem("officer_assignment", _("专家分配"), "portal:officer_assignment", (Role.OFFICER,)),
    NavItem("officer_ranking", _("评分排名"), "portal:officer_ranking", (Role.OFFICER,)),
    NavItem("officer_experts", _("专家库"), "portal:officer_experts", (Role.OFFICER,)),
    NavItem("award_claims", _("后补助核算"), "portal:award_claims", (Role.OFFICER, Role.FINANCE)),
    NavItem("expert_invitations", _("评审任务"), "portal:expert_invitations", (Role.EXPERT,)),
    NavItem("panel_tasks", _("验收任务"), "portal:panel_tasks", (Role.EXPERT,)),
    NavItem("finance", _("资金拨付"), "portal:finance", (Role.FINANCE,)),
    NavItem("ledger", _("项目拨款台账"), "portal:ledger", (Role.FINANCE,)),
    NavItem("recoveries", _("经费退回"), "portal:recoveries", (Role.FINANCE,)),
    NavItem("dashboard", _("数据看板"), "portal:dashboard", (Role.OFFICER, Role.FINANCE)),
    NavItem("portfolio", _("项目绩效看板"), "portal:portfolio", PORTFOLIO_ROLES),
    NavItem("org_import", _("单位导入"), "portal:org_import", (Role.OFFICER, Role.SYSADMIN)),
    NavItem("audit_log", _("审计日志"), "portal:audit_log", (Role.AUDITOR,)),
    NavItem("registrations", _("注册审核"), "portal:registrations", (Role.RECOMMENDER, Role.OFFICER)),
    NavItem("security_accounts", _("锁定与第二因素"), "portal:security_accounts", (Role.SECURITY,)),
    NavItem("security", _("账户安全"), "portal:security", tuple(Role.values)),  # password, API tokens: every signed-in role
]

# Where each role starts after signing in, most powerful first.
LANDING: list[tuple[str, str]] = [
    (Role.SYSADMIN, "admin:index"),  # accounts and reference data: no workflow page
    (Role.OFFICER, "portal:officer_queues"),
    (Role.RECOMMENDER, "portal:recommend_queue"),
    (Role.FINANCE, "portal:finance"),
    (Role.AUDITOR, "portal:audit_log"),
    (Role.SECURITY, "portal:security_accounts"),
    (Role.EXPERT, "portal:expert_invitations"),
    (Role.ORG_ADMIN, "portal:my_applications"),
    (Role.APPLICANT, "portal:my_applications"),
]


def landing_url(scope: Scope) -> str:
    for role, name in LANDING:
        if role in scope.roles:
            return reverse(name)
    return reverse("portal:guide_index")


@functools.lru_cache(maxsize=512)
def _url(name: str, prefix: str, urlconf: str | None, root: str) -> str | None:
    """An entry's URL, reversed once per process for each script prefix and URLconf (the menu is
    on every page; its URLs take no arguments)."""
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def menu(scope: Scope, items: list[NavItem]) -> list[dict]:
    out = []
    prefix, urlconf, root = get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF
    for item in items:
        if not item.visible_to(scope):
            continue
        url = _url(item.url_name, prefix, urlconf, root)
        if url is None:
            continue
        out.append({"key": item.key, "label": item.label, "url": url})
    return out

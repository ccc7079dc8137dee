"""Filters and tags of the portal's templates: money, states, verdicts, the role menu.

Workflow labels need no filter: they are translated when rendered (`app.state_label`,
`transition.label`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yongke.accounts.selectors import scope_of
from yongke.applications.workflow import workflow_for
from yongke.portal import nav
from yongke.portal.forms import KIND_LABELS

if TYPE_CHECKING:  # django-stubs-ext is a development dependency; the name is for mypy only
    from django_stubs_ext import StrOrPromise

register = template.Library()

RESULTS = {
    "pass": (_("通过"), "ok"),
    "fail": (_("不通过"), "bad"),
    "missing": (_("缺信息"), "warn"),
    "manual": (_("人工审核"), "info"),
}
VERDICTS = {
    "eligible": (_("符合申报要求"), "ok"),
    "not_eligible": (_("不符合申报要求"), "bad"),
    "incomplete": (_("信息不完整"), "warn"),
}
ACTIONS = {
    "application_create": _("创建草稿"),
    "application_update": _("修改申报"),
    "attachment_add": _("上传附件"),
}


@register.filter
def yuan(value) -> str:
    """12345678 → 12,345,678 元"""
    if value in (None, ""):
        return "—"
    try:
        return f"{int(value):,} 元"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def wan(value) -> str:
    """12345678 → 1,234.57 万元"""
    if value in (None, ""):
        return "—"
    amount = int(value) / 10_000
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


@register.simple_tag
def state_name(funding: str, state: str) -> str:
    """A state's label where only its code is at hand (a dict, an audit event); an application has `app.state_label`."""
    return str(workflow_for(funding).state_label(state)) if state else ""


@register.filter
def result_label(result: str) -> StrOrPromise:
    return RESULTS.get(result, (result, ""))[0]


@register.filter
def result_class(result: str) -> str:
    return RESULTS.get(result, ("", "info"))[1]


@register.filter
def verdict_label(verdict: str) -> StrOrPromise:
    return VERDICTS.get(verdict, (verdict or _("未检查"), ""))[0]


@register.filter
def verdict_class(verdict: str) -> str:
    return VERDICTS.get(verdict, ("", "info"))[1]


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@register.simple_tag
def event_label(event) -> str:
    """An audit event as people say it: the workflow's label of the step, else a plain name."""
    if event.action in ACTIONS:
        return str(ACTIONS[event.action])
    for funding in ("pre", "post"):
        t = workflow_for(funding).transition(event.action)
        if t is not None and (not event.to_state or t.target == event.to_state):
            return str(t.label)
    return event.action


@register.filter
def fact_display(value, fact) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是")) if value else str(_("否"))
    if fact is not None and fact.type == "enum":
        return fact.labels.get(value, value)
    if fact is not None and fact.type == "money":
        return yuan(value)
    if fact is not None and fact.unit:
        return f"{value} {fact.unit}"
    return str(value)


@register.filter
def days_left(moment) -> int | None:
    if not moment:
        return None
    delta = moment - timezone.now()
    return max(0, delta.days + (1 if delta.seconds else 0))


@register.filter
def unit_of(bound_field) -> str:
    return bound_field.field.widget.attrs.get("data-unit", "")


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("portal/_nav.html", takes_context=True)
def portal_nav(context) -> dict:
    request = context["request"]
    scope = scope_of(request.user)
    here = request.path
    public = nav.menu(scope, nav.PUBLIC_NAV)
    mine = nav.menu(scope, nav.ROLE_NAV)
    # The longest matching entry is the current one: /officer/ must not light up on /officer/ranking/.
    matches = [i for i in public + mine if here == i["url"] or (i["url"] != "/" and here.startswith(i["url"]))]
    best = max(matches, key=lambda i: len(i["url"]), default=None)
    for item in public + mine:
        item["current"] = item is best
    return {"public": public, "mine": mine, "user": request.user, "request": request}

"""Filters and tags of the portal's templates: money, states, verdicts, the role menu.

Workflow labels need no filter: they are translated when rendered (`app.state_label`,
`transition.label`)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from yongke.accounts.selectors import scope_of
from yongke.applications.workflow import workflow_for
from yongke.core.money import MoneyError, parse_yuan, wan_number
from yongke.guide.model import KIND_LABELS
from yongke.portal import nav, texts
from yongke.portal.views.common import kept_batch

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
    "review_waiver": _("评审未完成即决定：记录理由"),
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
def attachment_label(app, kind: str) -> str:
    """An attachment category as people read it (高新技术企业证书（或认定公告）, never hte_certificate)."""
    from yongke.applications.proposal import kind_label as category_label
    from yongke.guide.selectors import compiled_for

    return category_label(compiled_for(app.guide_version).guide, kind)


@register.simple_tag
def event_label(event) -> str:
    """An audit event as people say it: the workflow's label of the step, else a plain name."""
    if event.action in ACTIONS:
        return str(ACTIONS[event.action])
    for funding in ("pre", "post"):
        t = workflow_for(funding).transition(event.action)
        if t is not None and (not event.to_state or t.target == event.to_state):
            return str(t.label)
    return texts.action_label(event.action)


@register.filter
def action_label(action: str) -> str:
    """An audit action code as people say it ("check" → 核定（后补助）)."""
    return texts.action_label(action)


@register.filter
def target_label(target_type: str) -> str:
    return texts.target_label(target_type)


@register.filter
def any_state_label(state: str) -> str:
    """A state code's label when the funding mode is not at hand (an audit entry)."""
    return texts.state_label(state) if state else ""


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
def money_echo(bound_field) -> str:
    """What a money field reads from what was typed: "= 50,000,000 元（5,000 万元）"; "" when empty or refused."""
    value = bound_field.value()
    if value in (None, ""):
        return ""
    try:
        amount = parse_yuan(str(value))
    except MoneyError:
        return ""
    return _("= %(yuan)s 元（%(wan)s 万元）") % {"yuan": f"{amount:,}", "wan": wan_number(amount)}


@register.filter
def page_text(message: str) -> str:
    """A domain message ("中文 / English gloss") in the page's language, without a field's code."""
    return texts.message_text(str(message), named=False) if message else ""


@register.filter
def field_label_of(field: str) -> str:
    """A field's code (an import column, detail.field) as its label; the code itself if we have none."""
    return texts.field_label(field) or (field or "")


@register.filter
def unit_of(bound_field) -> str:
    return bound_field.field.widget.attrs.get("data-unit", "")


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def batch_kept(context) -> dict:
    """The selection, step and comment of a batch that failed for some (views/common.py: keep_batch)."""
    request = context.get("request")
    return kept_batch(request) if request is not None else {"ids": set(), "action": "", "comment": "", "days": ""}


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


# The rows of portal/_app_table.html (the queues, 我的申报, finance): built here rather than by a
# template loop — at 30 rows of ten cells the loop was most of a queue page's time (bench/lists.py).
_ROW_PK = 2_147_483_647  # a stand-in id: the detail link is reversed once per page, then filled in


@register.simple_tag
def select_options(choices, selected) -> str:
    """A filter's <option>s after its "全部" one: (value, label) pairs, the one equal to `selected`
    (the GET parameter's text) marked selected; every value escaped. A tag, not a template loop:
    the queues' filters are on every page of them."""
    chosen = "" if selected is None else str(selected)
    out = [f'<option value="">{escape(gettext("全部"))}</option>']
    for value, label in choices:
        v = str(value)
        mark = " selected" if v == chosen else ""
        out.append(f'<option value="{escape(v, quote=True)}"{mark}>{escape(str(label))}</option>')
    return mark_safe("".join(out))  # every value above is escaped


def _clip(text: str, length: int, cut: str) -> str:
    """At most `length` characters, ending in `cut` when cut: Truncator.chars for plain text."""
    return text if len(text) <= length else text[: length - len(cut)] + cut


def _cut_mark() -> str:
    """The truncation mark of the request's language, as Truncator takes it ("…"; "..." in Chinese)."""
    return pgettext("String to return when truncating text", "%(truncated_text)s…") % {"truncated_text": ""}


@register.simple_tag(takes_context=True)
def app_table_rows(context, apps, selectable=False, show_decided=False) -> str:
    """Each row one f-string, every value escaped (html.escape, as Django's escape does)."""

    def e(value) -> str:
        return escape(str(value), quote=True)

    pick, title, org, direction, unit = (
        e(gettext("选择")),
        e(gettext("项目名称")),
        e(gettext("申报单位")),
        e(gettext("方向")),
        e(gettext("推荐单位")),
    )
    amount, decided, state, submitted = e(gettext("申请金额")), e(gettext("核定金额")), e(gettext("状态")), e(gettext("提交时间"))
    quoted = f'<br><span class="muted small">{e(gettext("测算"))}</span>'
    kept = batch_kept(context)["ids"] if selectable else set()
    cut = _cut_mark()
    link = e(reverse("portal:application_detail", args=[_ROW_PK]))
    rows = []
    for a in apps:
        pk, name_of_title = a.pk, e(a.title)
        box = ""
        if selectable:
            checked = " checked" if str(pk) in kept else ""
            box = (
                f'<td class="pick" data-label="{pick}"><input type="checkbox" name="ids" value="{pk}"'
                f' aria-label="{pick} {name_of_title}"{checked}></td>'
            )
        name = getattr(a, "direction_name", "") or ""
        listed = a.listed_amount
        note = quoted if a.funding == "post" and a.decided_amount is None else ""
        decided_cell = f'<td class="num" data-label="{decided}">{e(wan(a.decided_amount))}</td>' if show_decided else ""
        when = timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "—"  # Django's "Y-m-d H:i"
        rows.append(
            f'<tr data-app="{pk}">{box}<td data-label="#">{pk}</td>'
            f'<td class="lead" data-label="{title}"><a href="{link.replace(str(_ROW_PK), str(pk))}">{name_of_title}</a></td>'
            f'<td data-label="{org}">{e(a.organisation.name)}</td>'
            f'<td data-label="{direction}"><span><span title="{e(name)}">{e(a.direction)}</span>'
            f' <span class="muted small">{e(_clip(name, 14, cut))}</span></span></td>'
            f'<td data-label="{unit}">{e(a.organisation.recommending_unit_name or "—")}</td>'
            f'<td class="num" data-label="{amount}" data-amount="{"" if listed is None else int(listed)}">{e(wan(listed))}{note}</td>'
            f'{decided_cell}<td data-label="{state}"><span class="state">{e(a.state_label)}</span></td>'
            f'<td data-label="{submitted}">{e(when)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # every value above is escaped

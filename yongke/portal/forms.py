"""Forms of the portal. The application form is generated from the guide: one field per fact
the direction's rules read, typed and labelled by the fact, with the rules' verbatim clauses
as help text."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db.models import QuerySet
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yongke.applications.models import BudgetCategory
from yongke.applications.proposal import clean_phone
from yongke.applications.services import FIELD_FACTS
from yongke.core.errors import BadInput
from yongke.core.money import MAX_AMOUNT, MAX_COUNT, MAX_FACT, MoneyError, normalise, parse_count, parse_yuan
from yongke.guide.matching import rule_names
from yongke.guide.model import Direction, Fact, Guide
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import NANNING_DISTRICTS, NANNING_ZONES, check_id_number, check_uscc
from yongke.portal.texts import message_text

FACT_PREFIX = "fact__"


# --------------------------------------------------------------------------- the guide's facts as fields


@dataclass
class Clause:
    rule_id: str
    kind: str
    message: str
    source: str


@dataclass
class FactSpec:
    fact: Fact
    clauses: list[Clause] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.fact.name

    @property
    def field_name(self) -> str:
        return FACT_PREFIX + self.fact.name


def direction_fact_specs(guide: Guide, direction: Direction) -> list[FactSpec]:
    """The facts a direction's rules read, in the order the rules first read them."""
    specs: dict[str, FactSpec] = {}
    for rule in direction.rules:
        clause = Clause(rule.id, rule.kind, rule.message, rule.source)
        for name in rule_names(rule):
            fact = guide.facts.get(name)
            if fact is None:
                continue  # a parameter of the guide, not something to fill in
            spec = specs.setdefault(name, FactSpec(fact))
            if all(c.rule_id != rule.id for c in spec.clauses):
                spec.clauses.append(clause)
    return list(specs.values())


# What a typed amount or count is refused for (yongke.core.money's codes), in the page's language.
_MONEY_REASONS = {
    "format": _("无法识别“%(value)s”：请填写数字，可带单位“万”“亿”“元”，如 5000万、5,000万元、50000000"),
    "too_long": _("无法识别“%(value)s”：请填写数字，可带单位“万”“亿”“元”，如 5000万、5,000万元、50000000"),
    "negative": _("金额不能为负数"),
    "fraction": _("金额须为整数元，不能有角、分"),
    "too_large": _("金额不能超过 %(limit)s 元"),
    "below": _("金额不能少于 %(limit)s 元"),
}
_COUNT_REASONS = {
    "format": _("“%(value)s”不是整数：请填写如 3 或 1,200 的整数"),
    "too_long": _("“%(value)s”不是整数：请填写如 3 或 1,200 的整数"),
    "negative": _("不能为负数"),
    "too_large": _("不能超过 %(limit)s"),
}


def _refusal(field: forms.Field, reasons: dict[str, Any], code: str, value: str, limit: int | None) -> forms.ValidationError:
    """A refusal naming the field by its label, e.g. "申请财政资助（元）：金额不能为负数"."""
    reason = reasons.get(code, reasons["format"]) % {"value": value[:40], "limit": f"{limit:,}" if limit is not None else ""}
    label = field.label or _("金额")
    return forms.ValidationError(_("%(label)s：%(reason)s") % {"label": label, "reason": reason}, code=code)


class MoneyField(forms.IntegerField):
    """Whole yuan as people type them: "5000万", "5,000万元", "１．２亿", "49,999,999" (yongke.core.money).

    Exact (decimal, never a float): "5000.5万" is 50,005,000 元, a fraction of a yuan is
    refused; at most MAX_AMOUNT (10¹² 元). A refusal names the field by its label.
    """

    widget = forms.TextInput

    def __init__(self, *, min_value: int | None = 0, max_value: int | None = MAX_AMOUNT, **kwargs: Any) -> None:
        self.lowest = min_value
        self.highest = MAX_AMOUNT if max_value is None else min(max_value, MAX_AMOUNT)
        super().__init__(**kwargs)  # the bounds are checked in to_python, in the field's words, not by Django's validators

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value)
        try:
            amount = parse_yuan(text, maximum=self.highest)
        except MoneyError as e:
            raise _refusal(self, _MONEY_REASONS, e.code, text, e.limit) from None
        if self.lowest and amount < self.lowest:
            raise _refusal(self, _MONEY_REASONS, "below", text, self.lowest)
        return amount


class CountField(forms.IntegerField):
    """A whole count (件, 项, 人, 天 …): thousands separators and full-width digits read, at most MAX_COUNT."""

    widget = forms.TextInput

    def __init__(self, *, max_value: int | None = MAX_COUNT, **kwargs: Any) -> None:
        self.highest = MAX_COUNT if max_value is None else min(max_value, MAX_FACT)
        kwargs.pop("min_value", None)  # never negative: parse_count refuses a sign
        super().__init__(**kwargs)  # the bound is checked in to_python, in the field's words

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value)
        try:
            return parse_count(text, maximum=self.highest)
        except MoneyError as e:
            raise _refusal(self, _COUNT_REASONS, e.code, text, e.limit) from None


class BoundedFloatField(forms.FloatField):
    """A measure (亩, m², %): a finite number from 0 to `highest` (MAX_FACT), refused in the field's words."""

    highest = MAX_FACT

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        text = normalise(str(value)).replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise _refusal(self, _COUNT_REASONS, "format", str(value), None) from None
        if not math.isfinite(number):
            raise _refusal(self, _COUNT_REASONS, "format", str(value), None)
        if number < 0:
            raise _refusal(self, _COUNT_REASONS, "negative", str(value), None)
        if number > self.highest:
            raise _refusal(self, _COUNT_REASONS, "too_large", str(value), self.highest)
        return number


def _fact_field(fact: Fact) -> forms.Field:
    common: dict[str, Any] = {"label": fact.label, "required": False}
    if fact.type == "bool":
        return forms.TypedChoiceField(
            choices=[("", _("未填")), ("true", _("是")), ("false", _("否"))],
            widget=forms.RadioSelect,
            coerce=lambda v: v == "true",
            empty_value=None,
            **common,
        )
    if fact.type == "money":
        return MoneyField(widget=forms.TextInput(attrs={"inputmode": "decimal", "data-unit": "元", "autocomplete": "off"}), **common)
    if fact.type == "int":
        # Text, not type=number: the browser would drop "1，200" silently; the server reads and bounds it.
        attrs = {"inputmode": "numeric", "autocomplete": "off", **({"data-count-unit": fact.unit} if fact.unit else {})}
        return CountField(widget=forms.TextInput(attrs=attrs), max_value=MAX_FACT, **common)
    if fact.type == "number":
        return BoundedFloatField(widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": MAX_FACT}), **common)
    if fact.type == "enum":
        return forms.ChoiceField(choices=[("", _("请选择"))] + [(v, fact.labels.get(v, v)) for v in fact.values], **common)
    if fact.type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=300, **common)


def fact_value(fact: Fact, value: Any) -> Any:
    """A cleaned form value as the rules read it; None when not given."""
    if value in (None, ""):
        return None
    if fact.type == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return value


def fact_initial(fact: Fact, value: Any) -> Any:
    if value is None:
        return None
    if fact.type == "bool":
        return "true" if value else "false"
    return value


class ApplicationForm(forms.Form):
    """The fields every application has; the direction's facts are added per instance."""

    title = forms.CharField(label=_("项目名称"), max_length=200)
    summary = forms.CharField(label=_("项目摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requested_amount = MoneyField(
        label=_("申请财政资助（元）"),
        min_value=0,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-unit": "元", "autocomplete": "off"}),
    )
    self_raised_amount = MoneyField(
        label=_("自筹经费（元）"),
        min_value=0,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-unit": "元", "autocomplete": "off"}),
    )
    leader: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        label=_("项目负责人"), queryset=None, required=False, empty_label=_("（暂不指定）")
    )
    leader_phone = forms.CharField(
        label=_("项目负责人联系电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("11位手机号码，或带区号的固定电话，如 0771-5551234"),
    )
    # type=date takes only ISO dates: the localised format would leave the box empty on a second render.
    starts_on = forms.DateField(label=_("项目开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("项目结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(
        self, *args, specs: list[FactSpec], people: QuerySet[Person], registry: dict[str, Any], funding: str = "pre", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Person]", self.fields["leader"]).queryset = people
        self.funding = funding
        if funding == "post":
            # A 后补助 claim asks only what its award reads: no 申请财政资助, 自筹经费, leader or period of its own.
            read = {spec.name for spec in specs}
            for name in ("requested_amount", "self_raised_amount"):
                if name not in read:
                    del self.fields[name]
            for name in ("leader", "leader_phone", "starts_on", "ends_on"):
                del self.fields[name]
        self.specs = specs
        self.registry = registry
        self.field_clauses: dict[str, list[Clause]] = {}
        for spec in specs:
            if spec.name in FIELD_FACTS:
                self.field_clauses[spec.name] = spec.clauses
                continue
            if spec.fact.about == "organisation" and spec.name in registry:
                continue  # the registry's value is shown, not asked
            self.fields[spec.field_name] = _fact_field(spec.fact)
            self.fields[spec.field_name].widget.attrs["aria-describedby"] = f"help-{spec.name}"

    def fact_rows(self) -> list[dict[str, Any]]:
        """What the template renders for each fact: a field, or the registry's value."""
        rows = []
        for spec in self.specs:
            if spec.name in FIELD_FACTS:
                continue
            if spec.field_name in self.fields:
                rows.append({"spec": spec, "field": self[spec.field_name], "registry": False})
            else:
                rows.append({"spec": spec, "field": None, "registry": True, "value": self.registry.get(spec.name)})
        return rows

    def given_facts(self) -> dict[str, Any]:
        """The fact values of a validated (or partly valid) form; None for each one cleared."""
        data = getattr(self, "cleaned_data", {})
        out = {}
        for spec in self.specs:
            if spec.field_name in self.fields:
                out[spec.name] = fact_value(spec.fact, data.get(spec.field_name))
        return out

    def clean_leader_phone(self) -> str:
        try:
            return clean_phone(self.cleaned_data.get("leader_phone") or "")
        except BadInput:
            raise forms.ValidationError(_("请填写11位手机号码，或带区号的固定电话（如 0771-5551234）")) from None

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"title": data["title"], "summary": data.get("summary") or "", "facts": self.given_facts()}
        for name in ("requested_amount", "self_raised_amount"):
            if name in self.fields:
                out[name] = data.get(name) or 0
        for name in ("leader", "leader_phone", "starts_on", "ends_on"):
            if name in self.fields:
                out[name] = data.get(name) or (None if name != "leader_phone" else "")
        return out


def application_initial(app, specs: list[FactSpec]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": app.title,
        "summary": app.summary,
        "requested_amount": app.requested_amount,
        "self_raised_amount": app.self_raised_amount,
        "leader": app.leader_id,
        "leader_phone": app.leader_phone,
        "starts_on": app.starts_on,
        "ends_on": app.ends_on,
    }
    for spec in specs:
        if spec.name in app.facts:
            initial[spec.field_name] = fact_initial(spec.fact, app.facts[spec.name])
    return initial


# --------------------------------------------------------------------------- the 申报书's tables


def _money(label: Any) -> MoneyField:
    return MoneyField(
        label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "data-unit": "元", "autocomplete": "off"})
    )


class BudgetForm(forms.Form):
    """The 经费预算 table: one row per standard category, 财政资助 and 自筹经费 (and, when the
    applicant types it, the row's 合计, which must add up), with how it was estimated."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for category, label in BudgetCategory.choices:
            self.fields[f"{category}_fiscal"] = _money(_("%(category)s：财政资助（元）") % {"category": label})
            self.fields[f"{category}_self"] = _money(_("%(category)s：自筹经费（元）") % {"category": label})
            self.fields[f"{category}_total"] = _money(_("%(category)s：合计（元）") % {"category": label})
            self.fields[f"{category}_basis"] = forms.CharField(
                label=_("%(category)s：测算依据") % {"category": label}, required=False, max_length=2000
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "category": c,
                "label": label,
                "fiscal": self[f"{c}_fiscal"],
                "self": self[f"{c}_self"],
                "total": self[f"{c}_total"],
                "basis": self[f"{c}_basis"],
                "cells": [self[f"{c}_fiscal"], self[f"{c}_self"], self[f"{c}_total"]],
            }
            for c, label in BudgetCategory.choices
        ]

    def lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "category": c,
                "fiscal": data.get(f"{c}_fiscal") or 0,
                "self_raised": data.get(f"{c}_self") or 0,
                "total": data.get(f"{c}_total"),
                "basis": data.get(f"{c}_basis") or "",
            }
            for c in BudgetCategory.values
        ]


def budget_initial(app) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in app.budget_lines.all():
        out.update(
            {
                f"{line.category}_fiscal": line.fiscal,
                f"{line.category}_self": line.self_raised,
                f"{line.category}_total": line.total,
                f"{line.category}_basis": line.basis,
            }
        )
    return out


class TeamMemberForm(forms.Form):
    person: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        label=_("团队成员"), queryset=None, required=False, empty_label=_("（请选择）")
    )
    role = forms.CharField(label=_("项目分工"), max_length=100, required=False)
    months = forms.IntegerField(label=_("投入（人月）"), min_value=0, max_value=600, required=False)

    def __init__(self, *args, people: QuerySet[Person], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Person]", self.fields["person"]).queryset = people


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("合作单位名称"), max_length=200, required=False)
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tasks = forms.CharField(label=_("承担的任务"), max_length=2000, required=False)
    budget = _money(_("分配经费（元）"))

    def clean_uscc(self) -> str:
        raw = (self.cleaned_data.get("uscc") or "").strip()
        if not raw:
            return ""
        verdict = check_uscc(raw)
        if not verdict.valid:
            raise forms.ValidationError(_("统一社会信用代码无效：%(reason)s") % {"reason": verdict.reason.split(" / ")[0]})
        return verdict.value


TEAM_EXTRA = 3
PARTNER_EXTRA = 2


def _rows_formset(form_class, *, prefix: str, data, initial: list[dict[str, Any]], extra: int, **kwargs):
    formset_class = forms.formset_factory(form_class, extra=extra, max_num=100, absolute_max=100)
    return formset_class(data, initial=initial, prefix=prefix, form_kwargs=kwargs)


def team_formset(data, app, people: QuerySet[Person]):
    """The team table: the members so far and a few empty rows."""
    initial = [{"person": m.person_id, "role": m.role, "months": m.months} for m in app.team.order_by("order", "id")]
    return _rows_formset(TeamMemberForm, prefix="team", data=data, initial=initial, extra=TEAM_EXTRA, people=people)


def partner_formset(data, app):
    initial = [{"name": p.name, "uscc": p.uscc, "tasks": p.tasks, "budget": p.budget} for p in app.partners.order_by("order", "id")]
    return _rows_formset(PartnerForm, prefix="partner", data=data, initial=initial, extra=PARTNER_EXTRA)


def team_members(formset) -> list[dict[str, Any]]:
    return [
        {"person": f.cleaned_data["person"], "role": f.cleaned_data.get("role") or "", "months": f.cleaned_data.get("months")}
        for f in formset.forms
        if getattr(f, "cleaned_data", None) and f.cleaned_data.get("person")
    ]


def partner_rows(formset) -> list[dict[str, Any]]:
    return [
        {k: f.cleaned_data.get(k) or (0 if k == "budget" else "") for k in ("uscc", "name", "tasks", "budget")}
        for f in formset.forms
        if getattr(f, "cleaned_data", None) and any(f.cleaned_data.get(k) for k in ("uscc", "name", "tasks", "budget"))
    ]


class NewApplicationForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=200)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(label=_("申报单位"), queryset=None, empty_label=None)

    def __init__(self, *args, organisations: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Organisation]", self.fields["organisation"]).queryset = organisations


# --------------------------------------------------------------------------- accounts and organisations


# Django's own wording ("确保该变量至少包含 8 字符") names no field and reads as a machine's.
PASSWORD_ERRORS = {
    "min_length": _("密码至少需要 %(limit_value)d 个字符（现在是 %(show_value)d 个）"),
    "required": _("请设置密码"),
}


def password_min_length() -> int:
    """The shortest password the settings' validators accept (AUTH_PASSWORD_VALIDATORS'
    MinimumLengthValidator): the one number the forms' minlength and hint show."""
    lengths = [
        v.min_length
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.MinimumLengthValidator)
    ]
    return max(lengths, default=1)


def _password_hint(least: int) -> str:
    return gettext("至少 %(n)d 个字符，不能全是数字，不能是常见密码，也不能与用户名、姓名或邮箱过于相似") % {"n": least}


def password_field(label: Any) -> forms.CharField:
    """A new password's field: the validators' minimum length as `minlength`, said in the hint
    (in the page's language)."""
    least = password_min_length()
    return forms.CharField(
        label=label,
        min_length=least,
        help_text=lazy(_password_hint, str)(least),
        error_messages=PASSWORD_ERRORS,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class NewPasswordFields:
    """A form whose `password_fields` are built when the form is, so they follow the settings'
    validators as they are then (not as they were when the module was imported)."""

    password_fields: tuple[str, ...] = ()
    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.password_fields:
            self.fields[name] = password_field(self.fields[name].label)


def password_problems(password: str, user: Any = None) -> list[str]:
    """The settings' password validators (AUTH_PASSWORD_VALIDATORS), their messages in the page's language."""
    try:
        password_validation.validate_password(password, user)
    except forms.ValidationError as e:
        return list(e.messages)
    return []


def _district_choices():
    return [("", _("南宁市外")), *sorted(NANNING_DISTRICTS.items())]


class RegistrationForm(NewPasswordFields, forms.Form):
    password_fields = ("password1",)
    name = forms.CharField(label=_("单位名称"), max_length=200)
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    kind = forms.ChoiceField(label=_("单位类型"), choices=[c for c in Organisation.Kind.choices if c[0] != "government"])
    district = forms.ChoiceField(label=_("注册地"), choices=_district_choices, required=False)
    zone = forms.ChoiceField(label=_("所在开发区"), choices=[("", _("不在开发区")), *sorted(NANNING_ZONES.items())], required=False)
    industry = forms.CharField(label=_("国民经济行业代码（GB/T 4754，可选）"), max_length=5, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    username = forms.CharField(label=_("管理员用户名"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    full_name = forms.CharField(label=_("管理员姓名"), max_length=150)
    email = forms.EmailField(label=_("邮箱"), required=False)
    password1 = password_field(_("密码"))
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_uscc(self) -> str:
        verdict = check_uscc(self.cleaned_data["uscc"])
        if not verdict.valid:
            raise forms.ValidationError(message_text(verdict.reason, named=False))
        return verdict.value

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用"))
        return username

    def clean(self):
        data = super().clean()
        # As typed, so that a mismatch is reported together with a password that is too short.
        typed = self.data.get(self.add_prefix("password1"), "")
        if typed and typed != self.data.get(self.add_prefix("password2"), ""):
            self.add_error("password2", _("两次输入的密码不一致"))
        for problem in password_problems(data["password1"]) if data.get("password1") else []:
            self.add_error("password1", problem)
        return data


class MemberForm(NewPasswordFields, forms.Form):
    password_fields = ("password",)
    username = forms.CharField(label=_("用户名"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("邮箱"), required=False)
    password = password_field(_("初始密码"))
    id_number = forms.CharField(
        label=_("身份证号码（登记为项目负责人时填写）"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=_("职称"), max_length=50, required=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用"))
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        problems = password_problems(password)
        if problems:
            raise forms.ValidationError(problems)
        return password

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number", "").strip()
        if not raw:
            return ""
        verdict = check_id_number(raw)
        if not verdict.valid:
            raise forms.ValidationError(message_text(verdict.reason, named=False))
        return verdict.value


class OrgImportForm(forms.Form):
    file = forms.FileField(label=_("单位名单（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("试运行（只校验，不写入）"), required=False)


# --------------------------------------------------------------------------- review scores


def score_entry(rubric: Sequence[Any], data: Mapping[str, str]) -> tuple[dict[str, float], str, dict[str, str]]:
    """An expert's scores and comment as typed, every problem found at once: (points, comment, errors).

    Each criterion (`points_<key>`) must be a number from 0 to its maximum, the comment must be
    given; `errors` maps the criterion's key (or "comment") to a message naming it by its label.
    The service checks the same again (review.services.score_submit); this only lets the page
    show all the errors together instead of one per submission.
    """
    points: dict[str, float] = {}
    errors: dict[str, str] = {}
    for c in rubric:
        raw = normalise(str(data.get(f"points_{c.key}", "")))
        try:
            value = float(raw) if raw else None
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not 0 <= value <= c.max_points:
            errors[c.key] = str(_("“%(label)s”的评分应在0至%(max)d之间")) % {"label": c.label, "max": c.max_points}
            continue
        points[c.key] = int(value) if value.is_integer() else value
    comment = str(data.get("comment", ""))
    if not comment.strip():
        errors["comment"] = str(_("须填写评审意见"))
    return points, comment, errors

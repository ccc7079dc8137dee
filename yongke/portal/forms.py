"""Forms of the portal. The application form is generated from the guide: one field per fact
the direction's rules read, typed and labelled by the fact, with the rules' verbatim clauses
as help text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yongke.applications.services import FIELD_FACTS
from yongke.guide.matching import rule_names
from yongke.guide.model import Direction, Fact, Guide
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import NANNING_DISTRICTS, NANNING_ZONES, check_id_number, check_uscc

FACT_PREFIX = "fact__"
KIND_LABELS = {
    "eligibility": "申报条件",
    "commitment": "考核指标承诺",
    "document": "证明材料",
    "priority": "优先支持",
    "naming": "命名格式",
    "limit": "限额与时限",
    "award": "补助计算",
    "officer": "人工审核",
}


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


class MoneyField(forms.IntegerField):
    """Whole yuan; accepts the thousands separators people type (49,999,999)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").replace(" ", "").strip()
        return super().to_python(value)


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
        return MoneyField(
            min_value=0, widget=forms.TextInput(attrs={"inputmode": "numeric", "data-unit": "元", "autocomplete": "off"}), **common
        )
    if fact.type == "int":
        return forms.IntegerField(min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}), **common)
    if fact.type == "number":
        return forms.FloatField(min_value=0, widget=forms.NumberInput(attrs={"step": "any"}), **common)
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

    def __init__(self, *args, specs: list[FactSpec], people: QuerySet[Person], registry: dict[str, Any], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Person]", self.fields["leader"]).queryset = people
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

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": data.get("summary") or "",
            "requested_amount": data.get("requested_amount") or 0,
            "self_raised_amount": data.get("self_raised_amount") or 0,
            "leader": data.get("leader"),
            "facts": self.given_facts(),
        }


def application_initial(app, specs: list[FactSpec]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": app.title,
        "summary": app.summary,
        "requested_amount": app.requested_amount,
        "self_raised_amount": app.self_raised_amount,
        "leader": app.leader_id,
    }
    for spec in specs:
        if spec.name in app.facts:
            initial[spec.field_name] = fact_initial(spec.fact, app.facts[spec.name])
    return initial


class NewApplicationForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=200)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(label=_("申报单位"), queryset=None, empty_label=None)

    def __init__(self, *args, organisations: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Organisation]", self.fields["organisation"]).queryset = organisations


# --------------------------------------------------------------------------- accounts and organisations


def _district_choices():
    return [("", _("南宁市外")), *sorted(NANNING_DISTRICTS.items())]


class RegistrationForm(forms.Form):
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
    password1 = forms.CharField(label=_("密码"), min_length=8, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_uscc(self) -> str:
        verdict = check_uscc(self.cleaned_data["uscc"])
        if not verdict.valid:
            raise forms.ValidationError(verdict.reason)
        return verdict.value

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用"))
        return username

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class MemberForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("邮箱"), required=False)
    password = forms.CharField(label=_("初始密码"), min_length=8, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
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

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number", "").strip()
        if not raw:
            return ""
        verdict = check_id_number(raw)
        if not verdict.valid:
            raise forms.ValidationError(verdict.reason)
        return verdict.value


class OrgImportForm(forms.Form):
    file = forms.FileField(label=_("单位名单（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("试运行（只校验，不写入）"), required=False)

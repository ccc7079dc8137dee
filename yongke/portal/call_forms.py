"""The officer's call form: name, dates (Beijing time), the directions it opens with a budget
per direction or project (万元), the limits and the review settings. The form checks what it
can read alone and reports every problem at once, each naming its field by label; the service
(`call_open` / `call_update`) checks the rest and its problems land on the same fields."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yongke.applications.models import Call
from yongke.guide.model import Guide

BUDGET_PREFIX = "budget__"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
MAX_BUDGET_WAN = Decimal("100000000")  # 1万亿元: past this a budget is a typing error


class _When(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> str | None:
        if hasattr(value, "strftime"):
            from django.utils import timezone

            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%dT%H:%M")
        return super().format_value(value)


def _label_messages(field: forms.Field) -> None:
    """Django's messages do not say which field they are about; these do, by label."""
    label = str(field.label)
    field.error_messages["required"] = gettext("请填写「%(label)s」") % {"label": label}
    field.error_messages["invalid"] = gettext("「%(label)s」格式不正确") % {"label": label}
    if isinstance(field, forms.IntegerField | forms.DecimalField):
        field.error_messages["min_value"] = gettext("「%(label)s」不能小于 %%(limit_value)s") % {"label": label}
        field.error_messages["max_value"] = gettext("「%(label)s」不能大于 %%(limit_value)s") % {"label": label}
    if isinstance(field, forms.DecimalField):
        field.error_messages["max_decimal_places"] = gettext("「%(label)s」最多保留4位小数（万元）") % {"label": label}
        field.error_messages["max_digits"] = gettext("「%(label)s」数额过大") % {"label": label}
        field.error_messages["max_whole_digits"] = gettext("「%(label)s」数额过大") % {"label": label}


class CallForm(forms.Form):
    name = forms.CharField(label=_("批次名称"), max_length=200)
    opens_at = forms.DateTimeField(label=_("开始时间（北京时间）"), input_formats=DATETIME_FORMATS, widget=_When())
    closes_at = forms.DateTimeField(label=_("截止时间（北京时间）"), input_formats=DATETIME_FORMATS, widget=_When())
    directions = forms.MultipleChoiceField(label=_("开放的申报方向"), widget=forms.CheckboxSelectMultiple)
    leader_limit = forms.IntegerField(label=_("每位负责人在本批次最多主持的在审申报数"), min_value=1, max_value=100, initial=1)
    org_limit = forms.IntegerField(
        label=_("每个单位在本批次最多的在审申报数"), min_value=1, max_value=1000, required=False, help_text=_("留空为不限")
    )
    experts_per_application = forms.IntegerField(label=_("每个申报的评审专家数"), min_value=1, max_value=50, initial=3)
    blind_review = forms.BooleanField(label=_("匿名评审（专家看不到申报单位）"), required=False)

    def __init__(self, *args: Any, guide: Guide, call: Call | None = None, used: dict[str, int] | None = None, **kwargs: Any):
        if call is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(call)
        super().__init__(*args, **kwargs)
        self.guide = guide
        self.call = call
        self.used = used or {}  # direction → applications already made to it in this call
        directions = self.fields["directions"]
        assert isinstance(directions, forms.MultipleChoiceField)
        directions.choices = [(d.id, f"{d.id} {d.name}") for d in guide.directions]
        for key, label in self._budget_keys():
            self.fields[BUDGET_PREFIX + key] = forms.DecimalField(
                label=label, required=False, min_value=0, max_value=MAX_BUDGET_WAN, max_digits=14, decimal_places=4
            )
        for field in self.fields.values():
            _label_messages(field)
        self.fields["directions"].error_messages["required"] = gettext("「开放的申报方向」：至少选择一个方向")
        self.fields["directions"].error_messages["invalid_choice"] = gettext("「开放的申报方向」：指南中没有方向 %(value)s")

    def _budget_keys(self) -> list[tuple[str, str]]:
        keys = []
        for project in self.guide.projects:
            keys.append((project.id, gettext("项目 %(id)s 预算（万元）") % {"id": project.id}))
            keys += [(d.id, gettext("方向 %(id)s 预算（万元）") % {"id": d.id}) for d in project.directions]
        return keys

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", gettext("「截止时间」须晚于开始时间"))
        return data

    def service_values(self) -> dict[str, Any]:
        """The cleaned form as the call services take it (budgets in whole yuan)."""
        d = self.cleaned_data
        budgets = {}
        for name, value in d.items():
            if name.startswith(BUDGET_PREFIX) and value is not None:
                budgets[name[len(BUDGET_PREFIX) :]] = int((value * 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return {
            "name": d["name"].strip(),
            "opens_at": self._kept("opens_at", d["opens_at"]),
            "closes_at": self._kept("closes_at", d["closes_at"]),
            "directions": [x.id for x in self.guide.directions if x.id in set(d["directions"])],
            "budgets": budgets,
            "leader_limit": d["leader_limit"],
            "org_limit": d["org_limit"],
            "experts_per_application": d["experts_per_application"],
            "blind_review": bool(d["blind_review"]),
        }

    def _kept(self, name: str, value: Any) -> Any:
        """The call's own time when the form shows it unchanged (the input holds minutes only)."""
        before = getattr(self.call, name, None) if self.call is not None else None
        if before is not None and value == before.replace(second=0, microsecond=0):
            return before
        return value

    def add_service_errors(self, errors: dict[str, str], message: str) -> None:
        """A service's problems (by its field names) on this form's fields; the rest above the form."""
        if not errors:
            self.add_error(None, message)
        for key, text in errors.items():
            name = BUDGET_PREFIX + key.split(".", 1)[1] if key.startswith("budgets.") else key
            self.add_error(name if name in self.fields else None, text)

    def tree(self) -> list[dict[str, Any]]:
        """Programmes → projects (with the project's budget field) → directions (checked, budget
        field, applications already made), for the template."""
        chosen = set(self["directions"].value() or [])
        out = []
        for programme in self.guide.programmes:
            projects: list[dict[str, Any]] = [
                {
                    "project": project,
                    "budget": self[BUDGET_PREFIX + project.id],
                    "directions": [
                        {"d": d, "checked": d.id in chosen, "budget": self[BUDGET_PREFIX + d.id], "used": self.used.get(d.id, 0)}
                        for d in project.directions
                    ],
                }
                for project in programme.projects
            ]
            opened = any(r["checked"] or r["budget"].errors for p in projects for r in p["directions"]) or any(
                p["budget"].value() not in (None, "") or p["budget"].errors for p in projects
            )
            out.append({"programme": programme, "projects": projects, "open": opened})
        return out


def initial_of(call: Call) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": call.name,
        "opens_at": call.opens_at,
        "closes_at": call.closes_at,
        "directions": list(call.directions),
        "leader_limit": call.leader_limit,
        "org_limit": call.org_limit,
        "experts_per_application": call.experts_per_application,
        "blind_review": call.blind_review,
    }
    for key, yuan in (call.budgets or {}).items():
        initial[BUDGET_PREFIX + key] = _wan(int(yuan))
    return initial


def _wan(yuan: int) -> str:
    """Yuan as 万元 for an input: twenty million yuan → 2000, 12345 yuan → 1.2345."""
    text = f"{Decimal(yuan) / 10_000:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

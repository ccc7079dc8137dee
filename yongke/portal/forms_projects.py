"""Forms of the project pages (`views/projects.py`, `views/project_office.py`): the 任务书 editor,
the signing steps, change requests, the recommending unit's opinion and the officer's decision,
payments and the unit's bank account.

The forms read what a person typed (amounts as people write them, dates, the facts' types);
the services decide. A service's refusal names a field (`detail.field`, e.g.
"indicators.1:revenue.kpi_new_revenue", "milestones[1].due_on", "payload.ends_on"); `place`
puts it under that field, so the page shows it where it belongs, by the field's label."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yongke.core.errors import YongkeError
from yongke.orgs.models import Organisation, Person
from yongke.orgs.validators import check_uscc
from yongke.portal.forms import BoundedFloatField, BudgetForm, CountField, MoneyField, PartnerForm, budget_initial
from yongke.portal.texts import error_field, error_text
from yongke.projects.models import ChangeRequest, Project, TrancheCondition

DATE = {"type": "date"}


def _date_field(label: Any, *, required: bool = True) -> forms.DateField:
    # type=date takes ISO dates only: a localised format would leave the box empty on a second render.
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


def _yuan_field(label: Any, *, required: bool = False) -> MoneyField:
    return MoneyField(
        label=label,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-unit": "元", "autocomplete": "off"}),
    )


# --------------------------------------------------------------------------- targets of the indicators


def _target_field(target: Mapping[str, Any]) -> forms.Field:
    """A field for one target fact of a 考核指标, typed by the fact."""
    label = target["label"]
    kind = target.get("type")
    if kind == "bool":
        return forms.TypedChoiceField(
            label=label,
            choices=[("", _("未填")), ("true", _("是")), ("false", _("否"))],
            widget=forms.RadioSelect,
            coerce=lambda v: v == "true",
            empty_value=None,
            required=False,
        )
    if kind == "money":
        return _yuan_field(label)
    if kind == "int":
        return CountField(label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    return BoundedFloatField(label=label, required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0}))


def _target_initial(target: Mapping[str, Any]) -> Any:
    value = target.get("target")
    if target.get("type") == "bool" and value is not None:
        return "true" if value else "false"
    return value


class TargetsForm(forms.Form):
    """A form with one field per target fact of each commitment indicator (rows of `task_book_content`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicator_rows: list[dict[str, Any]] = []

    def add_targets(self, indicators: Iterable[Mapping[str, Any]]) -> None:
        for ind in indicators:
            if ind.get("source") != "commitment":
                continue
            names = []
            for t in ind["targets"]:
                name = f"target__{ind['id']}__{t['fact']}"
                self.fields[name] = _target_field(t)
                self.initial.setdefault(name, _target_initial(t))
                names.append((t, name))
            self.indicator_rows.append({"indicator": ind, "names": names})

    def target_rows(self) -> list[dict[str, Any]]:
        return [
            {"indicator": row["indicator"], "cells": [{"target": t, "field": self[name]} for t, name in row["names"]]}
            for row in self.indicator_rows
        ]

    def targets_changed(self) -> dict[str, dict[str, Any]]:
        """{indicator id: {fact: value}} for each indicator with a target changed: all its
        given targets, since the service starts from the application's promise."""
        out = {}
        for row in self.indicator_rows:
            if any(name in self.changed_data for _t, name in row["names"]):
                values = {t["fact"]: self.cleaned_data.get(name) for t, name in row["names"]}
                out[str(row["indicator"]["id"])] = {k: v for k, v in values.items() if v is not None}
        return out

    def target_field_for(self, path: str) -> tuple[str | None, bool]:
        """The field of a refusal's "indicators.<rule or id>[.<fact>]": (field, found the indicator)."""
        for row in self.indicator_rows:
            ind = row["indicator"]
            for key in (str(ind["rule"]), str(ind["id"])):
                prefix = f"indicators.{key}"
                if path == prefix or path.startswith(prefix + "."):
                    fact = path[len(prefix) + 1 :]
                    names = {t["fact"]: name for t, name in row["names"]}
                    return names.get(fact) or (row["names"][0][1] if row["names"] else None), True
        return None, False

    def target_field_at(self, error: YongkeError) -> tuple[str | None, bool]:
        """The target field a refusal names: by its field, else by the rule in its detail."""
        name, found = self.target_field_for(error_field(error) or "")
        rule = error.detail.get("rule") if isinstance(error.detail, dict) else None
        if not found and rule:
            name, found = self.target_field_for(f"indicators.{rule}")
        return name, found


# --------------------------------------------------------------------------- the task book editor


class TaskBookForm(TargetsForm):
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("项目名称"), max_length=200)
    content = forms.CharField(label=_("研究内容"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    starts_on = _date_field(_("项目开始日期"))
    ends_on = _date_field(_("项目结束日期"))
    leader_phone = forms.CharField(
        label=_("项目负责人联系电话"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class ExtraIndicatorForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(label=_("补充指标"), max_length=300, required=False)
    unit = forms.CharField(label=_("单位"), max_length=16, required=False)
    target_value = forms.DecimalField(label=_("目标值"), max_digits=20, decimal_places=2, min_value=0, required=False)


class MilestoneForm(forms.Form):
    due_on = _date_field(_("完成时间"), required=False)
    title = forms.CharField(label=_("阶段目标"), max_length=300, required=False)
    targets = forms.CharField(required=False, widget=forms.HiddenInput)  # the stage's values, kept as they are

    def clean_targets(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data.get("targets") or "{}")
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}


class TrancheForm(forms.Form):
    label = forms.CharField(label=_("名称"), max_length=100, required=False)
    amount = _yuan_field(_("金额（元）"))
    # An initial value of its own: an empty row left as it is is not a change.
    condition = forms.ChoiceField(label=_("拨付条件"), choices=TrancheCondition.choices, initial=TrancheCondition.SIGNING)


def _formset(form_class: type[forms.Form], *, prefix: str, data: Any, initial: list[dict[str, Any]], extra: int) -> Any:
    cls = forms.formset_factory(form_class, extra=extra, max_num=100, absolute_max=100)
    return cls(data, initial=initial, prefix=prefix)


def _rows(
    formset: Any, make: Callable[[dict[str, Any]], dict[str, Any]], blank: Callable[[dict[str, Any]], bool]
) -> tuple[list[dict[str, Any]], list[int]]:
    """The formset's rows that say something, and which form each came from (a refusal names the row sent)."""
    rows, where = [], []
    for i, f in enumerate(formset.forms):
        if not getattr(f, "cleaned_data", None) or blank(f.cleaned_data):
            continue
        rows.append(make(f.cleaned_data))
        where.append(i)
    return rows, where


def _lines(text: Any) -> str:
    return str(text or "").replace("\r\n", "\n").strip()


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def _blank_extra(d: dict[str, Any]) -> bool:
    return not d.get("id") and not d.get("label") and d.get("target_value") is None


def _blank_stage(d: dict[str, Any]) -> bool:
    return not d.get("due_on") and not d.get("title")


def _blank_partner(d: dict[str, Any]) -> bool:
    return not any(d.get(k) for k in ("uscc", "name", "tasks", "budget"))


def _blank_tranche(d: dict[str, Any]) -> bool:
    return not d.get("label") and d.get("amount") is None


class TaskBookEditor:
    """The officer's whole 任务书 form: the basic fields and targets, the 补充指标 (add-only), the
    进度安排, the 经费预算, the 合作单位 and the 拨款计划; only the sections changed are sent."""

    SECTIONS = ("extra", "milestones", "budget", "partners", "tranches")

    def __init__(self, data: Any, *, project: Project, content: dict[str, Any]) -> None:
        self.project = project
        self.main = TaskBookForm(
            data,
            initial={
                "lock_version": project.lock_version,
                "title": project.title,
                "content": project.content,
                "starts_on": project.starts_on,
                "ends_on": project.ends_on,
                "leader_phone": project.leader_phone,
            },
        )
        self.main.add_targets(content["indicators"])
        # Initial values of the fields' own types, so that a row left as it is is not a change.
        extras = [
            {"id": i["id"], "label": i["label"], "unit": i["unit"], "target_value": _decimal(i.get("target_value"))}
            for i in content["indicators"]
            if i["source"] == "extra"
        ]
        self.extra = _formset(ExtraIndicatorForm, prefix="extra", data=data, initial=extras, extra=2)
        stages = [
            {"due_on": _day(m["due_on"]), "title": m["title"], "targets": json.dumps(m["targets"] or {}, ensure_ascii=False)}
            for m in content["milestones"]
        ]
        self.milestones = _formset(MilestoneForm, prefix="ms", data=data, initial=stages, extra=2)
        self.budget = BudgetForm(data, initial=budget_initial(project), prefix="budget")
        partners = [{"name": p["name"], "uscc": p["uscc"], "tasks": p["tasks"], "budget": p["budget"]} for p in content["partners"]]
        self.partners = _formset(PartnerForm, prefix="partner", data=data, initial=partners, extra=2)
        plan = [{"label": t["label"], "amount": t["amount"], "condition": t["condition"]} for t in content["tranches"]]
        self.tranches = _formset(TrancheForm, prefix="tranche", data=data, initial=plan, extra=1)
        self.section_errors: dict[str, list[str]] = {s: [] for s in self.SECTIONS}
        self.sent: dict[str, list[int]] = {}

    def is_valid(self) -> bool:
        return all([self.main.is_valid(), self.extra.is_valid(), self.milestones.is_valid(), self.budget.is_valid()]) & all(
            [self.partners.is_valid(), self.tranches.is_valid()]
        )

    @property
    def lock_version(self) -> int:
        return int(self.main.cleaned_data["lock_version"])

    def changes(self) -> dict[str, Any]:
        main = self.main
        out: dict[str, Any] = {}
        for name in ("title", "content", "leader_phone"):
            # Browsers send a textarea's lines with CRLF: a text is changed when its words are.
            typed = _lines(main.cleaned_data.get(name))
            if typed != _lines(main.initial.get(name)):
                out[name] = typed
        for name in ("starts_on", "ends_on"):
            if name in main.changed_data and main.cleaned_data.get(name):
                out[name] = main.cleaned_data[name].isoformat()
        targets = main.targets_changed()
        if targets:
            out["indicators"] = targets
        if self.extra.has_changed():
            out["extra_indicators"], self.sent["extra_indicators"] = _rows(
                self.extra,
                lambda d: {
                    "id": d.get("id"),
                    "label": d.get("label") or "",
                    "unit": d.get("unit") or "",
                    "target_value": str(d["target_value"]) if d.get("target_value") is not None else None,
                },
                _blank_extra,
            )
        if self.milestones.has_changed():
            out["milestones"], self.sent["milestones"] = _rows(
                self.milestones,
                lambda d: {
                    "due_on": d["due_on"].isoformat() if d.get("due_on") else None,
                    "title": d.get("title") or "",
                    "targets": d.get("targets") or {},
                },
                _blank_stage,
            )
        if self.budget.has_changed():
            out["budget"] = self.budget.lines()
        if self.partners.has_changed():
            out["partners"], self.sent["partners"] = _rows(
                self.partners,
                lambda d: {k: d.get(k) or (0 if k == "budget" else "") for k in ("uscc", "name", "tasks", "budget")},
                _blank_partner,
            )
        if self.tranches.has_changed():
            out["tranches"], self.sent["tranches"] = _rows(
                self.tranches,
                lambda d: {"label": d.get("label") or "", "amount": d.get("amount"), "condition": d["condition"]},
                _blank_tranche,
            )
        return out

    # A refusal of the service under the field it names.

    def _row_error(self, section: str, formset: Any, path: str, message: str, fields: Mapping[str, str]) -> bool:
        head, _sep, rest = path.partition("]")
        try:
            n = int(head.split("[", 1)[1])
            form = formset.forms[self.sent.get(section, [])[n]]
        except (IndexError, ValueError):
            return False
        name = fields.get(rest.lstrip(".").split(".", 1)[0])
        form.add_error(name if name in form.fields else None, message)
        return True

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> bool:
        """Put the service's refusal under the field it names; False when it names none of this page's."""
        path = error_field(error) or ""
        inline = error_text(error, named=False)
        named = error_text(error, labels=labels)
        main = self.main
        if path in ("title", "content", "starts_on", "ends_on", "leader_phone"):
            main.add_error(path, inline)
            return True
        if path.startswith("indicators"):
            name, found = main.target_field_at(error)
            if found:
                main.add_error(name, inline)
                return True
            return False
        for section, formset, fields in (
            ("extra_indicators", self.extra, {"label": "label", "unit": "unit", "target_value": "target_value", "id": "label"}),
            ("milestones", self.milestones, {"due_on": "due_on", "title": "title", "targets": "title"}),
            ("partners", self.partners, {"uscc": "uscc", "name": "name", "tasks": "tasks", "budget": "budget"}),
            ("tranches", self.tranches, {"label": "label", "amount": "amount", "share_pct": "amount", "condition": "condition"}),
        ):
            if path.startswith(section + "[") and self._row_error(section, formset, path, inline, fields):
                return True
            if path.startswith(section):
                self.section_errors["extra" if section == "extra_indicators" else section].append(named)
                return True
        if path.startswith("budget"):
            if not place_budget(self.budget, path, inline):
                self.section_errors["budget"].append(named)
            return True
        return False


def place_budget(form: BudgetForm, path: str, message: str) -> bool:
    """ "budget.<category>.<fiscal|self_raised|total>" under its cell of the budget table."""
    parts = path.split(".")
    cells = {"fiscal": "fiscal", "self_raised": "self", "total": "total"}
    if len(parts) == 3 and parts[2] in cells:
        name = f"{parts[1]}_{cells[parts[2]]}"
        if name in form.fields:
            form.add_error(name, message)
            return True
    return False


# --------------------------------------------------------------------------- signing steps


class StepForm(forms.Form):
    """One step of the project workflow: a comment (required where the step says so), the
    version read, and for the unit's signature the stamped task book."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("意见或理由"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, transition: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("理由") if transition.action != "reopen" else _("退回理由")
        if "signed_file" in transition.needs:
            self.fields["file"] = forms.FileField(
                label=_("盖章的任务书（PDF，20 MB 以内）"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
            )


# --------------------------------------------------------------------------- change requests


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        single = super().clean
        return [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]


class ChangeRequestForm(TargetsForm):
    """A change request: its kind, the reasons, what is asked for (by kind) and attachments."""

    kind = forms.ChoiceField(label=_("变更类别"), choices=ChangeRequest.Kind.choices, widget=forms.HiddenInput)
    reasons = forms.CharField(label=_("变更理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("附件（PDF、图片、DOCX、XLSX、OFD，可多选）"), required=False)

    def __init__(self, *args: Any, kind: str, project: Project, content: dict[str, Any], people: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["kind"] = kind
        super().__init__(*args, **kwargs)
        self.change_kind = kind
        self.budget: BudgetForm | None = None
        if kind == ChangeRequest.Kind.EXTENSION:
            self.fields["ends_on"] = _date_field(_("延期后的结束日期"))
        elif kind == ChangeRequest.Kind.LEADER:
            self.fields["leader"] = forms.ModelChoiceField(label=_("新项目负责人"), queryset=people, empty_label=_("（请选择）"))
            self.fields["leader_phone"] = forms.CharField(
                label=_("新负责人联系电话"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
            )
        elif kind == ChangeRequest.Kind.LEAD_UNIT:
            self.fields["organisation"] = forms.CharField(
                label=_("新承担单位（单位编号或统一社会信用代码）"), max_length=30, widget=forms.TextInput(attrs={"spellcheck": "false"})
            )
            self.fields["new_leader"] = forms.IntegerField(
                label=_("新承担单位的项目负责人（人员编号）"), min_value=1, help_text=_("新承担单位在单位库中登记的人员")
            )
            self.fields["new_leader_phone"] = forms.CharField(
                label=_("新负责人联系电话"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
            )
        elif kind == ChangeRequest.Kind.TARGETS:
            self.fields["content"] = forms.CharField(label=_("变更后的研究内容"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
            self.initial.setdefault("content", project.content)
            self.add_targets(content["indicators"])
        elif kind == ChangeRequest.Kind.BUDGET:
            self.budget = BudgetForm(self.data or None, initial=budget_initial(project), prefix="budget")

    def is_valid(self) -> bool:
        return super().is_valid() & (self.budget is None or self.budget.is_valid())

    def clean_organisation(self) -> int:
        raw = (self.cleaned_data.get("organisation") or "").strip().upper()
        if raw.isdigit() and len(raw) < 18:
            return int(raw)
        verdict = check_uscc(raw)
        if not verdict.valid:
            raise forms.ValidationError(_("请填写单位编号或有效的统一社会信用代码"))
        # The registry's public identifier, read for the service, which takes the organisation's id.
        pk = Organisation.objects.filter(uscc=verdict.value).values_list("pk", flat=True).first()
        if pk is None:
            raise forms.ValidationError(_("单位库中没有统一社会信用代码为 %(uscc)s 的单位") % {"uscc": verdict.value})
        return pk

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        kind = self.change_kind
        if kind == ChangeRequest.Kind.EXTENSION:
            return {"ends_on": d["ends_on"].isoformat()}
        if kind == ChangeRequest.Kind.LEADER:
            return {"leader": cast("Person", d["leader"]).pk, "leader_phone": d["leader_phone"]}
        if kind == ChangeRequest.Kind.LEAD_UNIT:
            return {"organisation": d["organisation"], "leader": d["new_leader"], "leader_phone": d["new_leader_phone"]}
        if kind == ChangeRequest.Kind.TARGETS:
            out: dict[str, Any] = {}
            if _lines(d.get("content")) != _lines(self.initial.get("content")):
                out["content"] = _lines(d.get("content"))
            targets = self.targets_changed()
            if targets:
                out["indicators"] = targets
            return out
        if kind == ChangeRequest.Kind.BUDGET and self.budget is not None:
            return {"budget": self.budget.lines()}
        return {}

    def uploads(self) -> list[tuple[str, bytes]]:
        return [(f.name or "", f.read()) for f in self.cleaned_data.get("attachments") or []]

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> bool:
        path = error_field(error) or ""
        inline = error_text(error, named=False)
        if path.startswith("payload."):
            name = path.split(".", 2)[1]
            if name in ("leader", "leader_phone") and f"new_{name}" in self.fields:
                name = f"new_{name}"
            if name in self.fields:
                self.add_error(name, inline)
                return True
            if name == "budget" and self.budget is not None:
                self.budget.add_error(None, error_text(error, labels=labels))
                return True
        if path.startswith("budget.") and self.budget is not None:
            if not place_budget(self.budget, path, inline):
                self.budget.add_error(None, error_text(error, labels=labels))
            return True
        if path.startswith("indicators"):
            target, found = self.target_field_at(error)
            if found:
                self.add_error(target, inline)
                return True
        if path == "reasons":
            self.add_error(path, inline)
            return True
        if path == "file":
            self.add_error("attachments", inline)
            return True
        return False


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(label=_("确认撤回这项变更申请"))


class OpinionForm(forms.Form):
    agrees = forms.TypedChoiceField(
        label=_("推荐单位意见"),
        choices=[("yes", _("同意")), ("no", _("不同意"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(label=_("意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审批结果"),
        choices=[("yes", _("批准")), ("no", _("不予批准"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("审批意见"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不予批准时须填写理由"),
    )


# --------------------------------------------------------------------------- money


class BankAccountForm(forms.Form):
    bank = forms.CharField(label=_("开户银行"), max_length=200)
    name = forms.CharField(label=_("户名"), max_length=200)
    number = forms.CharField(
        label=_("银行账号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
        help_text=_("保存后只显示部分号码"),
    )


class PaymentForm(forms.Form):
    tranche = forms.TypedChoiceField(label=_("拨款期次"), coerce=int)
    amount = _yuan_field(_("拨款金额（元）"), required=True)
    paid_on = _date_field(_("拨付日期"))
    voucher = forms.CharField(label=_("凭证号"), max_length=64)

    def __init__(self, *args: Any, tranches: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.TypedChoiceField", self.fields["tranche"]).choices = [
            (
                t.order,
                _("第%(n)d期 %(label)s（%(amount)s 元，%(condition)s）")
                % {"n": t.order, "label": t.label, "amount": f"{t.amount:,}", "condition": t.get_condition_display()},
            )
            for t in tranches
        ]


def place_simple(form: forms.Form, error: YongkeError, labels: Mapping[str, Any]) -> None:
    """A refusal under the field it names when the form has it, else above the form."""
    path = error_field(error) or ""
    if path in form.fields and not form.fields[path].widget.is_hidden:  # a hidden field's error would not be seen
        form.add_error(path, error_text(error, named=False))
    else:
        form.add_error(None, error_text(error, labels=labels))

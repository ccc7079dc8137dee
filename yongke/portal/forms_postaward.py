"""Forms of the pages after signing (`views/postaward.py`, `views/postaward_office.py`): the unit's
report (an actual value per target fact, typed by the fact; the added indicators' actuals; the
money spent per budget line; the narrative), evidence uploads, the officer's mid-term check,
acceptance (opening it, the decision per indicator), termination and rescission, the expert's
answer and acceptance form, and finance's receipt of money returned.

The forms read what a person typed (amounts as people write them, dates, yes/no); the
services decide. A service's refusal names a field (`detail.field`: "actuals.kpi_new_revenue",
"spent.equipment.fiscal", "reasons.12", "rectify_by"); `place` puts it under that field, by
its label, and whatever was typed stays in the boxes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yongke.core.errors import YongkeError
from yongke.portal.forms import BoundedFloatField, CountField
from yongke.portal.forms_projects import _date_field, _yuan_field, place_simple
from yongke.portal.texts import error_field, error_text

ACTUAL = "actual__"
EXTRA = "extra__"
SPENT = "spent__"


def _actual_field(target: Mapping[str, Any]) -> forms.Field:
    """A box for the actual value of one target fact, typed by the fact (as the task book's editor's)."""
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
    if kind == "number":
        return BoundedFloatField(label=label, required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0}))
    return forms.CharField(label=label, required=False, max_length=200)


def _initial(kind: str | None, value: Any) -> Any:
    if kind == "bool" and value is not None:
        return "true" if value else "false"
    return value


class ReportForm(forms.Form):
    """The unit's report: one row per indicator with a box per target fact (a fact several
    indicators read is asked once, at its first indicator), the added indicators, the money
    spent per budget line (财政 and 自筹) and the narrative."""

    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    narrative = forms.CharField(
        label=_("执行情况"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("研究内容的完成情况、取得的成果、存在的问题"),
    )

    def __init__(
        self,
        *args: Any,
        indicators: Iterable[Mapping[str, Any]],
        budget: Iterable[Mapping[str, Any]],
        actuals: Mapping[str, Any] | None = None,
        extra_actuals: Mapping[str, Any] | None = None,
        spent: Iterable[Mapping[str, Any]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        actuals = actuals or {}
        extra_actuals = {str(k): v for k, v in (extra_actuals or {}).items()}
        spent_by = {s.get("category"): s for s in spent}
        self.rows: list[dict[str, Any]] = []
        self.extras: list[dict[str, Any]] = []
        self.fact_kinds: dict[str, str] = {}
        asked: dict[str, str] = {}  # fact → the label of the indicator that asks it
        for ind in indicators:
            if ind.get("source") == "extra":
                name = f"{EXTRA}{ind['id']}"
                self.fields[name] = BoundedFloatField(
                    label=ind["label"], required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0})
                )
                self.initial.setdefault(name, extra_actuals.get(str(ind["id"])))
                self.extras.append({"indicator": ind, "name": name})
                continue
            cells = []
            for t in ind.get("targets", []):
                fact = t["fact"]
                if fact in asked:
                    cells.append({"target": t, "name": None, "asked_at": asked[fact]})
                    continue
                name = f"{ACTUAL}{fact}"
                self.fields[name] = _actual_field(t)
                self.fact_kinds[fact] = t.get("type", "")
                self.initial.setdefault(name, _initial(t.get("type"), actuals.get(fact)))
                asked[fact] = ind["label"]
                cells.append({"target": t, "name": name, "asked_at": None})
            self.rows.append({"indicator": ind, "cells": cells})
        self.budget: list[dict[str, Any]] = []
        for line in budget:
            category = line["category"]
            was = spent_by.get(category, {})
            names = {}
            for part, label in (("fiscal", _("财政资助实际支出")), ("self_raised", _("自筹经费实际支出"))):
                name = f"{SPENT}{category}__{part}"
                self.fields[name] = _yuan_field(f"{line['label']}：{label}")
                self.initial.setdefault(name, was.get(part))
                names[part] = name
            self.budget.append({"line": line, **names})

    # --------------------------------------------------------------------------- the page

    def indicator_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "indicator": row["indicator"],
                "cells": [{**c, "field": self[c["name"]] if c["name"] else None} for c in row["cells"]],
            }
            for row in self.rows
        ]

    def extra_rows(self) -> list[dict[str, Any]]:
        return [{"indicator": e["indicator"], "field": self[e["name"]]} for e in self.extras]

    def budget_rows(self) -> list[dict[str, Any]]:
        return [{"line": b["line"], "fiscal": self[b["fiscal"]], "self_raised": self[b["self_raised"]]} for b in self.budget]

    # --------------------------------------------------------------------------- what the service takes

    def actuals(self) -> dict[str, Any]:
        """{fact: value} of the boxes filled in."""
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(ACTUAL) and value not in (None, ""):
                out[name[len(ACTUAL) :]] = value
        return out

    def extra_actuals(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for e in self.extras:
            value = self.cleaned_data.get(e["name"])
            if value is not None:
                out[str(e["indicator"]["id"])] = int(value) if float(value).is_integer() else value
        return out

    def spent(self) -> list[dict[str, Any]]:
        return [
            {
                "category": b["line"]["category"],
                "fiscal": self.cleaned_data.get(b["fiscal"]) or 0,
                "self_raised": self.cleaned_data.get(b["self_raised"]) or 0,
            }
            for b in self.budget
        ]

    @property
    def version(self) -> int | None:
        value = self.cleaned_data.get("lock_version")
        return int(value) if value is not None else None

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> None:
        """The service's refusal under the box it names ("actuals.<fact>", "extra_actuals.<id>",
        "spent.<category>.<fiscal|self_raised>", "narrative"), else above the form."""
        path = error_field(error) or ""
        inline = error_text(error, named=False)
        head, _dot, rest = path.partition(".")
        name = None
        if head == "actuals" and rest:
            name = f"{ACTUAL}{rest.split('.', 1)[0]}"
        elif head == "extra_actuals" and rest:
            name = f"{EXTRA}{rest.split('.', 1)[0]}"
        elif head == "spent" and rest:
            category, _d, part = rest.partition(".")
            name = f"{SPENT}{category}__{part or 'fiscal'}"
        elif path == "narrative":
            name = "narrative"
        if name in self.fields:
            self.add_error(name, inline)
        else:
            self.add_error(None, error_text(error, labels=labels))


class EvidenceForm(forms.Form):
    """One evidence file of a report, for one of its indicators (or the report as a whole)."""

    indicator = forms.TypedChoiceField(label=_("对应的考核指标"), coerce=int, required=False, empty_value=None)
    file = forms.FileField(
        label=_("佐证材料（PDF、图片、DOCX、XLSX、OFD，20 MB 以内）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.ofd"}),
    )

    def __init__(self, *args: Any, indicators: Iterable[Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("（整份报告）"))]
        choices += [(ind["id"], ind["label"]) for ind in indicators]
        self.fields["indicator"].choices = choices  # type: ignore[attr-defined]


class ReportSubmitForm(forms.Form):
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(label=_("已核对各项考核指标的实际完成值和佐证材料，确认提交"))


# --------------------------------------------------------------------------- the officer: reports


class MidtermCheckForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("中期检查结论"),
        choices=[("qualified", _("合格")), ("rectify", _("限期整改"))],
        widget=forms.RadioSelect,
    )
    rectify_by = _date_field(_("整改期限（限期整改时填写）"), required=False)
    comment = forms.CharField(label=_("检查意见"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "rectify" and not data.get("rectify_by"):
            self.add_error("rectify_by", _("限期整改须填写整改期限"))
        if data.get("outcome") == "qualified":
            data["rectify_by"] = None
        return data


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("退回理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class AcceptanceOpenForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("验收方式"),
        choices=[("documents", _("书面验收")), ("panel", _("专家验收"))],
        widget=forms.RadioSelect,
    )
    experts_wanted = forms.IntegerField(
        label=_("专家人数"), required=False, min_value=1, max_value=15, help_text=_("专家验收且未指定专家时填写")
    )
    experts = forms.TypedMultipleChoiceField(
        label=_("指定专家（可选）"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("勾选专家时只邀请所选的专家；不勾选时按专家人数从专家库中抽取（回避利益冲突）"),
    )

    def __init__(self, *args: Any, experts: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].choices = [  # type: ignore[attr-defined]
            (e.pk, f"{e.person.name}（{e.organisation.name if e.organisation else '—'}{'，' + e.title if e.title else ''}）")
            for e in experts
        ]

    def panel(self) -> dict[str, Any]:
        """What `acceptance_open` takes for the panel: the experts named, else their number (by documents: neither)."""
        d = self.cleaned_data
        if d.get("mode") != "panel":
            return {"experts": d.get("experts") or None, "k": d.get("experts_wanted")} if d.get("experts") else {}
        if d.get("experts"):
            return {"experts": list(d["experts"])}
        return {"k": d.get("experts_wanted")}

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> None:
        path = error_field(error) or ""
        if path == "k":
            self.add_error("experts_wanted", error_text(error, named=False))
        elif path.startswith("experts"):
            self.add_error("experts", error_text(error, named=False))
        else:
            place_simple(self, error, labels)


RESULT_CHOICES = [("pass", _("达到")), ("fail", _("未达到"))]


class DecisionForm(forms.Form):
    """The officer's verdict: the verdict the acceptance may give, a result and a reason per
    indicator (prefilled from the verification and the panel), the comment and, for 限期整改, the date."""

    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    verdict = forms.ChoiceField(label=_("验收结论"), widget=forms.RadioSelect)
    comment = forms.CharField(label=_("验收意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    rectify_by = _date_field(_("整改期限（限期整改时填写）"), required=False)

    def __init__(self, *args: Any, verdicts: Iterable[tuple[str, Any]], indicators: Iterable[Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verdict"].choices = list(verdicts)  # type: ignore[attr-defined]
        self.indicators = list(indicators)
        for ind in self.indicators:
            pk = ind["id"]
            self.fields[f"result__{pk}"] = forms.ChoiceField(label=_("结论"), choices=RESULT_CHOICES, widget=forms.RadioSelect)
            self.fields[f"reason__{pk}"] = forms.CharField(
                label=_("理由（未达到时必填）"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def indicator_rows(self) -> list[dict[str, Any]]:
        return [
            {"indicator": ind, "result": self[f"result__{ind['id']}"], "reason": self[f"reason__{ind['id']}"]} for ind in self.indicators
        ]

    def reasons(self) -> dict[str, dict[str, str]]:
        d = self.cleaned_data
        return {
            str(ind["id"]): {"result": d[f"result__{ind['id']}"], "reason": (d.get(f"reason__{ind['id']}") or "").strip()}
            for ind in self.indicators
        }

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> None:
        path = error_field(error) or ""
        head, _dot, rest = path.partition(".")
        if head == "reasons" and rest:
            pk, _d, part = rest.partition(".")
            name = f"{'result' if part == 'result' else 'reason'}__{pk}"
            if name in self.fields:
                self.add_error(name, error_text(error, named=False))
                return
        place_simple(self, error, labels)


# --------------------------------------------------------------------------- the officer: ending a project


class TerminateForm(forms.Form):
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("终止理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    misused = _yuan_field(_("违规使用的财政资金（元）"))
    confirm = forms.BooleanField(label=_("已核对上列经费清算结果，确认终止项目"), required=False)


class RescindForm(forms.Form):
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("撤销理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    misconduct = forms.BooleanField(label=_("因弄虚作假、违规使用资金等严重失信行为撤销（记入失信记录）"), required=False)
    confirm = forms.BooleanField(label=_("已核对上列经费追回结果和信用后果，确认撤销项目"), required=False)


# --------------------------------------------------------------------------- the expert


class PanelDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("谢绝理由 / 利益冲突说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如与该项目存在利益冲突，请写明"),
    )


class PanelAcceptForm(forms.Form):
    no_conflict = forms.BooleanField(
        label=_("本人声明：与该项目的承担单位、合作单位、项目负责人及项目组成员不存在利益冲突，承诺公正验收、保守秘密。")
    )


class PanelOpinionForm(forms.Form):
    """The expert's acceptance form: per indicator 达到 / 未达到 with a comment, the recommended verdict, the comment."""

    recommendation = forms.ChoiceField(label=_("建议验收结论"), widget=forms.RadioSelect)
    comment = forms.CharField(label=_("综合意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, verdicts: Iterable[tuple[str, Any]], indicators: Iterable[Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recommendation"].choices = list(verdicts)  # type: ignore[attr-defined]
        self.indicators = list(indicators)
        for ind in self.indicators:
            pk = ind["id"]
            self.fields[f"result__{pk}"] = forms.ChoiceField(label=_("意见"), choices=RESULT_CHOICES, widget=forms.RadioSelect)
            self.fields[f"comment__{pk}"] = forms.CharField(
                label=_("说明（未达到时必填）"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def indicator_rows(self) -> list[dict[str, Any]]:
        return [
            {"indicator": ind, "result": self[f"result__{ind['id']}"], "comment": self[f"comment__{ind['id']}"]} for ind in self.indicators
        ]

    def opinion(self) -> dict[str, dict[str, str]]:
        d = self.cleaned_data
        return {
            str(ind["id"]): {"result": d[f"result__{ind['id']}"], "comment": (d.get(f"comment__{ind['id']}") or "").strip()}
            for ind in self.indicators
        }

    def place(self, error: YongkeError, labels: Mapping[str, Any]) -> None:
        path = error_field(error) or ""
        head, _dot, rest = path.partition(".")
        if head == "opinion" and rest:
            pk, _d, part = rest.partition(".")
            name = f"{'result' if part in ('', 'result') else 'comment'}__{pk}"
            if name in self.fields:
                self.add_error(name, error_text(error, named=False))
                return
        place_simple(self, error, labels)


# --------------------------------------------------------------------------- finance


class ReceiptForm(forms.Form):
    amount = _yuan_field(_("到账金额（元）"), required=True)
    received_on = _date_field(_("到账日期"))
    voucher = forms.CharField(label=_("凭证号"), max_length=64)

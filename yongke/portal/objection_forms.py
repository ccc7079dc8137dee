"""The forms of the 公示: an objection (anyone), its handling and a call's contact (officers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yongke.publicity.models import Objection

# The outcomes as the officer's page names them (the model's labels are the Chinese source).
OUTCOME_LABELS = {
    Objection.Outcome.PENDING: _("待处理"),
    Objection.Outcome.UPHELD: _("异议成立"),
    Objection.Outcome.DISMISSED: _("异议不成立"),
    Objection.Outcome.NOT_ACCEPTED: _("不予受理"),
}


class _Labelled(forms.Form):
    """A form whose messages name each field by its label, and take a service's problems."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = gettext("请填写「%(label)s」") % {"label": field.label}
            field.error_messages["max_length"] = gettext("「%(label)s」过长（不超过 %%(limit_value)d 个字）") % {"label": field.label}

    def add_service_errors(self, errors: dict[str, str], message: str) -> None:
        if not errors:
            self.add_error(None, message)
        for key, text in errors.items():
            self.add_error(key if key in self.fields else None, text)


class ObjectionForm(_Labelled):
    name = forms.CharField(
        label=_("异议人（姓名或单位名称）"), max_length=100, help_text=_("请署真实姓名；以单位名义提出的请写单位全称。匿名异议不予受理。")
    )
    contact = forms.CharField(label=_("联系方式"), max_length=100, help_text=_("手机号、带区号的固定电话或电子邮箱，用于答复处理结果。"))
    reasons = forms.CharField(
        label=_("异议内容及理由"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明异议的事实和理由，可附证明材料的说明。"),
    )


class ObjectionHandleForm(_Labelled):
    outcome = forms.ChoiceField(
        label=_("处理结果"), choices=[("", "—")] + [(k, v) for k, v in OUTCOME_LABELS.items() if k != Objection.Outcome.PENDING]
    )
    handling = forms.CharField(label=_("处理情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class PublicityContactForm(_Labelled):
    contact = forms.CharField(label=_("异议受理联系人及联系方式"), max_length=300)

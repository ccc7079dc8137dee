"""我能申报什么: the organisation's profile the fit ranks by (type, industry, district or zone,
business scope), asked of everyone and prefilled from the registry for a signed-in applicant."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yongke.core.regions import NANNING_DISTRICTS, NANNING_ZONES
from yongke.guide.fit import MAX_SCOPE, FitModel, Profile
from yongke.orgs.models import Organisation

PREFIX = "org_"  # the questionnaire's other fields are the guide's fact names


def _industry_choices(model: FitModel) -> list[Any]:
    """GB/T 4754 divisions (大类) grouped by section (门类), as the fit model names them."""
    groups: list[Any] = [("", _("未选择"))]
    for section in model.sections.values():
        divisions = [(d.code, f"{d.code} {d.label}") for d in model.divisions.values() if d.code.startswith(section.code)]
        groups.append((f"{section.code} {section.label}", divisions))
    return groups


def _region_choices() -> list[Any]:
    return [
        ("", _("未选择")),
        (_("县（市、区）"), sorted(NANNING_DISTRICTS.items())),
        (_("开发区"), list(NANNING_ZONES.items())),
    ]


NOT_LISTED = {"invalid_choice": _("列表中没有这一项，请从列表中选择。")}


class FitProfileForm(forms.Form):
    org_kind = forms.ChoiceField(label=_("单位类型"), required=False, error_messages=NOT_LISTED)
    org_industry = forms.ChoiceField(label=_("国民经济行业（GB/T 4754）"), required=False, error_messages=NOT_LISTED)
    org_region = forms.ChoiceField(label=_("所在县（市、区）或开发区"), required=False, error_messages=NOT_LISTED)
    org_scope = forms.CharField(
        label=_("主营业务或经营范围"),
        required=False,
        max_length=MAX_SCOPE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如：新能源汽车动力电池的研发与生产。用于按相关程度排序，不影响能否申报。"),
    )

    def __init__(self, *args: Any, model: FitModel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "org_kind": [("", _("未选择")), *Organisation.Kind.choices],
            "org_industry": _industry_choices(model),
            "org_region": _region_choices(),
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def profile(self) -> Profile:
        """The valid answers as a profile; an invalid one is left out (and shown as an error)."""
        self.is_valid()  # cleans: cleaned_data keeps the valid answers
        d = self.cleaned_data
        region = d.get("org_region", "")
        return Profile(
            kind=d.get("org_kind", ""),
            industry=d.get("org_industry", ""),
            district=region if region in NANNING_DISTRICTS else "",
            zone=region if region in NANNING_ZONES else "",
            scope=d.get("org_scope", ""),
        )


def profile_initial(org: Organisation | None, model: FitModel) -> dict[str, str]:
    """The registry's answers for a signed-in applicant's organisation (its zone before its district)."""
    if org is None:
        return {}
    industry = org.industry.strip().upper()
    division = model.division(industry)
    return {
        "org_kind": org.kind,
        "org_industry": division.code if division else "",
        "org_region": org.zone or org.district,
    }


def profile_form(query: Any, org: Organisation | None, model: FitModel) -> FitProfileForm:
    """The form bound to the query's answers, the registry's filling those the query does not give."""
    initial = profile_initial(org, model)
    fields = ("org_kind", "org_industry", "org_region", "org_scope")
    data = {name: query.get(name, initial.get(name, "")) for name in fields}
    return FitProfileForm(data, model=model)

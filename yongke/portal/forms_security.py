"""Forms of the account's security pages: Django's password forms saving through the accounts
service, the registration form with its business licence, a registration decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from yongke.accounts.services import password_set
from yongke.orgs.registration import licence_type
from yongke.portal.forms import RegistrationForm


class _ThroughService:
    """SetPasswordForm.save() through accounts.services.password_set: validated, tokens revoked, audited."""

    how = "change"
    user: Any
    cleaned_data: dict[str, Any]
    address: str | None = None

    def save(self, commit: bool = True) -> Any:
        return password_set(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"], how=self.how, address=self.address
        )


class PasswordChangeForm(_ThroughService, auth_forms.PasswordChangeForm):
    how = "change"


class SetPasswordForm(_ThroughService, auth_forms.SetPasswordForm):
    how = "reset"


class RegistrationWithLicenceForm(RegistrationForm):
    licence = forms.FileField(
        label=_("营业执照（或事业单位法人证书）扫描件"),
        help_text=_("PDF、JPG 或 PNG 文件，不超过 10 MB；推荐单位据此审核本单位的注册。"),
        error_messages={"required": _("请上传营业执照"), "empty": _("上传的文件是空的")},
    )

    def clean_licence(self) -> Any:
        f = self.cleaned_data["licence"]
        if f.size > settings.YONGKE_LICENCE_MAX_BYTES:
            raise forms.ValidationError(_("文件不能超过 %(mb)d MB") % {"mb": settings.YONGKE_LICENCE_MAX_BYTES // (1024 * 1024)})
        head = f.read(16)
        f.seek(0)
        if licence_type(head) is None:
            raise forms.ValidationError(_("请上传 PDF、JPG 或 PNG 格式的文件"))
        return f


class RegistrationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("不予通过"))])
    reason = forms.CharField(label=_("意见（不予通过时必填）"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("请填写不予通过的理由"))
        return data

"""The account's own security: password change and reset (Django's views, our templates, the
accounts service underneath), API tokens, and the registrations a recommending unit or an
officer approves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import signals as auth_signals
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.models import ApiToken, Role
from yongke.accounts.services import token_list, token_revoke
from yongke.core.errors import YongkeError
from yongke.orgs.models import Organisation
from yongke.orgs.registration import registration_approve, registration_reject, registrations_pending_for
from yongke.portal.forms_security import PasswordChangeForm, RegistrationDecisionForm, SetPasswordForm
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, address, roles_required

# --------------------------------------------------------------------------- passwords


class PasswordChangeView(auth_views.PasswordChangeView):
    """Old password, new one twice; the API tokens are revoked and other sessions end, this one stays."""

    template_name = "portal/security/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("portal:security")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.address = address(self.request)  # type: ignore[attr-defined]  # our forms' _ThroughService reads it
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # saves, then update_session_auth_hash keeps this session
        messages.success(self.request, _("密码已修改。您的 API 令牌已全部吊销，其他设备上的登录已退出。"))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/security/password_reset.html"
    email_template_name = "portal/security/password_reset_email.txt"
    subject_template_name = "portal/security/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/security/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/security/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("portal:password_reset_complete")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.address = address(self.request)  # type: ignore[attr-defined]  # our forms' _ThroughService reads it
        return form


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/security/password_reset_complete.html"


# --------------------------------------------------------------------------- the security page: API tokens


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    now = timezone.now()
    tokens = [{"token": t, "state": t.state_at(now)} for t in token_list(actor=user, user=user)]
    return render(request, "portal/security/security.html", {"tokens": tokens})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk, user=user)
    token_revoke(actor=user, token=token)
    messages.success(request, _("令牌 %(prefix)s… 已吊销。") % {"prefix": token.prefix})
    return redirect("portal:security")


# --------------------------------------------------------------------------- registrations to approve


@roles_required(Role.RECOMMENDER, Role.OFFICER)
def registrations(request: HttpRequest) -> HttpResponse:
    pending = list(registrations_pending_for(request.user))
    return render(request, "portal/security/registrations.html", {"pending": pending, "form": RegistrationDecisionForm()})


@roles_required(Role.RECOMMENDER, Role.OFFICER)
@require_POST
def registration_decide(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    form = RegistrationDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        return redirect("portal:registrations")
    try:
        if form.cleaned_data["decision"] == "approve":
            registration_approve(actor=acting_user(request), organisation=org, comment=form.cleaned_data["reason"])
            messages.success(request, _("已通过 %(name)s 的注册。") % {"name": org.name})
        else:
            registration_reject(actor=acting_user(request), organisation=org, reason=form.cleaned_data["reason"])
            messages.success(request, _("已不予通过 %(name)s 的注册。") % {"name": org.name})
    except YongkeError as e:
        messages.error(request, error_text(e))
    return redirect("portal:registrations")


@roles_required(Role.RECOMMENDER, Role.OFFICER)
def registration_licence(request: HttpRequest, pk: int) -> FileResponse:
    """The business licence of a registration the reader may decide (or has decided: officers)."""
    from django.http import Http404

    org = registrations_pending_for(request.user).filter(pk=pk).first()
    if org is None or not org.licence:
        raise Http404
    return FileResponse(org.licence.open("rb"), as_attachment=False, filename=(org.licence.name or "").rsplit("/", 1)[-1])


# --------------------------------------------------------------------------- the pending banner


def _pending_banner(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    """A member of an organisation whose registration awaits approval is told so at sign-in."""
    if request is None or user is None or not hasattr(request, "_messages"):
        return
    pending = Organisation.objects.filter(role_grants__user=user, status=Organisation.Status.PENDING).values_list("name", flat=True)
    for name in pending:
        messages.warning(request, _("%(name)s 的注册正在等待推荐单位审核，审核通过后才能申报。") % {"name": name})


auth_signals.user_logged_in.connect(_pending_banner, dispatch_uid="yongke_pending_registration_banner")

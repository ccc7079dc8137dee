"""The portal's URLs for password change and reset, API tokens, registrations to approve (views/security.py)."""

from django.urls import URLPattern, path

from yongke.portal.views import security

urlpatterns: list[URLPattern] = [
    path("account/security/", security.security, name="security"),
    path("account/password/", security.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/<int:pk>/revoke/", security.token_revoke_view, name="token_revoke"),
    path("accounts/password-reset/", security.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", security.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", security.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/reset/done/", security.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("registrations/", security.registrations, name="registrations"),
    path("registrations/<int:pk>/decide/", security.registration_decide, name="registration_decide"),
    path("registrations/<int:pk>/licence/", security.registration_licence, name="registration_licence"),
]

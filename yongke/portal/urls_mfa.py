"""The portal's URLs for the second factor: TOTP set-up and verification, passkeys, recovery codes, re-authentication (views/mfa.py)."""

from django.urls import URLPattern, path

from yongke.portal.views import mfa, passkeys

urlpatterns: list[URLPattern] = [
    path("mfa/", mfa.mfa_status, name="mfa_status"),
    path("mfa/verify/", mfa.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", mfa.mfa_enrol, name="mfa_enrol"),
    path("mfa/passkey/remove/", passkeys.passkey_remove, name="passkey_remove"),
    path("mfa/reauth/", mfa.mfa_reauth, name="mfa_reauth"),
    path("security/accounts/", mfa.security_accounts, name="security_accounts"),
    path("security/accounts/mfa-reset/", mfa.security_mfa_reset, name="security_mfa_reset"),
    path("security/accounts/unlock/", mfa.security_unlock, name="security_unlock"),
]

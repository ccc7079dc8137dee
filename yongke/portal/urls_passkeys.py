"""The passkey endpoints the library's script calls (views/passkeys.py), under /mfa/passkey/ and
in the namespace its template tags look up (`otp_webauthn:…`), so included from yongke/urls.py
rather than inside the portal's namespace. The script's messages come from our catalogue
(yongke/locale/*/LC_MESSAGES/djangojs.po) besides the library's own."""

from django.urls import URLPattern, path
from django.views.i18n import JavaScriptCatalog

from yongke.portal.views import passkeys

app_name = "otp_webauthn"
urlpatterns: list[URLPattern] = [
    path("registration/begin/", passkeys.RegistrationBegin.as_view(), name="credential-registration-begin"),
    path("registration/complete/", passkeys.RegistrationComplete.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", passkeys.AuthenticationBegin.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", passkeys.AuthenticationComplete.as_view(), name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]

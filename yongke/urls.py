from django.contrib import admin
from django.urls import include, path

from yongke.accounts.admin import sysadmin_may_enter

# The admin is the system administrator's (role sysadmin), not every superuser's or staff member's:
# accounts and reference data only (yongke/accounts/admin.py, docs/duties.md).
admin.site.has_permission = sysadmin_may_enter  # type: ignore[method-assign]

urlpatterns = [
    path("admin/", admin.site.urls),
    # Passkeys: the JSON endpoints the library's script calls (namespace otp_webauthn; portal/urls_passkeys.py).
    path("mfa/passkey/", include("yongke.portal.urls_passkeys")),
    path("", include("yongke.api.urls")),
    path("", include("yongke.portal.urls")),
]

# Our own error pages, in the page's language; JSON under /api/ (yongke/portal/views/errors.py).
handler400 = "yongke.portal.views.errors.bad_request"
handler403 = "yongke.portal.views.errors.permission_denied"
handler404 = "yongke.portal.views.errors.page_not_found"
handler500 = "yongke.portal.views.errors.server_error"

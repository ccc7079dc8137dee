"""Publicity in the admin: a call's objection contact only. Objections are about applications
(their content, the objector's reasons): they are the officers' (handled through the service,
audited), not the system administrator's, so they are not registered here."""

from django.contrib import admin

from yongke.accounts.admin import SysadminAdmin
from yongke.publicity.models import CallPublicity


@admin.register(CallPublicity)
class CallPublicityAdmin(SysadminAdmin):
    list_display = ("call", "contact", "updated_at")
    readonly_fields = ("call", "contact", "updated_by", "updated_at")

    def has_add_permission(self, request, *args):
        return False

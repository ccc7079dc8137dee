"""Notifications in the admin: read-only (they are written by the delivery task only)."""

from django.contrib import admin

from yongke.accounts.admin import SysadminAdmin
from yongke.notifications.models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(SysadminAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at", "emailed_at", "sms_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "title", "key")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Preference)
class PreferenceAdmin(SysadminAdmin):
    list_display = ("user", "kind", "email", "sms")
    list_filter = ("kind", "email", "sms")
    search_fields = ("user__username",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

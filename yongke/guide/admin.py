"""The guide in the admin: read-only, except publishing or retiring a version."""

from django.contrib import admin, messages

from yongke.accounts.admin import SysadminAdmin
from yongke.core.errors import YongkeError
from yongke.guide import models as m
from yongke.guide import services


class ReadOnlyAdmin(SysadminAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.GuideVersion)
class GuideVersionAdmin(ReadOnlyAdmin):
    list_display = ("label", "revision", "title", "status", "loaded_at", "published_at", "retired_at")
    list_filter = ("status",)
    readonly_fields = ("label", "revision", "title", "digest", "status", "source_file", "loaded_at", "published_at", "retired_at")
    actions = ["publish", "retire"]

    @admin.action(description="发布所选指南版本", permissions=["view"])
    def publish(self, request, queryset):
        self._apply(request, queryset, services.guide_version_publish, "已发布")

    @admin.action(description="停用所选指南版本", permissions=["view"])
    def retire(self, request, queryset):
        self._apply(request, queryset, services.guide_version_retire, "已停用")

    def _apply(self, request, queryset, service, done):
        for version in queryset:
            try:
                service(actor=request.user, version=version)
                self.message_user(request, f"{version.label} r{version.revision} {done}")
            except YongkeError as e:
                self.message_user(request, e.message, messages.ERROR)


@admin.register(m.Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_inferred", "version")
    list_filter = ("version",)


@admin.register(m.Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_inferred", "funding", "review", "programme", "version")
    list_filter = ("version", "funding", "programme__name")


@admin.register(m.Direction)
class DirectionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "project", "version")
    list_filter = ("version",)
    search_fields = ("code", "name", "text")


@admin.register(m.Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "expr", "message", "version")
    list_filter = ("version", "kind")
    search_fields = ("code", "message", "source", "expr")


@admin.register(m.Fact)
class FactAdmin(ReadOnlyAdmin):
    list_display = ("name", "label", "type", "unit", "about", "version")
    list_filter = ("version", "type", "about")
    search_fields = ("name", "label")


@admin.register(m.Parameter)
class ParameterAdmin(ReadOnlyAdmin):
    list_display = ("name", "label", "value", "unit", "assumed", "version")
    list_filter = ("version", "assumed")

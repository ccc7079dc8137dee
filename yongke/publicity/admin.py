from django.contrib import admin

from yongke.publicity.models import CallPublicity, Objection


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("application", "name", "lodged_at", "outcome", "handled_at")
    list_filter = ("outcome",)
    search_fields = ("name", "application__title", "application__organisation__name")
    # Lodged on the public page and handled through the service (audited): read-only here.
    readonly_fields = (
        "application",
        "name",
        "contact",
        "reasons",
        "lodged_at",
        "address",
        "outcome",
        "handling",
        "handled_by",
        "handled_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(CallPublicity)
class CallPublicityAdmin(admin.ModelAdmin):
    list_display = ("call", "contact", "updated_at")
    readonly_fields = ("call", "contact", "updated_by", "updated_at")

    def has_add_permission(self, request):
        return False

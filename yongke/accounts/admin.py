"""The Django admin is the system administrator's: accounts (users, role grants) and reference
data, nothing of the workflow (三权分立: no application, award, review or payment model is
registered, and only a user holding the sysadmin role may enter — Django's superuser flag
grants nothing). Role grants made here follow the rule `user_add` follows (`roles_compatible`),
and, like `role_grant` / `role_remove`, revoke the API tokens of the account whose roles change.
Every write here (a role grant, an account, a password) asks for the password again when the
session's last authentication is older than YONGKE_REAUTH_MINUTES (`reauth_required`, docs/mfa.md)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.reauth import reauth_required
from yongke.accounts.selectors import roles_compatible, scope_of
from yongke.accounts.services import tokens_revoke_all


def sysadmin_may_enter(request: HttpRequest) -> bool:
    """Whether the request's user may use the admin site: an active user holding the sysadmin role."""
    user = request.user
    return bool(user.is_active and user.is_authenticated and Role.SYSADMIN in scope_of(user).roles)


class SysadminAdmin(admin.ModelAdmin):
    """A model the system administrator manages: the role decides, not Django's permissions
    (a sysadmin is not a superuser and holds no Django permission)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return sysadmin_may_enter(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sysadmin_may_enter(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return sysadmin_may_enter(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sysadmin_may_enter(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sysadmin_may_enter(request)


class ReauthAdmin(admin.ModelAdmin):
    """The admin's writes (a form saved, an object deleted, a bulk action, a password set) wait for
    a fresh authentication; the form as sent is carried through it."""

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None) -> Any:
        return reauth_required(super().changeform_view)(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        return reauth_required(super().delete_view)(request, object_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        return reauth_required(super().changelist_view)(request, extra_context)


class RoleGrantForm(forms.ModelForm):
    """A role grant as the admin makes it: with the scope its role needs, and never against 三权分立."""

    class Meta:
        model = RoleGrant
        fields = ("user", "role", "organisation", "unit", "programme")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user, role = data.get("user"), data.get("role")
        if user is None or not role:
            return data
        needs = {
            Role.ORG_ADMIN: ("organisation", "申报单位"),
            Role.APPLICANT: ("organisation", "申报单位"),
            Role.RECOMMENDER: ("unit", "推荐单位代码"),
            Role.OFFICER: ("programme", "专项编号"),
        }
        if role in needs and not data.get(needs[role][0]):
            field, label = needs[role]
            self.add_error(field, f"{label}：该角色须指定 / required for this role")
        others = RoleGrant.objects.filter(user=user)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        problem = roles_compatible({*others.values_list("role", flat=True), role})
        if problem:
            self.add_error("role", problem)
        return data


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    form = RoleGrantForm
    extra = 0
    fields = ("role", "organisation", "unit", "programme", "granted_at")
    readonly_fields = ("granted_at",)
    raw_id_fields = ("organisation",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sysadmin_may_enter(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # granted one by one (role grants), each checked against the user's other roles

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sysadmin_may_enter(request)


def _roles_changed(request: HttpRequest, user_ids: Any) -> None:
    """What `role_grant` / `role_remove` do after a change of roles: the accounts' API tokens
    are revoked (they were issued for what the accounts could do before), as the acting sysadmin."""
    for user in User.objects.filter(pk__in=set(user_ids)):
        tokens_revoke_all(actor=cast("User", request.user), user=user, reason="role_change")


@admin.register(RoleGrant)
class RoleGrantAdmin(ReauthAdmin, SysadminAdmin):
    """Every add, change and delete revokes the API tokens of the accounts whose roles it changes."""

    form = RoleGrantForm
    list_display = ("user", "role", "organisation", "unit", "programme", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "organisation__name", "unit", "programme")
    raw_id_fields = ("user", "organisation")

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: forms.ModelForm, change: bool) -> None:
        before = RoleGrant.objects.filter(pk=obj.pk).values_list("user_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if not change or form.has_changed():
            _roles_changed(request, [obj.user_id, *([before] if before else [])])

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        user_id = obj.user_id
        super().delete_model(request, obj)
        _roles_changed(request, [user_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleGrant]) -> None:
        user_ids = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        _roles_changed(request, user_ids)


admin.site.unregister(User)
admin.site.unregister(Group)  # Django's groups and permissions are not used: roles decide


@admin.register(User)
class YongkeUserAdmin(ReauthAdmin, SysadminAdmin, UserAdmin):
    """Accounts without Django's superuser flag, groups or permissions: roles are granted as RoleGrants."""

    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = (RoleGrantInline,)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        return reauth_required(super().user_change_password)(request, id, form_url)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is RoleGrant and (formset.deleted_objects or formset.new_objects or formset.changed_objects):
            _roles_changed(request, [form.instance.pk])  # a grant deleted from the user's page

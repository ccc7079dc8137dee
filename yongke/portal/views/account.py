"""Signing in and out, each role's landing page, registration and member accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yongke.accounts.models import Role
from yongke.accounts.selectors import members_of
from yongke.core.errors import YongkeError
from yongke.orgs.selectors import organisations_visible_to, people_visible_to
from yongke.orgs.services import member_create, organisation_register
from yongke.orgs.validators import check_uscc
from yongke.portal import nav
from yongke.portal.forms import MemberForm
from yongke.portal.forms_security import RegistrationWithLicenceForm
from yongke.portal.texts import error_field, error_text
from yongke.portal.views.common import acting_user, address, roles_required, scope


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the page that shows its work."""
    if not request.user.is_authenticated:
        return redirect("portal:login")
    return redirect(nav.landing_url(scope(request)))


def _registration_allowed(request: HttpRequest) -> bool:
    """At most YONGKE_REGISTRATIONS_PER_HOUR registrations tried per address per hour (Django's cache)."""
    key = f"yongke:register:{address(request) or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        tried = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        tried = 1
    return tried <= settings.YONGKE_REGISTRATIONS_PER_HOUR


def register(request: HttpRequest) -> HttpResponse:
    """The public registration: the organisation and its admin, pending until its recommending unit approves."""
    form = RegistrationWithLicenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if not _registration_allowed(request):
            form.add_error(None, _("注册过于频繁，请一小时后再试。"))
            return render(request, "portal/register.html", {"form": form}, status=429)
        d = form.cleaned_data
        try:
            _org, user = organisation_register(
                organisation={k: d[k] for k in ("uscc", "name", "kind", "district", "zone", "industry", "address")},
                username=d["username"],
                password=d["password1"],
                full_name=d["full_name"],
                email=d["email"],
                licence_name=d["licence"].name,
                licence=d["licence"].read(),
            )
        except YongkeError as e:
            field = {"password": "password1"}.get(error_field(e) or "", error_field(e))
            form.add_error(field if field in form.fields else None, error_text(e, named=field not in form.fields))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功：已登记本单位，并以单位管理员身份登录。推荐单位审核营业执照后，即可申报。"))
            return redirect("portal:home")
    return render(request, "portal/register.html", {"form": form})


@require_GET
def register_check_uscc(request: HttpRequest) -> HttpResponse:
    """htmx: the code checked as it is typed (format and check character only)."""
    raw = request.GET.get("uscc", "")
    verdict = check_uscc(raw) if raw.strip() else None
    return render(request, "portal/_uscc_check.html", {"verdict": verdict, "length": len(raw.strip().replace(" ", "").replace("-", ""))})


@roles_required(Role.ORG_ADMIN)
def org_members(request: HttpRequest) -> HttpResponse:
    # Which organisations to offer: those the user administers (member_create and members_of decide the rest).
    orgs = list(organisations_visible_to(request.user).filter(pk__in=scope(request).admin_of).order_by("name"))
    org = next((o for o in orgs if str(o.pk) == request.GET.get("org")), orgs[0] if orgs else None)
    if org is None:
        return render(request, "portal/message.html", {"title": _("本单位账户"), "text": _("您不是任何单位的管理员。")})
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member_create(
                actor=acting_user(request),
                organisation=org,
                username=d["username"],
                password=d["password"],
                full_name=d["full_name"],
                email=d["email"],
                id_number=d["id_number"],
                title=d["title"],
            )
        except YongkeError as e:
            field = error_field(e)
            form.add_error(field if field in form.fields else None, error_text(e, named=field not in form.fields))
        else:
            messages.success(request, _("已创建成员账户 %(name)s。") % {"name": d["username"]})
            return redirect(f"{request.path}?org={org.pk}")
    members = members_of(request.user, org)
    people = people_visible_to(request.user).filter(organisation=org).select_related("user").order_by("name")
    return render(request, "portal/org_members.html", {"org": org, "orgs": orgs, "form": form, "members": members, "people": people})

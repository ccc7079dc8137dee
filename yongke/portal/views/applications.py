"""One application, for whoever may see it: the generated form and live requirement panel
for its applicant, the stored verdicts and the workflow's actions for the units and officers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role
from yongke.accounts.reauth import money_action, reauth_required
from yongke.applications import services
from yongke.applications.models import BUDGET_ORDER, Application
from yongke.applications.proposal import attachment_kinds
from yongke.applications.selectors import (
    application_documents,
    application_for,
    application_removed_attachments,
    application_timeline,
    calls_visible_to,
    identity_hidden,
    may_verify_documents,
)
from yongke.awards.selectors import claim_payment_of
from yongke.core.directions import sort_directions
from yongke.core.errors import BadInput, YongkeError
from yongke.core.money import MoneyError, parse_count, parse_yuan
from yongke.guide.selectors import compiled_for
from yongke.orgs.selectors import organisation_facts, organisations_visible_to, people_visible_to
from yongke.portal.forms import (
    ApplicationForm,
    BudgetForm,
    NewApplicationForm,
    application_initial,
    budget_initial,
    direction_fact_specs,
    partner_formset,
    partner_rows,
    team_formset,
    team_members,
)
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, address, flash, is_htmx, roles_required, scope

APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)


# --------------------------------------------------------------------------- who may do what


def actions_for(user: Actor, app: Application) -> list[dict[str, Any]]:
    """The workflow's next steps this user may take on this application.

    Uses the services' own permission check (`may_take`), so a button is shown exactly when
    the service would allow the step.
    """
    out = []
    for t in app.workflow.available(app.state):
        if not services.may_take(user, app, t):
            continue
        out.append(
            {
                "action": t.action,
                "label": t.label,
                "comment_required": t.comment_required,
                "amount": "amount" in t.needs,
                "objection_days": "objection_days" in t.needs,
                "voucher": "voucher" in t.needs,
                "applicant": set(t.roles) <= set(APPLICANT_ROLES),
                "danger": t.action in ("not_recommend", "refuse", "not_fund", "withdraw", "return", "decline"),
            }
        )
    return out


# --------------------------------------------------------------------------- the page


def _context(
    request: HttpRequest, app: Application, form: ApplicationForm | None = None, tables: dict[str, Any] | None = None
) -> dict[str, Any]:
    user = acting_user(request)
    compiled = compiled_for(app.guide_version)
    guide = compiled.guide
    direction = guide.direction(app.direction)
    specs = direction_fact_specs(guide, direction)
    editable = app.editable_by(user)
    registry = organisation_facts(app.organisation, on=timezone.localdate(), facts=guide.facts)
    if editable and form is None:
        form = _form(request, app, specs, registry, data=None)
    live = services.application_check(app) if editable else None
    facts_shown = []
    if not editable:
        current = services.application_facts(app)
        facts_shown = [{"spec": s, "value": current.get(s.name)} for s in specs]
    documents = [r for r in direction.rules if r.kind == "document"]
    if editable and tables is None and app.funding == "pre":
        tables = _tables(request, app, data=None)
    return {
        "app": app,
        "guide": guide,
        "direction": direction,
        "form": form if editable else None,
        "editable": editable,
        "live": live,
        "specs": specs,
        "facts_shown": facts_shown,
        "registry": registry,
        "stored": app.verdict or None,
        "rules_by_id": {r.id: r for r in direction.rules},
        "timeline": application_timeline(user, app),
        "attachments": app.attachments.current(),
        "documents": documents,
        "listed": application_documents(user, app),
        "kinds": attachment_kinds(guide, direction),
        "removed": application_removed_attachments(user, app),
        "tables": tables if editable else None,
        "budget_lines": sorted(app.budget_lines.all(), key=lambda b: BUDGET_ORDER[b.category]),
        "team": app.team.select_related("person__organisation").order_by("order", "id"),
        "partners": app.partners.order_by("order", "id"),
        "may_verify": may_verify_documents(user, app),
        "actions": actions_for(user, app),
        "hidden": identity_hidden(request.user, app),
        "submission": app.submissions.order_by("-number").first(),
        "claim_payment": claim_payment_of(user, app),
    }


def _attachments_context(request: HttpRequest, app: Application) -> dict[str, Any]:
    """What the attachments list shows: the 材料清单 with each category's files and mark, the other files."""
    user = acting_user(request)
    return {
        "app": app,
        "listed": application_documents(user, app),
        "editable": app.editable_by(user),
        "may_verify": may_verify_documents(user, app),
    }


def _form(request, app, specs, registry, data) -> ApplicationForm:
    people = people_visible_to(request.user).filter(organisation=app.organisation).order_by("name")
    return ApplicationForm(
        data, initial=application_initial(app, specs), specs=specs, people=people, registry=registry, funding=app.funding
    )


def _tables(request: HttpRequest, app: Application, data) -> dict[str, Any]:
    """The 申报书's tables of a 前资助 application: the budget, the team (people of the organisation
    and of its registered partners) and the partners."""
    partner_orgs = [p.organisation_id for p in app.partners.all() if p.organisation_id]
    people = people_visible_to(request.user).filter(Q(organisation=app.organisation) | Q(organisation__in=partner_orgs)).order_by("name")
    return {
        "budget": BudgetForm(data, initial=budget_initial(app), prefix="budget"),
        "team": team_formset(data, app, people),
        "partners": partner_formset(data, app),
    }


def _tables_valid(tables: dict[str, Any] | None) -> bool:
    if tables is None:
        return True
    return all([tables["budget"].is_valid(), tables["team"].is_valid(), tables["partners"].is_valid()])


def _table_changes(tables: dict[str, Any] | None) -> dict[str, Any]:
    if tables is None:
        return {}
    return {"budget": tables["budget"].lines(), "team": team_members(tables["team"]), "partners": partner_rows(tables["partners"])}


@roles_required()
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = application_for(request.user, pk)
    if request.method == "POST":
        return _save(request, app)
    return render(request, "portal/application.html", _context(request, app))


def _save(request: HttpRequest, app: Application) -> HttpResponse:
    guide = compiled_for(app.guide_version).guide
    specs = direction_fact_specs(guide, guide.direction(app.direction))
    registry = organisation_facts(app.organisation, on=timezone.localdate(), facts=guide.facts)
    form = _form(request, app, specs, registry, data=request.POST)
    # The 申报书's tables when the page sent them (a 前资助 application's page always does).
    posted = "team-TOTAL_FORMS" in request.POST and "partner-TOTAL_FORMS" in request.POST
    tables = _tables(request, app, data=request.POST) if app.funding == "pre" and posted else None
    if form.is_valid() & _tables_valid(tables):
        try:
            app = services.application_update(
                actor=acting_user(request),
                application=app,
                lock_version=int(request.POST.get("lock_version") or 0),
                changes={**form.changes(), **_table_changes(tables)},
            )
        except YongkeError as e:
            flash(request, e)
            status = e.status
        else:
            if request.POST.get("then") == "submit":
                return redirect("portal:application_submit", pk=app.pk)
            messages.success(request, _("已保存。"))
            return redirect("portal:application_detail", pk=app.pk)
    else:
        messages.error(request, _("请更正标出的错误后再保存。"))
        status = 400
    return render(request, "portal/application.html", _context(request, app, form=form, tables=tables), status=status)


@roles_required(*APPLICANT_ROLES)
@require_POST
def application_check(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the requirement panel for the form as it stands, nothing saved."""
    app = application_for(request.user, pk)
    compiled = compiled_for(app.guide_version)
    guide = compiled.guide
    specs = direction_fact_specs(guide, guide.direction(app.direction))
    registry = organisation_facts(app.organisation, on=timezone.localdate(), facts=guide.facts)
    form = _form(request, app, specs, registry, data=request.POST)
    form.is_valid()  # partly valid is fine: a field with an error counts as not given
    facts = services.application_facts(app)
    for name, value in form.given_facts().items():
        if value is None:
            facts.pop(name, None)
        else:
            facts[name] = value
    cleaned = getattr(form, "cleaned_data", {})
    for name in ("requested_amount", "self_raised_amount"):
        if name in guide.facts:
            if cleaned.get(name) is None:
                facts.pop(name, None)
            else:
                facts[name] = cleaned[name]
    if "title" in guide.facts and cleaned.get("title"):
        facts["title"] = cleaned["title"]
    try:
        live = compiled.check(app.direction, facts)
    except BadInput as e:
        return HttpResponse(error_text(e, labels={n: f.label for n, f in guide.facts.items()}), status=400)
    return render(
        request,
        "portal/_live_panel.html",
        {"live": live, "app": app, "guide": guide, "field_errors": dict(form.errors.items())},
    )


@roles_required(*APPLICANT_ROLES)
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation summary, then the submission itself."""
    app = application_for(request.user, pk)
    t = app.workflow.transition("submit")
    if request.method == "POST":
        try:
            app, changed = services.application_transition(
                actor=acting_user(request),
                application=app,
                action="submit",
                lock_version=int(request.POST.get("lock_version") or 0),
                address=address(request),
            )
        except YongkeError as e:
            flash(request, e)
        else:
            if changed:
                messages.success(request, _("已提交：%(state)s。") % {"state": app.state_label})
            else:
                messages.info(request, _("该申报已经提交过，未重复提交。"))
            return redirect("portal:application_detail", pk=app.pk)
        app = application_for(request.user, pk)
    ctx = _context(request, app)
    facts = services.application_facts(app)  # once for the page, not once per fact shown
    ctx.update(
        {
            "check": services.application_check(app),
            "transition": t,
            "facts_shown": [{"spec": s, "value": facts.get(s.name)} for s in ctx["specs"]],
        }
    )
    return render(request, "portal/application_submit.html", ctx)


@roles_required()
@require_POST
@reauth_required(when=money_action)
def application_transition(request: HttpRequest, pk: int) -> HttpResponse:
    app = application_for(request.user, pk)
    action = request.POST.get("action", "")
    if action == "withdraw" and request.POST.get("confirm") != "yes":
        # 撤回 cannot be undone: the page asks for a confirmation, and nothing happens without it.
        messages.error(request, _("撤回后不能恢复：请勾选“确认撤回”后再撤回。"))
        return redirect("portal:application_detail", pk=app.pk)
    try:
        amount = _int(request.POST.get("amount"), "amount")
        days = _int(request.POST.get("objection_days"), "objection_days")
        lock = _int(request.POST.get("lock_version"), "lock_version")
        app, _changed = services.application_transition(
            actor=acting_user(request),
            application=app,
            action=action,
            comment=request.POST.get("comment", ""),
            amount=amount,
            objection_days=days,
            lock_version=lock,
            address=address(request),
            voucher=request.POST.get("voucher"),
        )
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("已办理：%(state)s。") % {"state": app.state_label})
    nxt = request.POST.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("portal:application_detail", pk=app.pk)


def _int(raw: str | None, field: str) -> int | None:
    """A number typed in a step's form; the amount as people type it ("80万", "800,000")."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    try:
        return parse_yuan(raw) if field == "amount" else parse_count(raw, maximum=2**63 - 1)  # a 64-bit column at most
    except MoneyError as e:
        raise BadInput(f"{field}: {e.message}", detail={"field": field, "value": raw[:40]}) from None


# --------------------------------------------------------------------------- attachments


@roles_required(*APPLICANT_ROLES)
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    app = application_for(request.user, pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise BadInput("file: 请选择文件 / choose a file", detail={"field": "file"})
        services.attachment_add(
            actor=acting_user(request),
            application=app,
            kind=request.POST.get("kind", ""),
            filename=upload.name or "",
            content=upload.read(),
        )
    except YongkeError as e:
        if is_htmx(request):
            return HttpResponse(error_text(e), status=400, content_type="text/plain; charset=utf-8")
        flash(request, e)
        return redirect("portal:application_detail", pk=app.pk)
    if is_htmx(request):
        return render(request, "portal/_attachments.html", _attachments_context(request, app))
    messages.success(request, _("附件已上传。"))
    return redirect("portal:application_detail", pk=app.pk)


@roles_required()
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    app = application_for(request.user, pk)
    att = app.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise Http404("没有这个附件")
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.filename, content_type=att.content_type)


# --------------------------------------------------------------------------- applicant lists


@roles_required(*APPLICANT_ROLES)
def calls(request: HttpRequest) -> HttpResponse:
    items = []
    for call in calls_visible_to(request.user).order_by("-opens_at"):
        guide = compiled_for(call.guide_version).guide
        dirs = [guide.direction(d) for d in sort_directions(call.directions)]
        items.append({"call": call, "open": services.call_is_open(call), "directions": dirs})
    return render(request, "portal/calls.html", {"items": items})


@roles_required(*APPLICANT_ROLES)
def application_new(request: HttpRequest, call_id: int, direction: str) -> HttpResponse:
    call = calls_visible_to(request.user).filter(pk=call_id).first()
    if call is None or direction not in call.directions:
        raise Http404("本批次未开放该方向")
    guide = compiled_for(call.guide_version).guide
    d = guide.direction(direction)
    # Offer the user's own organisations; application_create decides whether they may apply for it.
    orgs = organisations_visible_to(request.user).filter(pk__in=scope(request).organisations).order_by("name")
    form = NewApplicationForm(request.POST or None, organisations=orgs, initial={"organisation": orgs.first()})
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_create(
                actor=acting_user(request),
                call=call,
                direction=direction,
                organisation=form.cleaned_data["organisation"],
                title=form.cleaned_data["title"],
            )
        except YongkeError as e:
            flash(request, e)
        else:
            messages.success(request, _("已创建申报草稿，请填写申报信息。"))
            return redirect(reverse("portal:application_detail", args=[app.pk]))
    return render(request, "portal/application_new.html", {"call": call, "direction": d, "form": form, "open": services.call_is_open(call)})


@roles_required(*APPLICANT_ROLES)
@require_POST
def attachment_remove(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Take a file off a draft or a returned application (it stays in the audit trail)."""
    app = application_for(request.user, pk)
    att = app.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise Http404(_("没有这个附件"))
    try:
        services.attachment_remove(actor=acting_user(request), attachment=att)
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("已删除附件：%(name)s。") % {"name": att.filename})
    return redirect(reverse("portal:application_detail", args=[app.pk]) + "#att-h")


@roles_required(*APPLICANT_ROLES)
@require_POST
def attachment_replace(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A new file in an old one's place, in the same category (the old one kept for the audit trail)."""
    app = application_for(request.user, pk)
    att = app.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise Http404(_("没有这个附件"))
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise BadInput("请选择文件 / choose a file", detail={"field": "file"})
        new = services.attachment_replace(actor=acting_user(request), attachment=att, filename=upload.name or "", content=upload.read())
    except YongkeError as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, _("已替换附件：%(old)s → %(new)s。") % {"old": att.filename, "new": new.filename})
    return redirect(reverse("portal:application_detail", args=[app.pk]) + "#att-h")


@roles_required(Role.OFFICER)
@require_POST
def document_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer marks one category of documents verified or not, in formal review."""
    app = application_for(request.user, pk)
    try:
        services.document_verify(
            actor=acting_user(request),
            application=app,
            evidence=request.POST.get("evidence", ""),
            verified=request.POST.get("verified") == "yes",
            comment=request.POST.get("comment", ""),
        )
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("已记录材料核验结果。"))
    return redirect(reverse("portal:application_detail", args=[app.pk]) + "#docs-h")


@roles_required()
def application_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 申报书 as a PDF to print, sign, stamp and upload."""
    app = application_for(request.user, pk)
    content = services.application_pdf(actor=acting_user(request), application=app)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="shenbaoshu-{app.pk}.pdf"'
    return response

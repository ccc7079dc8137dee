"""Projects for the people who manage them: the officer's 项目管理 queue (by state, signing
deadlines and the overdue marked), the 任务书 editor, the change approvals; the recommending
unit's opinions on its units' changes; finance's ledger per call and the payments of a project.
Reads through `yongke.projects.selectors`, writes through `yongke.projects.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.accounts.reauth import reauth_required
from yongke.applications.selectors import calls_visible_to
from yongke.core.errors import YongkeError
from yongke.guide.selectors import compiled_for
from yongke.orgs.selectors import bank_account_of
from yongke.portal.forms_projects import DecisionForm, OpinionForm, PaymentForm, TaskBookEditor, place_simple
from yongke.portal.texts import error_text
from yongke.portal.views.common import acting_user, paginate, roles_required, scope
from yongke.portal.views.projects import changes_shown, project_rows
from yongke.projects import exports, services
from yongke.projects import rules as project_rules
from yongke.projects.models import ChangeRequest
from yongke.projects.selectors import (
    call_ledger,
    change_get,
    changes_awaiting,
    project_filter,
    project_get,
    project_ledger,
    projects_visible_to,
    task_book_content,
)
from yongke.projects.workflow import PROJECT

# --------------------------------------------------------------------------- the officer's queue


def _deadline_rows(rows: list[dict[str, Any]], now: dt.datetime, near: dt.timedelta) -> list[dict[str, Any]]:
    """Each row marked when its task book awaits the unit's signature past its time, or close to it."""
    for row in rows:
        p = row["project"]
        waiting = p.state == "signing" and p.unit_signed_at is None and p.sign_by is not None
        row["overdue"] = waiting and p.sign_by <= now
        row["near"] = waiting and not row["overdue"] and p.sign_by - now <= near
    return rows


@roles_required(Role.OFFICER)
def officer_projects(request: HttpRequest) -> HttpResponse:
    visible = projects_visible_to(request.user)
    counts = dict(visible.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    g = request.GET
    state = g.get("state", "") if g.get("state", "") in PROJECT.states else ""
    state = state or ("signing" if counts.get("signing") else "drafting")
    call = g.get("call", "") if g.get("call", "").isdigit() else ""
    qs = project_filter(visible, {"state": state, "call": call})
    qs = qs.order_by("sign_by", "pk") if state == "signing" else qs.order_by("-updated_at", "-id")
    page = paginate(request, qs)
    now = timezone.now()
    near = dt.timedelta(days=project_rules.rules().sign_reminder_days)
    waiting = visible.filter(state="signing", unit_signed_at__isnull=True, sign_by__isnull=False)
    rest = g.copy()
    for name in ("page", "after", "before"):  # the pager adds them back
        rest.pop(name, None)
    return render(
        request,
        "portal/projects/officer_projects.html",
        {
            "page": page,
            "rows": _deadline_rows(project_rows(list(page.object_list)), now, near),
            "state": state,
            "state_label": PROJECT.state_label(state),
            "tabs": [(s, label, counts.get(s, 0)) for s, label in PROJECT.states.items()],
            "overdue": waiting.filter(sign_by__lte=now).count(),
            "near": waiting.filter(sign_by__gt=now, sign_by__lte=now + near).count(),
            "near_days": near.days,
            "reviewed": changes_awaiting(request.user).filter(state=ChangeRequest.State.REVIEWED).count(),
            "calls": list(
                calls_visible_to(request.user)
                .filter(pk__in=visible.values("call"))
                .select_related(None)
                .only("id", "name")
                .order_by("-opens_at")
            ),
            "call": call,
            "querystring": rest.urlencode(),
        },
    )


# --------------------------------------------------------------------------- the task book editor

EDIT_LABELS = {
    "indicators": gettext_lazy("考核指标"),
    "extra_indicators": gettext_lazy("补充指标"),
    "milestones": gettext_lazy("进度安排"),
    "budget": gettext_lazy("经费预算"),
    "partners": gettext_lazy("合作单位"),
    "tranches": gettext_lazy("拨款计划"),
    "content": gettext_lazy("研究内容"),
    "starts_on": gettext_lazy("项目开始日期"),
    "ends_on": gettext_lazy("项目结束日期"),
    "leader_phone": gettext_lazy("项目负责人联系电话"),
}


@roles_required(Role.OFFICER)
def task_book_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer's 任务书 form, every section at once; a refusal of `task_book_update` lands under
    the field it names (a target below the promise, with the indicator's clause beside it)."""
    p = project_get(request.user, pk)
    editor = TaskBookEditor(request.POST if request.method == "POST" else None, project=p, content=task_book_content(p))
    status = 200
    if request.method == "POST":
        status = 400
        if editor.is_valid():
            changes = editor.changes()
            if not changes:
                messages.info(request, _("任务书没有修改。"))
                return redirect("portal:project_detail", pk=p.pk)
            labels = {**{n: f.label for n, f in compiled_for(p.guide_version).guide.facts.items()}, **EDIT_LABELS}
            try:
                p = services.task_book_update(actor=acting_user(request), project=p, lock_version=editor.lock_version, changes=changes)
            except YongkeError as e:
                if not editor.place(e, labels):
                    editor.main.add_error(None, error_text(e, labels=labels))
                status = e.status
            else:
                messages.success(request, _("任务书已保存，承担单位可在项目页面看到每一处修改。"))
                return redirect("portal:project_detail", pk=p.pk)
        else:
            messages.error(request, _("请更正标出的错误后再保存。"))
    return render(
        request,
        "portal/projects/task_book_edit.html",
        {"project": p, "editor": editor, "form": editor.main, "rows": editor.main.target_rows()},
        status=status,
    )


# --------------------------------------------------------------------------- changes: opinions and decisions


def _changes(request: HttpRequest, state: str) -> list[ChangeRequest]:
    """The changes waiting on this user in `state` (selectors.changes_awaiting)."""
    qs = changes_awaiting(request.user).filter(state=state)
    return list(
        qs.select_related("project__organisation", "project__guide_version", "requested_by")
        .prefetch_related("files", "project__indicators")
        .order_by("requested_at", "pk")
    )


def _change_page(
    request: HttpRequest, template: str, changes: list[ChangeRequest], form_class: type, bound: Any = None, status: int = 200
) -> HttpResponse:
    rows = changes_shown(changes)
    for row in rows:
        cr = row["change"]
        row["form"] = bound if bound is not None and bound.prefix == f"c{cr.pk}" else form_class(prefix=f"c{cr.pk}")
    return render(request, template, {"rows": rows}, status=status)


@roles_required(Role.RECOMMENDER)
def change_opinions(request: HttpRequest) -> HttpResponse:
    """The changes the recommending unit's units asked for, awaiting its opinion."""
    changes = _changes(request, ChangeRequest.State.REQUESTED)
    return _change_page(request, "portal/projects/change_opinions.html", changes, OpinionForm)


@roles_required(Role.RECOMMENDER)
@require_POST
def change_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    cr = change_get(request.user, pk)
    form = OpinionForm(request.POST, prefix=f"c{cr.pk}")
    status = 400
    if form.is_valid():
        try:
            cr = services.change_request_opinion(
                actor=acting_user(request), change=cr, agrees=form.cleaned_data["agrees"], opinion=form.cleaned_data["opinion"]
            )
        except YongkeError as e:
            place_simple(form, e, {"opinion": _("意见"), "agrees": _("推荐单位意见")})
            status = e.status
        else:
            messages.success(request, _("已出具意见：%(project)s 变更申请第 %(n)d 号。") % {"project": cr.project.number, "n": cr.number})
            return redirect("portal:change_opinions")
    changes = _changes(request, ChangeRequest.State.REQUESTED)
    return _change_page(request, "portal/projects/change_opinions.html", changes, OpinionForm, bound=form, status=status)


@roles_required(Role.OFFICER)
def change_approvals(request: HttpRequest) -> HttpResponse:
    """The changes with the recommending unit's opinion, awaiting the officer's decision."""
    changes = _changes(request, ChangeRequest.State.REVIEWED)
    return _change_page(request, "portal/projects/change_approvals.html", changes, DecisionForm)


@roles_required(Role.OFFICER)
@require_POST
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    cr = change_get(request.user, pk)
    form = DecisionForm(request.POST, prefix=f"c{cr.pk}")
    status = 400
    if form.is_valid():
        try:
            cr = services.change_request_decide(
                actor=acting_user(request), change=cr, approve=form.cleaned_data["approve"], comment=form.cleaned_data["comment"]
            )
        except YongkeError as e:
            place_simple(form, e, {"comment": _("审批意见"), "approve": _("审批结果")})
            status = e.status
        else:
            if cr.state == ChangeRequest.State.APPROVED:
                text = _("已批准 %(project)s 变更申请第 %(n)d 号：任务书第 %(a)d 号变更。") % {
                    "project": cr.project.number,
                    "n": cr.number,
                    "a": cr.project.amendment,
                }
            else:
                text = _("已不予批准 %(project)s 变更申请第 %(n)d 号。") % {"project": cr.project.number, "n": cr.number}
            messages.success(request, text)
            return redirect("portal:change_approvals")
    changes = _changes(request, ChangeRequest.State.REVIEWED)
    return _change_page(request, "portal/projects/change_approvals.html", changes, DecisionForm, bound=form, status=status)


# --------------------------------------------------------------------------- money


@roles_required(Role.FINANCE, Role.OFFICER)
def ledger(request: HttpRequest) -> HttpResponse:
    """A call's projects and their money: granted, paid, outstanding, stopped, due back, recovered; the call's budgets."""
    visible = projects_visible_to(request.user)
    calls = list(calls_visible_to(request.user).filter(pk__in=visible.values("call")).order_by("-opens_at", "-id"))
    raw = request.GET.get("call", "")
    call = next((c for c in calls if str(c.pk) == raw), calls[0] if calls else None)
    result = call_ledger(request.user, call) if call is not None else None
    if result is not None:
        names = project_rows([r["project"] for r in result["rows"]])
        for row, named in zip(result["rows"], names, strict=True):
            row["direction_name"] = named["direction_name"]
    ctx = {"calls": calls, "call": call, "ledger": result, "may_pay": Role.FINANCE in scope(request).roles}
    return render(request, "portal/projects/ledger.html", ctx)


@roles_required(Role.FINANCE, Role.OFFICER)
def call_projects_export(request: HttpRequest, call_id: int) -> HttpResponse:
    """The call's projects as a workbook (`projects.exports.call_projects_xlsx`): those the user may see."""
    call = calls_visible_to(request.user).filter(pk=call_id).first()
    if call is None:
        raise Http404(_("没有这个申报批次"))
    content = exports.call_projects_xlsx(actor=acting_user(request), call=call)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="projects-call-{call.pk}.xlsx"'
    return response


PAYMENT_LABELS = {
    "tranche": gettext_lazy("拨款期次"),
    "amount": gettext_lazy("拨款金额"),
    "paid_on": gettext_lazy("拨付日期"),
    "voucher": gettext_lazy("凭证号"),
}


@roles_required(Role.FINANCE)
@reauth_required
def project_payments(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's payments and the form finance records one with (`payment_record`)."""
    p = project_get(request.user, pk)
    tranches = list(p.tranches.all())
    form = PaymentForm(request.POST if request.method == "POST" else None, tranches=tranches)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                payment = services.payment_record(
                    actor=acting_user(request),
                    project=p,
                    tranche=d["tranche"],
                    amount=d["amount"],
                    paid_on=d["paid_on"],
                    voucher=d["voucher"],
                )
            except YongkeError as e:
                place_simple(form, e, PAYMENT_LABELS)
                status = e.status
            else:
                messages.success(
                    request,
                    _("已登记拨款 %(amount)s 元（凭证号 %(voucher)s）。") % {"amount": f"{payment.amount:,}", "voucher": payment.voucher},
                )
                return redirect("portal:project_payments", pk=p.pk)
    payments = list(p.payments.select_related("tranche", "recorded_by").order_by("paid_on", "id"))
    paid: dict[int, int] = {}
    for pay in payments:
        paid[pay.tranche.order] = paid.get(pay.tranche.order, 0) + pay.amount
    return render(
        request,
        "portal/projects/payments.html",
        {
            "project": p,
            "form": form,
            "payments": payments,
            "tranches": [{"tranche": t, "paid": paid.get(t.order, 0), "left": t.amount - paid.get(t.order, 0)} for t in tranches],
            "ledger": project_ledger(p),
            "account": bank_account_of(p.organisation),
            "back": reverse("portal:ledger") + f"?call={p.call_id}",
        },
        status=status,
    )

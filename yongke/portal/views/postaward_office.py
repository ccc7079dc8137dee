"""Pages after signing for the people who manage the projects: the officer's queue of reports
to check and of reports overdue; the mid-term check (合格 / 限期整改 with a date), the return of
a report, the opening of an acceptance (by documents or by a panel, the experts chosen or
drawn); the acceptance with its panel's state and opinions and the decision per indicator
(prefilled from the verification); termination and rescission with their money consequences
shown before confirming; a call's post-award settings. Finance's recoveries (due, received,
overdue) and the receipt of money returned.

Reads through `yongke.projects.acceptance_selectors` and `yongke.projects.selectors`; writes
through `yongke.projects.acceptance`, `yongke.projects.services` (termination, rescission) and
`yongke.projects.closure` (receipts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
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
from yongke.portal.forms import MoneyField
from yongke.portal.forms_postaward import (
    AcceptanceOpenForm,
    DecisionForm,
    MidtermCheckForm,
    ReceiptForm,
    RescindForm,
    ReturnForm,
    TerminateForm,
)
from yongke.portal.forms_projects import place_simple
from yongke.portal.views.common import acting_user, roles_required, scope
from yongke.portal.views.postaward import (
    LABELS,
    RESULT_TEXT,
    _officer,
    _render_report,
    check_rows,
    checks_summary,
    labels_for,
    report_context,
)
from yongke.projects import acceptance as acceptance_services
from yongke.projects import acceptance_selectors as sel
from yongke.projects import closure, credit
from yongke.projects import rules as project_rules
from yongke.projects import services as project_services
from yongke.projects.models import Acceptance, PanelMember, Project, Report
from yongke.projects.selectors import (
    project_get,
    project_ledger,
    recoveries_overdue,
    recoveries_visible_to,
    recovery_get,
    recovery_left,
    recovery_overdue,
    task_book_content,
)
from yongke.review.selectors import expert_pool_search

OFFICE_ROLES = (Role.OFFICER, Role.AUDITOR, Role.SYSADMIN)
POOL_SHOWN = 60  # experts offered by name on the opening form; the rest are drawn by number

# --------------------------------------------------------------------------- the queue


@roles_required(*OFFICE_ROLES)
def report_queue(request: HttpRequest) -> HttpResponse:
    """Reports to check (mid-term reports submitted; final and rectification reports awaiting an
    acceptance), acceptances open (a panel's progress), and the reports overdue."""
    submitted = list(
        sel.reports_visible_to(request.user)
        .filter(state=Report.State.SUBMITTED)
        .select_related("project__organisation")
        .order_by("submitted_at", "pk")
    )
    with_acceptance = set(Acceptance.objects.filter(report__in=submitted).values_list("report_id", flat=True))
    to_check = [r for r in submitted if r.pk not in with_acceptance]
    open_acceptances = list(
        sel.acceptances_visible_to(request.user)
        .filter(state=Acceptance.State.OPEN)
        .select_related("project__organisation")
        .order_by("opened_at", "pk")
    )
    return render(
        request,
        "portal/postaward/report_queue.html",
        {
            "to_check": to_check,
            "acceptances": [{"acceptance": a, "progress": sel.panel_progress(a)} for a in open_acceptances],
            "overdue": sel.reports_overdue(request.user),
            "calls": list(calls_visible_to(request.user).order_by("-opens_at", "-id")[:20]),
        },
    )


# --------------------------------------------------------------------------- a report: checked, returned, accepted on


def _pool(request: HttpRequest) -> list[Any]:
    try:
        return list(expert_pool_search(request.user, available=True).filter(user__isnull=False)[:POOL_SHOWN])
    except YongkeError:
        return []


def office_forms(
    request: HttpRequest,
    p: Project,
    r: Report,
    *,
    check: MidtermCheckForm | None = None,
    back: ReturnForm | None = None,
    open_form: AcceptanceOpenForm | None = None,
) -> dict[str, Any]:
    """The officer's forms beside a submitted report: the mid-term check, the return, the acceptance's opening."""
    out: dict[str, Any] = {}
    if not _officer(request, p) or r.state != Report.State.SUBMITTED:
        return out
    accepted_on = Acceptance.objects.filter(report=r).first()
    if r.kind == Report.Kind.MIDTERM:
        out["check_form"] = check or MidtermCheckForm()
    if r.kind != Report.Kind.RECTIFICATION and accepted_on is None:
        out["return_form"] = back or ReturnForm()
    if r.kind != Report.Kind.MIDTERM and accepted_on is None and p.state == "acceptance":
        schedule = sel.schedule_of(p)
        out["open_form"] = open_form or AcceptanceOpenForm(
            experts=_pool(request), initial={"mode": schedule.acceptance_mode, "experts_wanted": project_rules.postaward().experts}
        )
        out["default_mode"] = Acceptance.Mode(schedule.acceptance_mode).label
    if accepted_on is not None:
        out["accepted_on"] = accepted_on
    return out


def _report_again(request: HttpRequest, pk: int, status: int, **bound: Any) -> HttpResponse:
    r = sel.report_get(request.user, pk)
    p = project_get(request.user, r.project_id)
    return _render_report(request, report_context(request, p, r.kind, r, office=office_forms(request, p, r, **bound)), status)


@roles_required()
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report, for whoever may see its project: its form while the unit writes it, else as
    submitted with its checks; for the programme's officer, the check, return and acceptance forms."""
    r = sel.report_get(request.user, pk)
    p = project_get(request.user, r.project_id)
    return _render_report(request, report_context(request, p, r.kind, r, office=office_forms(request, p, r)))


@roles_required(Role.OFFICER)
@require_POST
def midterm_check(request: HttpRequest, pk: int) -> HttpResponse:
    """合格 or 限期整改 with a date (`midterm_check`)."""
    r = sel.report_get(request.user, pk)
    form = MidtermCheckForm(request.POST)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            r = acceptance_services.midterm_check(
                actor=acting_user(request), report=r, outcome=d["outcome"], comment=d.get("comment") or "", rectify_by=d.get("rectify_by")
            )
        except YongkeError as e:
            place_simple(form, e, LABELS)
            status = e.status
        else:
            if r.outcome == Report.Outcome.QUALIFIED:
                messages.success(request, _("中期检查结论：合格。"))
            else:
                messages.success(
                    request, _("中期检查结论：限期整改，整改期限 %(on)s。") % {"on": r.rectify_by.isoformat() if r.rectify_by else "—"}
                )
            return redirect("portal:report_detail", pk=r.pk)
    return _report_again(request, pk, status, check=form)


@roles_required(Role.OFFICER)
@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a submitted report back to the unit with the reasons (`report_return`)."""
    r = sel.report_get(request.user, pk)
    form = ReturnForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            r = acceptance_services.report_return(actor=acting_user(request), report=r, comment=form.cleaned_data["comment"])
        except YongkeError as e:
            place_simple(form, e, LABELS)
            status = e.status
        else:
            messages.success(request, _("已退回%(kind)s，待承担单位修改后重新提交。") % {"kind": r.get_kind_display()})
            return redirect("portal:report_detail", pk=r.pk)
    return _report_again(request, pk, status, back=form)


@roles_required(Role.OFFICER)
@require_POST
def acceptance_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the acceptance on the report: by documents, or by a panel of the experts chosen or of k drawn (`acceptance_open`)."""
    r = sel.report_get(request.user, pk)
    p = project_get(request.user, r.project_id)
    form = AcceptanceOpenForm(request.POST, experts=_pool(request))
    status = 400
    if form.is_valid():
        try:
            a = acceptance_services.acceptance_open(actor=acting_user(request), project=p, mode=form.cleaned_data["mode"], **form.panel())
        except YongkeError as e:
            form.place(e, LABELS)
            status = e.status
        else:
            if a.mode == Acceptance.Mode.PANEL:
                text = _("已组织专家验收，邀请了 %(n)d 位专家。") % {"n": a.members.count()}
            else:
                text = _("已组织书面验收。")
            messages.success(request, text)
            return redirect("portal:acceptance_detail", pk=a.pk)
    return _report_again(request, pk, status, open_form=form)


# --------------------------------------------------------------------------- an acceptance


def _member_rows(members: list[PanelMember], indicators: dict[int, str]) -> list[dict[str, Any]]:
    rows = []
    for m in members:
        opinion = [
            {
                "label": indicators.get(int(pk), pk),
                "result": item.get("result", ""),
                "result_text": RESULT_TEXT.get(item.get("result", ""), ""),
                "comment": item.get("comment", ""),
            }
            for pk, item in (m.opinion or {}).items()
        ]
        rows.append(
            {
                "member": m,
                "opinion": opinion if m.state == PanelMember.State.SUBMITTED else [],
                "recommendation": Acceptance.Verdict(m.recommendation).label if m.recommendation else "",
            }
        )
    return rows


def decision_form(a: Acceptance, checks: dict[int, dict[str, Any]], indicators: list[dict[str, Any]], data: Any = None) -> DecisionForm:
    """The decision form, prefilled from the verification: 达到 where the guide's rule and the
    targets hold on the actuals, 未达到 with the check's words otherwise."""
    verdicts = [(v, Acceptance.Verdict(v).label) for v in sel.allowed_verdicts(a)]
    initial: dict[str, Any] = {}
    all_pass = True
    for ind in indicators:
        row = checks.get(ind["id"])
        passed = bool(row and row.get("result") == "pass")
        all_pass &= passed
        initial[f"result__{ind['id']}"] = "pass" if passed else "fail"
        if not passed:
            said = row.get("result_text") if row else RESULT_TEXT["missing"]
            initial[f"reason__{ind['id']}"] = _("按实际完成值核验：%(result)s") % {"result": said}
    if all_pass and verdicts:
        initial["verdict"] = verdicts[0][0]
    return DecisionForm(data, verdicts=verdicts, indicators=indicators, initial=initial)


def acceptance_context(request: HttpRequest, a: Acceptance, *, form: DecisionForm | None = None, invite: Any = None) -> dict[str, Any]:
    p = project_get(request.user, a.project_id)
    content = task_book_content(p)
    checks = check_rows(a.checks, compiled_for(p.guide_version).guide.facts)
    members = sel.members_of(request.user, a)
    names = {ind["id"]: ind["label"] for ind in content["indicators"]}
    officer = _officer(request, p)
    decidable = officer and a.state == Acceptance.State.OPEN and p.state == "acceptance"
    return {
        "project": p,
        "acceptance": a,
        "report": a.report,
        "indicators": [
            {"indicator": ind, "check": checks.get(ind["id"]), "reason": (a.reasons or {}).get(str(ind["id"]))}
            for ind in content["indicators"]
        ],
        "checks": checks_summary(a.checks),
        "members": _member_rows(members, names),
        "sees_panel": sel.sees_panel(request.user, a),
        "progress": sel.panel_progress(a) if a.mode == Acceptance.Mode.PANEL else None,
        "officer": officer,
        "form": (form or decision_form(a, checks, content["indicators"])) if decidable else None,
        "invite": invite or (InviteForm() if decidable and a.mode == Acceptance.Mode.PANEL else None),
        "result_text": RESULT_TEXT,
    }


class InviteForm(django_forms.Form):
    k = django_forms.IntegerField(label=gettext_lazy("增邀专家人数"), min_value=1, max_value=15, initial=1)


@roles_required()
def acceptance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An acceptance: the verification at its opening, the panel (invited, accepted, declined,
    submitted, each opinion), the verdict with its reasons, and the officer's decision form."""
    a = sel.acceptance_get(request.user, pk)
    return render(request, "portal/postaward/acceptance.html", acceptance_context(request, a))


@roles_required(Role.OFFICER)
@require_POST
def acceptance_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The verdict, a result and a reason per indicator, the comment (`acceptance_decide`); a
    refusal (an indicator passed that the check fails, a panel not done) is shown where it belongs."""
    a = sel.acceptance_get(request.user, pk)
    p = project_get(request.user, a.project_id)
    content = task_book_content(p)
    form = decision_form(a, check_rows(a.checks, compiled_for(p.guide_version).guide.facts), content["indicators"], request.POST)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        rectify_by = d.get("rectify_by") if d["verdict"] == Acceptance.Verdict.RECTIFY else None
        try:
            a = acceptance_services.acceptance_decide(
                actor=acting_user(request),
                acceptance=a,
                verdict=d["verdict"],
                reasons=form.reasons(),
                comment=d["comment"],
                rectify_by=rectify_by,
            )
        except YongkeError as e:
            form.place(e, labels_for(p))
            status = e.status
        else:
            state = Project.objects.get(pk=p.pk).state_label
            messages.success(request, _("验收结论：%(verdict)s。项目%(state)s。") % {"verdict": a.get_verdict_display(), "state": state})
            return redirect("portal:acceptance_detail", pk=a.pk)
    else:
        messages.error(request, _("请更正标出的错误后再提交。"))
    a = sel.acceptance_get(request.user, pk)
    return render(request, "portal/postaward/acceptance.html", acceptance_context(request, a, form=form), status=status)


@roles_required(Role.OFFICER)
@require_POST
def acceptance_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite more experts to the panel, drawn from the pool (`acceptance_invite`)."""
    a = sel.acceptance_get(request.user, pk)
    form = InviteForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            a = acceptance_services.acceptance_invite(actor=acting_user(request), acceptance=a, k=form.cleaned_data["k"])
        except YongkeError as e:
            place_simple(form, e, LABELS)
            status = e.status
        else:
            messages.success(request, _("已增邀专家。"))
            return redirect("portal:acceptance_detail", pk=a.pk)
    a = sel.acceptance_get(request.user, pk)
    return render(request, "portal/postaward/acceptance.html", acceptance_context(request, a, invite=form), status=status)


# --------------------------------------------------------------------------- ending a project: the money first
# What ending it would move is shown first (`closure.recovery_preview`, the arithmetic the step then opens its recovery by).


def _consequences(p: Project, codes: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        c = credit.consequence_for(p, code)
        if c is None:
            continue
        subject = _("项目负责人 %(name)s") % {"name": p.leader.name} if c.subject == "leader" else p.organisation.name
        period = _("办结前") if c.until_done else _("%(n)s 年") % {"n": c.years}
        out.append({"code": code, "subject": subject, "period": period, "source": c.source})
    return out


@dataclass(frozen=True)
class Ending:
    form: type[django_forms.Form]
    outcome: str  # the rules' closure outcome
    title: Any
    done: Any


ENDINGS = {
    "terminate": Ending(
        TerminateForm, "termination", gettext_lazy("终止项目"), gettext_lazy("项目已终止：停止拨付后续经费，应退回 %(due)s。")
    ),
    "rescind": Ending(RescindForm, "revocation", gettext_lazy("撤销项目"), gettext_lazy("项目已撤销：应退回已拨付的财政资金 %(due)s。")),
}


def confirming(request: HttpRequest) -> bool:
    """The confirming POST of an ending (the money due back is then fixed); the preview is not."""
    return bool(request.POST.get("confirm"))


def _ending(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    p = project_get(request.user, pk)
    spec = ENDINGS[action]
    form = spec.form(request.POST if request.method == "POST" else None, initial={"lock_version": p.lock_version})
    status = 200
    preview = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            misused = d.get("misused") or 0
            preview = closure.recovery_preview(p, spec.outcome, misused=misused)
            if not d.get("confirm"):
                status = 200  # the money shown; confirmed with the box ticked
            else:
                try:
                    if action == "terminate":
                        p = project_services.project_terminate(
                            actor=acting_user(request), project=p, comment=d["comment"], misused=misused, lock_version=d.get("lock_version")
                        )
                    else:
                        p = project_services.project_rescind(
                            actor=acting_user(request),
                            project=p,
                            comment=d["comment"],
                            misconduct=bool(d.get("misconduct")),
                            lock_version=d.get("lock_version"),
                        )
                except YongkeError as e:
                    place_simple(form, e, LABELS)
                    status = e.status
                else:
                    messages.success(request, str(spec.done) % {"due": f"{preview['due']:,} 元"})
                    return redirect("portal:project_postaward", pk=p.pk)
    rules = project_rules.postaward()
    codes = tuple(c for c in project_services.MISCONDUCT) if action == "rescind" else ()
    return render(
        request,
        "portal/postaward/ending.html",
        {
            "project": p,
            "action": action,
            "title": spec.title,
            "form": form,
            "preview": preview,
            "ledger": project_ledger(p),
            "source": rules.recover_sources[spec.outcome],
            "consequences": _consequences(p, codes),
            "allowed": any(t.action == action for t in project_services.service_steps_for(acting_user(request), p)),
        },
        status=status,
    )


@roles_required(Role.OFFICER)
@reauth_required(when=confirming)
def project_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    """终止: the reason and the misused money; the recovery shown, then confirmed (`project_terminate`)."""
    return _ending(request, pk, "terminate")


@roles_required(Role.OFFICER)
@reauth_required(when=confirming)
def project_rescind(request: HttpRequest, pk: int) -> HttpResponse:
    """撤销: the reason and whether for misconduct; everything paid to return and the credit records shown, then confirmed (`project_rescind`)."""
    return _ending(request, pk, "rescind")


# --------------------------------------------------------------------------- a call's post-award settings


class SettingsForm(django_forms.Form):
    midterm_min_amount = MoneyField(label=gettext_lazy("须中期检查的立项金额下限（元）"), required=False)
    midterm_min_months = django_forms.IntegerField(
        label=gettext_lazy("须中期检查的执行期下限（月，超过即须）"), required=False, min_value=1, max_value=120
    )
    documents_below = MoneyField(label=gettext_lazy("书面验收的立项金额上限（元，低于即书面验收）"), required=False)
    rectify_months = django_forms.IntegerField(label=gettext_lazy("验收整改期限（月）"), required=False, min_value=1, max_value=12)
    publish_results = django_forms.BooleanField(label=gettext_lazy("公开已验收项目及其主要成果"), required=False)


@roles_required(Role.OFFICER, Role.SYSADMIN)
def postaward_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """A call's post-award settings (`postaward_settings_set`): empty means the rules' default."""
    call = calls_visible_to(request.user).filter(pk=pk).first()
    if call is None:
        raise Http404(_("没有这个申报批次"))
    current = sel.postaward_settings_for(call)
    own = {name: getattr(current, name) if name in current.overridden else None for name in sel.POSTAWARD_FIELDS}
    form = SettingsForm(request.POST if request.method == "POST" else None, initial={**own, "publish_results": current.publish_results})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                acceptance_services.postaward_settings_set(actor=acting_user(request), call=call, **form.cleaned_data)
            except YongkeError as e:
                place_simple(form, e, LABELS)
                status = e.status
            else:
                messages.success(request, _("已保存批次的项目验收设置。"))
                return redirect("portal:postaward_settings", pk=call.pk)
    rules = project_rules.postaward()
    defaults = {
        "midterm_min_amount": rules.midterm_min_amount,
        "midterm_min_months": rules.midterm_min_months,
        "documents_below": rules.documents_below,
        "rectify_months": rules.rectify_months,
    }
    return render(
        request, "portal/postaward/settings.html", {"call": call, "form": form, "defaults": defaults, "rules": rules}, status=status
    )


# --------------------------------------------------------------------------- finance: the money coming back


@roles_required(Role.FINANCE, Role.OFFICER, Role.AUDITOR)
def recoveries(request: HttpRequest) -> HttpResponse:
    """Money to be returned: overdue, due (not yet back in full) and received, each with its receipts."""
    rows: list[dict[str, Any]] = [
        {"recovery": r, "left": recovery_left(r), "overdue": recovery_overdue(r)} for r in recoveries_visible_to(request.user)
    ]
    overdue_ids = set(recoveries_overdue(request.user).values_list("pk", flat=True))
    groups = [
        ("overdue", _("逾期未退回"), [r for r in rows if r["recovery"].pk in overdue_ids]),
        ("due", _("待退回"), [r for r in rows if r["left"] > 0 and r["recovery"].pk not in overdue_ids]),
        ("received", _("已退回"), [r for r in rows if r["left"] == 0]),
    ]
    totals = {
        "due": sum(r["recovery"].amount_due for r in rows),
        "received": sum(r["recovery"].received for r in rows),
        "left": sum(r["left"] for r in rows),
    }
    return render(
        request, "portal/postaward/recoveries.html", {"groups": groups, "totals": totals, "finance": Role.FINANCE in scope(request).roles}
    )


RECEIPT_LABELS = {"amount": gettext_lazy("到账金额"), "received_on": gettext_lazy("到账日期"), "voucher": gettext_lazy("凭证号")}


@roles_required(Role.FINANCE)
@reauth_required
def recovery_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Record money returned against a recovery (`closure.recovery_receive`)."""
    r = recovery_get(request.user, pk)
    form = ReceiptForm(
        request.POST if request.method == "POST" else None,
        initial={"amount": recovery_left(r) or None, "received_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                receipt = closure.recovery_receive(
                    actor=acting_user(request), recovery=r, amount=d["amount"], received_on=d["received_on"], voucher=d["voucher"]
                )
            except YongkeError as e:
                place_simple(form, e, RECEIPT_LABELS)
                status = e.status
            else:
                messages.success(
                    request,
                    _("已登记退回到账 %(amount)s 元（凭证号 %(voucher)s）。")
                    % {"amount": f"{receipt.amount:,}", "voucher": receipt.voucher},
                )
                return redirect(reverse("portal:recoveries") + f"#recovery-{r.pk}")
        r = recovery_get(request.user, pk)
    return render(
        request,
        "portal/postaward/recovery_receive.html",
        {"recovery": r, "form": form, "left": recovery_left(r), "overdue": recovery_overdue(r), "receipts": list(r.receipts.all())},
        status=status,
    )

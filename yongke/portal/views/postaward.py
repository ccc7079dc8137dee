"""Pages after signing for the unit, the experts and the public: a project's 报告与验收 (its
schedule of reports with the overdue marked, its reports, its acceptances with the reasons per
indicator, the 验收证书, the money to be returned and the credit records it left); the unit's
report (an actual value per target fact beside the task book's and the guide's clause, the
added indicators, the money spent per budget line, the narrative, evidence per indicator, the
verification by the guide's rules, submission); an expert's acceptance panels (before
accepting only the title, the direction and the conflict question); and the public list of
accepted projects with their main results, for the calls that publish them.

Reads through `yongke.projects.acceptance_selectors` and `yongke.projects.selectors`; writes
through `yongke.projects.acceptance`. The officer's and finance's pages are in
`postaward_office.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yongke.accounts.models import Role
from yongke.core.errors import YongkeError
from yongke.guide.selectors import compiled_for
from yongke.portal.forms_postaward import (
    EvidenceForm,
    PanelAcceptForm,
    PanelDeclineForm,
    PanelOpinionForm,
    ReportForm,
    ReportSubmitForm,
)
from yongke.portal.forms_projects import place_simple
from yongke.portal.texts import error_field, error_text
from yongke.portal.views.common import acting_user, flash, is_htmx, roles_required, scope
from yongke.portal.views.projects import value_text
from yongke.projects import acceptance as acceptance_services
from yongke.projects import acceptance_selectors as sel
from yongke.projects import certificate
from yongke.projects import services as project_services
from yongke.projects.models import Acceptance, Indicator, PanelMember, Project, Recovery, Report
from yongke.projects.selectors import (
    credit_records_of,
    project_get,
    project_ledger,
    recoveries_of,
    recovery_left,
    recovery_overdue,
    task_book_content,
)
from yongke.projects.workflow import PROJECT

APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)
OPEN = sel.OPEN_REPORT_STATES

# The fields the post-award services name in a refusal, by their label on the page.
LABELS: dict[str, Any] = {
    "narrative": gettext_lazy("执行情况"),
    "actuals": gettext_lazy("实际完成值"),
    "extra_actuals": gettext_lazy("补充指标实际完成值"),
    "spent": gettext_lazy("经费实际支出"),
    "evidence": gettext_lazy("佐证材料"),
    "indicator": gettext_lazy("考核指标"),
    "kind": gettext_lazy("报告类别"),
    "no_conflict": gettext_lazy("无利益冲突声明"),
    "recommendation": gettext_lazy("建议验收结论"),
    "opinion": gettext_lazy("逐项意见"),
    "comment": gettext_lazy("意见"),
    "outcome": gettext_lazy("中期检查结论"),
    "rectify_by": gettext_lazy("整改期限"),
    "mode": gettext_lazy("验收方式"),
    "experts": gettext_lazy("验收专家"),
    "k": gettext_lazy("专家人数"),
    "verdict": gettext_lazy("验收结论"),
    "reasons": gettext_lazy("逐项结论"),
    "misused": gettext_lazy("违规使用的财政资金"),
    "misconduct": gettext_lazy("严重失信行为"),
    "amount": gettext_lazy("到账金额"),
    "received_on": gettext_lazy("到账日期"),
    "voucher": gettext_lazy("凭证号"),
    "lock_version": gettext_lazy("版本号"),
}
# What a check's result reads as, on the pages (the verification's own words are pass / fail / missing).
RESULT_TEXT = {"pass": gettext_lazy("达到"), "fail": gettext_lazy("未达到"), "missing": gettext_lazy("缺少实际完成值")}
VERDICT_TEXT = {"pass": gettext_lazy("全部达到"), "fail": gettext_lazy("有指标未达到"), "incomplete": gettext_lazy("有指标缺少实际完成值")}


def labels_for(p: Project) -> dict[str, Any]:
    """The labels of a refusal's fields on this project's pages: the guide's facts' and ours."""
    return {**{n: f.label for n, f in compiled_for(p.guide_version).guide.facts.items()}, **LABELS}


def _unit(request: HttpRequest, p: Project) -> bool:
    """Whether to offer the unit's forms (the services decide): an applicant or admin of the project's unit."""
    who = scope(request)
    return bool(who.roles & set(APPLICANT_ROLES)) and p.organisation_id in who.organisations


def _officer(request: HttpRequest, p: Project) -> bool:
    return scope(request).officer_for(p.programme)


def pct(rate: Any) -> str:
    return "—" if rate is None else f"{float(rate) * 100:.0f}%"


# --------------------------------------------------------------------------- checks as people read them


def check_rows(checks: Mapping[str, Any] | None, facts: Mapping[str, Any] | None = None) -> dict[int, dict[str, Any]]:
    """A report's (or an acceptance's) verification, by indicator id, with its result's words and
    rate, and each fact's target and actual as people read them (by the guide's `facts`)."""
    facts = facts or {}
    out = {}
    for row in (checks or {}).get("indicators", []):
        shown = []
        for f in row.get("facts", []):
            fact = facts.get(f.get("fact", ""))
            kind = fact.type if fact is not None else ""
            shown.append(
                {
                    **f,
                    "target_text": value_text(f.get("target"), kind, f.get("unit", "")),
                    "actual_text": value_text(f.get("actual"), kind, f.get("unit", "")),
                }
            )
        out[int(row["indicator"])] = {
            **row,
            "facts": shown,
            "result_text": RESULT_TEXT.get(row.get("result", ""), row.get("result", "")),
            "rate_text": pct(row.get("rate")),
        }
    return out


def checks_summary(checks: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not checks or "verdict" not in checks:
        return None
    return {
        "verdict": checks["verdict"],
        "verdict_text": VERDICT_TEXT.get(checks["verdict"], checks["verdict"]),
        "completion": pct(checks.get("completion_rate")),
        "milestones": checks.get("milestones") or [],
        "milestone_verdict": checks.get("milestone_verdict", ""),
    }


# --------------------------------------------------------------------------- a project's 报告与验收


def _acceptance_rows(acceptances: list[Acceptance], indicators: dict[int, Indicator]) -> list[dict[str, Any]]:
    rows = []
    for a in acceptances:
        reasons = []
        for pk, item in (a.reasons or {}).items():
            ind = indicators.get(int(pk))
            reasons.append(
                {
                    "indicator": ind,
                    "label": ind.label if ind else pk,
                    "result": item.get("result", ""),
                    "result_text": RESULT_TEXT.get(item.get("result", ""), ""),
                    "reason": item.get("reason", ""),
                }
            )
        rows.append({"acceptance": a, "reasons": reasons, "checks": checks_summary(a.checks)})
    return rows


def postaward_context(request: HttpRequest, p: Project) -> dict[str, Any]:
    """What the project's 报告与验收 shows and offers: the schedule, the reports, the acceptances,
    the certificate, the recoveries and the credit records; the steps this user may take."""
    user = acting_user(request)
    schedule = sel.project_schedule(user, p)
    reports = {r.pk: r for r in sel.reports_of(user, p)}
    for slot in schedule["reports"]:
        slot["row"] = reports.get(slot["report"]) if slot["report"] else None
    indicators = {i.pk: i for i in p.indicators.all()}
    acceptances = list(sel.acceptances_of(user, p))
    recoveries = list(recoveries_of(user, p))
    today = timezone.localdate()
    unit = _unit(request, p)
    officer = _officer(request, p)
    steps = {t.action for t in project_services.service_steps_for(user, p)}
    return {
        "project": p,
        "schedule": schedule,
        "reports": list(reports.values()),
        "acceptances": _acceptance_rows(acceptances, indicators),
        "recoveries": [{"recovery": r, "left": recovery_left(r), "overdue": recovery_overdue(r)} for r in recoveries],
        "credit": list(credit_records_of(user, p)),
        "ledger": project_ledger(p),
        "today": today,
        "unit": unit,
        "officer": officer,
        "writable": [kind for kind, states in acceptance_services.WRITING_STATES.items() if p.state in states],
        "may_open": officer and p.state == "acceptance" and not any(a.state == Acceptance.State.OPEN for a in acceptances),
        "may_terminate": "terminate" in steps,
        "may_rescind": "rescind" in steps,
        "certificate": p.state == "closed" and any(a.verdict in acceptance_services.PASSING for a in acceptances),
    }


@roles_required()
def project_postaward(request: HttpRequest, pk: int) -> HttpResponse:
    """报告与验收 of a project, as a page or (asked by the project's page) as its section."""
    p = project_get(request.user, pk)
    ctx = postaward_context(request, p)
    if is_htmx(request) or request.GET.get("part"):
        return render(request, "portal/postaward/_project_section.html", ctx)
    return render(request, "portal/postaward/project.html", ctx)


@roles_required()
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 验收证书 of a project accepted and closed (`certificate.certificate_pdf`)."""
    p = project_get(request.user, pk)
    try:
        content = certificate.certificate_pdf(actor=acting_user(request), project=p)
    except YongkeError as e:
        flash(request, e)
        return redirect("portal:project_postaward", pk=p.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="yanshou-{p.number}.pdf"'
    return response


# --------------------------------------------------------------------------- the unit's report


def report_form(p: Project, content: dict[str, Any], report: Report | None, data: Any = None) -> ReportForm:
    """The report form for the project's indicators and budget, holding the report's values (or what was typed)."""
    return ReportForm(
        data,
        indicators=content["indicators"],
        budget=content["budget"],
        actuals=report.actuals if report else None,
        extra_actuals=report.extra_actuals if report else None,
        spent=report.spent if report else (),
        initial={"lock_version": report.lock_version if report else None, "narrative": report.narrative if report else ""},
    )


def _open_report(request: HttpRequest, p: Project, kind: str) -> Report | None:
    """The latest report of `kind` of the project (the one the unit writes, or the one it wrote)."""
    return sel.reports_of(request.user, p).filter(kind=kind).order_by("-number").first()


def report_context(
    request: HttpRequest,
    p: Project,
    kind: str,
    report: Report | None,
    *,
    form: ReportForm | None = None,
    evidence: EvidenceForm | None = None,
    submit: ReportSubmitForm | None = None,
    problems: list[dict[str, Any]] | None = None,
    office: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report page: the form while the unit writes it, the report as submitted otherwise; the
    verification by the guide's rules (live on a draft); evidence per indicator; the officer's forms."""
    content = task_book_content(p)
    writing = report is None or report.state in OPEN
    editable = writing and _unit(request, p) and p.state in acceptance_services.WRITING_STATES[Report.Kind(kind)]
    form = form or (report_form(p, content, report) if editable else None)
    checks: dict[str, Any] = {}
    if report is not None:  # a draft is checked as it stands; a submitted report as it was
        checks = sel.report_checks(p, report) if report.state in OPEN else report.checks
    by_indicator = check_rows(checks, compiled_for(p.guide_version).guide.facts)
    files = list(report.files.all()) if report is not None else []
    problems = problems or []
    indicators = [
        {"indicator": ind, "check": by_indicator.get(ind["id"]), "files": [f for f in files if f.indicator_id == ind["id"]]}
        for ind in content["indicators"]
    ]
    spent = {line.get("category"): line for line in (report.spent or [])} if report is not None else {}
    evidence_problems = {pr["indicator"]: pr["message"] for pr in problems if pr.get("field") == "evidence" and pr.get("indicator")}
    if evidence is not None and evidence.is_bound and evidence.errors:
        on = evidence.data.get("indicator")
        if on and str(on).isdigit():
            evidence_problems[int(on)] = " ".join(str(m) for errs in evidence.errors.values() for m in errs)
    ctx: dict[str, Any] = {
        "project": p,
        "kind": kind,
        "kind_label": Report.Kind(kind).label,
        "report": report,
        "editable": editable,
        "form": form,
        "rows": form.indicator_rows() if form is not None else [],
        "extra_rows": form.extra_rows() if form is not None else [],
        "budget_rows": form.budget_rows() if form is not None else [],
        "indicators": indicators,
        "budget": [{**b, "spent": spent.get(b["category"], {})} for b in content["budget"]],
        "general_files": [f for f in files if f.indicator_id is None],
        "files_by": {item["indicator"]["id"]: item["files"] for item in indicators},
        "evidence_problems": evidence_problems,
        "actuals": (report.actuals or {}) if report is not None else {},
        "extra_actuals": {int(k): v for k, v in ((report.extra_actuals or {}) if report is not None else {}).items()},
        "checks": checks_summary(checks),
        "by_indicator": by_indicator,
        "evidence": evidence or (EvidenceForm(indicators=content["indicators"]) if editable and report is not None else None),
        "submit": submit or (ReportSubmitForm(initial={"lock_version": report.lock_version}) if editable and report is not None else None),
        "may_submit": editable and report is not None and p.organisation_id in scope(request).admin_of,
        "problems": problems,
        "due_on": (report.due_on if report else sel.schedule_of(p).due_of(kind)),
        "officer": _officer(request, p),
    }
    ctx.update(office or {})
    return ctx


def _render_report(request: HttpRequest, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "portal/postaward/report.html", ctx, status=status)


@roles_required()
def report_start(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The project's report of `kind`: GET shows it (the form while the unit writes it); POST
    saves the draft (`report_save`: every section as typed), the report made on its first save."""
    p = project_get(request.user, pk)
    if kind not in Report.Kind.values:
        raise Http404(_("没有这种报告"))
    report = _open_report(request, p, kind)
    if request.method != "POST":
        if report is not None and report.state not in OPEN:
            return redirect("portal:report_detail", pk=report.pk)
        return _render_report(request, report_context(request, p, kind, report))
    content = task_book_content(p)
    form = report_form(p, content, report if report is not None and report.state in OPEN else None, request.POST)
    status = 400
    if form.is_valid():
        try:
            report = acceptance_services.report_save(
                actor=acting_user(request),
                project=p,
                kind=kind,
                narrative=form.cleaned_data.get("narrative") or "",
                actuals=form.actuals(),
                extra_actuals=form.extra_actuals(),
                spent=form.spent(),
                lock_version=form.version,
            )
        except YongkeError as e:
            form.place(e, labels_for(p))
            status = e.status
        else:
            messages.success(request, _("已保存%(kind)s草稿。") % {"kind": report.get_kind_display()})
            return redirect("portal:report_detail", pk=report.pk)
    else:
        messages.error(request, _("请更正标出的错误后再保存。"))
    open_report = report if report is not None and report.state in OPEN else None
    return _render_report(request, report_context(request, p, kind, open_report, form=form), status)


@roles_required()
def report_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """An evidence file of a report, for whoever may see the project."""
    r = sel.report_get(request.user, pk)
    f = sel.report_file_get(report=r, pk=file_id)
    return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.filename, content_type=f.content_type)


@roles_required()
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The submitted report as a PDF (`certificate.report_pdf`)."""
    r = sel.report_get(request.user, pk)
    try:
        content = certificate.report_pdf(actor=acting_user(request), report=r)
    except YongkeError as e:
        flash(request, e)
        return redirect("portal:report_detail", pk=r.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{r.project.number}-{r.kind}-{r.number}.pdf"'
    return response


@roles_required(*APPLICANT_ROLES)
@require_POST
def report_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """One evidence file for a report being written, for one of its indicators (`report_attach`)."""
    r = sel.report_get(request.user, pk)
    p = project_get(request.user, r.project_id)
    content = task_book_content(p)
    form = EvidenceForm(request.POST, request.FILES, indicators=content["indicators"])
    status = 400
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            f = acceptance_services.report_attach(
                actor=acting_user(request),
                report=r,
                filename=upload.name or "",
                content=upload.read(),
                indicator=form.cleaned_data.get("indicator"),
            )
        except YongkeError as e:
            place_simple(form, e, labels_for(p))
            status = e.status
        else:
            messages.success(request, _("已上传佐证材料：%(name)s。") % {"name": f.filename})
            return redirect(reverse("portal:report_detail", args=[r.pk]) + "#evidence-h")
    return _render_report(request, report_context(request, p, r.kind, r, evidence=form), status)


@roles_required(*APPLICANT_ROLES)
@require_POST
def report_file_remove(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    r = sel.report_get(request.user, pk)
    f = sel.report_file_get(report=r, pk=file_id)
    try:
        acceptance_services.report_file_remove(actor=acting_user(request), report=r, file=f)
    except YongkeError as e:
        flash(request, e)
    else:
        messages.success(request, _("已删除佐证材料：%(name)s。") % {"name": f.filename})
    return redirect(reverse("portal:report_detail", args=[r.pk]) + "#evidence-h")


@roles_required(Role.ORG_ADMIN)
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit the report (the unit's admin, `report_submit`): what keeps it from being complete is
    shown beside the box or the indicator it concerns."""
    r = sel.report_get(request.user, pk)
    p = project_get(request.user, r.project_id)
    form = ReportSubmitForm(request.POST)
    status = 400
    problems: list[dict[str, Any]] = []
    report_form_bound = None
    if form.is_valid():
        try:
            r = acceptance_services.report_submit(actor=acting_user(request), report=r, lock_version=form.cleaned_data.get("lock_version"))
        except YongkeError as e:
            status = e.status
            problems = list(e.detail.get("problems") or []) if isinstance(e.detail, dict) else []
            report_form_bound = report_form(p, task_book_content(p), r)
            labels = labels_for(p)
            if problems:
                for pr in problems:
                    if pr.get("field", "").startswith(("actuals.", "extra_actuals.")):
                        report_form_bound.place(_Problem(pr), labels)
                form.add_error(None, error_text(e, labels=labels))
            elif error_field(e) in ("narrative",):
                report_form_bound.place(e, labels)
                form.add_error(None, error_text(e, labels=labels))
            else:
                form.add_error(None, error_text(e, labels=labels))
        else:
            messages.success(
                request,
                _("已提交%(kind)s：%(state)s。")
                % {"kind": r.get_kind_display(), "state": PROJECT.state_label(Project.objects.get(pk=p.pk).state)},
            )
            return redirect("portal:report_detail", pk=r.pk)
    r = sel.report_get(request.user, pk)
    return _render_report(request, report_context(request, p, r.kind, r, form=report_form_bound, submit=form, problems=problems), status)


class _Problem(YongkeError):
    """One item of a refused submission's `problems`, as an error that names its field."""

    def __init__(self, problem: Mapping[str, Any]) -> None:
        super().__init__(str(problem.get("message", "")), detail={"field": problem.get("field", "")})


# --------------------------------------------------------------------------- the expert's acceptance panels


@roles_required(Role.EXPERT)
def panel_tasks(request: HttpRequest) -> HttpResponse:
    """The expert's acceptance panels: invitations to answer, forms to give, opinions given."""
    tasks = list(sel.panel_tasks_for(request.user))
    groups = [
        (state, label, [t for t in tasks if t.state == state])
        for state, label in (
            (PanelMember.State.INVITED, _("待答复的验收邀请")),
            (PanelMember.State.ACCEPTED, _("待填写验收意见")),
            (PanelMember.State.SUBMITTED, _("已提交验收意见")),
            (PanelMember.State.DECLINED, _("已谢绝")),
        )
    ]
    return render(request, "portal/postaward/panel_tasks.html", {"groups": groups, "count": len(tasks)})


def _panel_context(request: HttpRequest, member: PanelMember, **forms: Any) -> dict[str, Any]:
    view = sel.panel_task_view(request.user, member)
    ctx: dict[str, Any] = {"member": member, "task": view, "direction_name": ""}
    project = member.acceptance.project
    direction = next((d for d in compiled_for(project.guide_version).guide.directions if d.id == view["direction"]), None)
    ctx["direction_name"] = direction.name if direction else ""
    if view["state"] == PanelMember.State.INVITED:
        ctx["accept_form"] = forms.get("accept_form") or PanelAcceptForm()
        ctx["decline_form"] = forms.get("decline_form") or PanelDeclineForm()
    material = view.get("material")
    if material:
        checks = check_rows(material.get("checks"), compiled_for(project.guide_version).guide.facts)
        files = material.get("files", [])
        ctx["material_rows"] = [
            {"indicator": ind, "check": checks.get(ind["id"]), "files": [f for f in files if f["indicator"] == ind["id"]]}
            for ind in material["indicators"]
        ]
        ctx["general_files"] = [f for f in files if f["indicator"] is None]
        ctx["checks"] = checks_summary(material.get("checks"))
        if view["state"] == PanelMember.State.ACCEPTED and view["acceptance_state"] == Acceptance.State.OPEN:
            verdicts = [(v, Acceptance.Verdict(v).label) for v in view.get("verdicts", [])]
            initial = {}
            for ind in material["indicators"]:
                row = checks.get(ind["id"])
                initial[f"result__{ind['id']}"] = "pass" if row and row["result"] == "pass" else "fail"
            ctx["opinion_form"] = forms.get("opinion_form") or PanelOpinionForm(
                verdicts=verdicts, indicators=material["indicators"], initial=initial
            )
    if view["state"] == PanelMember.State.SUBMITTED:
        labels = {ind["id"]: ind["label"] for ind in (material or {}).get("indicators", [])}
        ctx["given"] = [
            {"label": labels.get(int(pk), pk), "result_text": RESULT_TEXT.get(item.get("result", ""), ""), **item}
            for pk, item in (view.get("opinion") or {}).items()
        ]
        ctx["recommendation_label"] = Acceptance.Verdict(view["recommendation"]).label if view.get("recommendation") else ""
    return ctx


def _member(request: HttpRequest, pk: int) -> PanelMember:
    return sel.panel_task_get(request.user, pk)


@roles_required(Role.EXPERT)
def panel_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One acceptance panel task: before accepting, the title, the direction and the conflict
    question; after, the task book's indicators, the report, its checks and evidence, and the form."""
    m = _member(request, pk)
    return render(request, "portal/postaward/panel_task.html", _panel_context(request, m))


@roles_required(Role.EXPERT)
@require_POST
def panel_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept with the no-conflict declaration, or decline with the reason (`panel_respond`)."""
    m = _member(request, pk)
    accept = request.POST.get("answer") == "accept"
    form: Any = PanelAcceptForm(request.POST) if accept else PanelDeclineForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            acceptance_services.panel_respond(
                actor=acting_user(request),
                member=m,
                accept=accept,
                no_conflict=bool(form.cleaned_data.get("no_conflict")) if accept else False,
                comment="" if accept else form.cleaned_data["reason"],
            )
        except YongkeError as e:
            place_simple(form, e, {"no_conflict": LABELS["no_conflict"], "comment": _("谢绝理由"), "reason": _("谢绝理由")})
            if error_field(e) == "comment" and not accept:
                form.errors.pop("__all__", None)
                form.add_error("reason", error_text(e, named=False))
            status = e.status
        else:
            messages.success(request, _("已接受验收邀请，请逐项填写验收意见。") if accept else _("已谢绝验收邀请。"))
            return redirect("portal:panel_task", pk=m.pk)
    m = _member(request, pk)
    forms = {"accept_form": form} if accept else {"decline_form": form}
    return render(request, "portal/postaward/panel_task.html", _panel_context(request, m, **forms), status=status)


@roles_required(Role.EXPERT)
@require_POST
def panel_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's acceptance form: 达到 / 未达到 per indicator, the recommended verdict and the comment (`panel_opinion`)."""
    m = _member(request, pk)
    view = sel.panel_task_view(request.user, m)
    material = view.get("material") or {"indicators": []}
    verdicts = [(v, Acceptance.Verdict(v).label) for v in view.get("verdicts", [])]
    form = PanelOpinionForm(request.POST, verdicts=verdicts, indicators=material["indicators"])
    status = 400
    if form.is_valid():
        try:
            acceptance_services.panel_opinion(
                actor=acting_user(request),
                member=m,
                opinion=form.opinion(),
                recommendation=form.cleaned_data["recommendation"],
                comment=form.cleaned_data["comment"],
            )
        except YongkeError as e:
            form.place(e, labels_for(m.acceptance.project))
            status = e.status
        else:
            messages.success(request, _("验收意见已提交。"))
            return redirect("portal:panel_task", pk=m.pk)
    else:
        messages.error(request, _("请更正标出的错误后再提交。"))
    m = _member(request, pk)
    return render(request, "portal/postaward/panel_task.html", _panel_context(request, m, opinion_form=form), status=status)


@roles_required(Role.EXPERT)
def panel_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """An evidence file of the report a panel task is about, for its expert once they accepted."""
    m = _member(request, pk)
    f = sel.panel_file_get(request.user, m, file_id)
    return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.filename, content_type=f.content_type)


@roles_required(Role.EXPERT)
def panel_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The report the panel accepts on, as a PDF, for its expert once they accepted."""
    m = _member(request, pk)
    try:
        content = certificate.report_pdf(actor=acting_user(request), report=m.acceptance.report)
    except YongkeError as e:
        flash(request, e)
        return redirect("portal:panel_task", pk=m.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{m.acceptance.report_id}.pdf"'
    return response


# --------------------------------------------------------------------------- the public list


def accepted_public() -> list[dict[str, Any]]:
    """The public list (`acceptance_selectors.accepted_public`) as the page shows it: each
    accepted project with the indicators achieved."""
    out = []
    for a, direction_name in sel.accepted_public():
        p = a.project
        checks = check_rows(a.checks, compiled_for(p.guide_version).guide.facts)
        achieved = []
        for ind in p.indicators.all():
            row = checks.get(ind.pk)
            judged = (a.reasons or {}).get(str(ind.pk), {})
            if row is None or judged.get("result") != "pass":
                continue
            facts = [f for f in row.get("facts", []) if f.get("actual") is not None]
            achieved.append({"label": ind.label, "facts": facts, "actual": row.get("actual"), "unit": row.get("unit", "")})
        out.append(
            {
                "project": p,
                "direction_name": direction_name,
                "acceptance": a,
                "achieved": achieved,
                "completion": pct((a.checks or {}).get("completion_rate")),
            }
        )
    return out


def accepted_projects(request: HttpRequest) -> HttpResponse:
    """The public list of accepted projects (结题) and their main results, by call, for the calls that publish them."""
    rows = accepted_public()
    groups: dict[int, dict[str, Any]] = {}
    for row in rows:
        call = row["project"].call
        groups.setdefault(call.pk, {"call": call, "items": []})["items"].append(row)
    return render(request, "portal/postaward/accepted.html", {"groups": list(groups.values())})


# Recovery's kinds as the unit's page names them.
RECOVERY_KINDS = dict(Recovery.Kind.choices)

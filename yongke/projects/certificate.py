"""The 验收证书 of an accepted project and the 结题报告 (or 整改报告) of a submitted report, as
PDFs (WeasyPrint, Debian's Noto CJK fonts, GB/T 9704's page like the 任务书 of `pdf.py`).

The certificate prints what the acceptance decided on: its number, the project, the unit, the
leader, the period and the money (granted, paid), every indicator's 任务书规定 beside its
实际完成 with the guide's clause and the result, the verdict and the opinion, the panel, and the
boxes for the two seals. The report prints the unit's report as submitted: the narrative, the
indicators' targets against the actuals with the checks by the guide's rules, the money spent
against the budget, and the evidence.

Both are reads: whoever may see the project (an expert on the report's panel may read the
report too), else not found; a reader outside the project's unit is recorded in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from yongke.accounts.actors import Actor, Viewer
from yongke.accounts.selectors import scope_of
from yongke.applications.pdf import shown, yuan
from yongke.applications.proposal import BUDGET_LABELS
from yongke.audit.services import audit_record
from yongke.core.errors import Refused
from yongke.core.regions import RECOMMENDING_UNITS
from yongke.guide.model import Guide
from yongke.guide.selectors import compiled_for
from yongke.projects import acceptance_selectors as sel
from yongke.projects.models import Acceptance, PanelMember, Project, Report
from yongke.projects.pdf import AUTHORITY, _day
from yongke.projects.selectors import project_get, project_ledger

RESULTS = {"pass": "完成", "fail": "未完成", "missing": "未填报"}
JUDGED = {"pass": "通过", "fail": "不通过"}


def _shown(value: Any, name: str, guide: Guide, unit: str = "") -> str:
    fact = guide.facts.get(name)
    text = shown(value, fact)
    return f"{text} {unit}" if fact is None and unit and text != "—" else text


def _pct(rate: Any) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _indicator_rows(checks: dict[str, Any], guide: Guide, judged: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each indicator of a check: its targets beside its actuals (one line per fact), the
    clause, the check's result and rate, and (on a certificate) the officer's result and reason."""
    rows = []
    for row in checks.get("indicators", []):
        if row["source"] == "extra":
            lines = [
                {
                    "label": row["label"],
                    "target": _shown(row["target"], "", guide, row.get("unit", "")),
                    "actual": _shown(row["actual"], "", guide, row.get("unit", "")),
                }
            ]
        else:
            lines = [
                {"label": f["label"], "target": _shown(f["target"], f["fact"], guide), "actual": _shown(f["actual"], f["fact"], guide)}
                for f in row.get("facts", [])
            ] or [{"label": "—", "target": "—", "actual": "—"}]
        verdict = (judged or {}).get(str(row["indicator"])) or {}
        rows.append(
            {
                "label": row["label"],
                "clause": row.get("clause", ""),
                "extra": row["source"] == "extra",
                "lines": lines,
                "check": RESULTS.get(row["result"], row["result"]),
                "rate": _pct(row.get("rate")),
                "judged": JUDGED.get(verdict.get("result", ""), ""),
                "reason": verdict.get("reason", ""),
            }
        )
    return rows


def _audited_read(actor: Viewer, p: Project, action: str, size: int, **data: Any) -> None:
    if p.organisation_id not in scope_of(actor).organisations:
        audit_record(actor=actor, action=action, target_type="project", target_id=p.pk, data={"size": size, **data})


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported when a PDF is made: it loads Pango

    with override("zh-hans"):  # a Chinese document whatever language the reader's pages are in
        html = render_to_string(template, context)
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None  # written to no target, the PDF comes back as bytes
    return pdf


def _project_context(p: Project) -> dict[str, Any]:
    guide = compiled_for(p.guide_version).guide
    direction = guide.direction(p.direction)
    ledger = project_ledger(p)
    return {
        "project": p,
        "guide": guide,
        "direction": direction,
        "authority": AUTHORITY,
        "recommending_unit": RECOMMENDING_UNITS.get(p.recommending_unit, p.recommending_unit or "—"),
        "period": f"{_day(p.starts_on)} 至 {_day(p.ends_on)}",
        "approved": yuan(p.approved_amount),
        "self_raised": yuan(p.self_raised_amount),
        "paid": yuan(ledger.paid),
        "printed_at": timezone.localtime(),
    }


# --------------------------------------------------------------------------- 验收证书


def passing_acceptance(p: Project) -> Acceptance | None:
    """The acceptance that passed the project (通过 or 整改后通过), if any."""
    return (
        p.acceptances.filter(
            state=Acceptance.State.DECIDED, verdict__in=(Acceptance.Verdict.PASSED, Acceptance.Verdict.PASSED_AFTER_RECTIFICATION)
        )
        .select_related("report", "decided_by")
        .order_by("-number")
        .first()
    )


def certificate_context(p: Project, acc: Acceptance) -> dict[str, Any]:
    guide = compiled_for(p.guide_version).guide
    members = [
        {
            "name": m.expert.person.name,
            "organisation": m.expert.organisation.name if m.expert.organisation else "—",
            "title": m.expert.title or "—",
            "recommendation": Acceptance.Verdict(m.recommendation).label if m.recommendation else "—",
        }
        for m in acc.members.filter(state=PanelMember.State.SUBMITTED).select_related("expert__person", "expert__organisation")
    ]
    return {
        **_project_context(p),
        "acceptance": acc,
        "verdict": acc.get_verdict_display(),
        "mode": acc.get_mode_display(),
        "decided": _day(acc.decided_at),
        "indicators": _indicator_rows(acc.checks, guide, acc.reasons),
        "completion": _pct(acc.checks.get("completion_rate")),
        "members": members,
        "rectified": p.acceptances.filter(verdict=Acceptance.Verdict.RECTIFY).first(),
    }


def certificate_pdf(*, actor: Actor, project: Project) -> bytes:
    """The 验收证书 of a project accepted and closed (结题), for whoever may see the project."""
    p = project_get(actor, project.pk)
    acc = passing_acceptance(p)
    if p.state != "closed" or acc is None:
        raise Refused(
            "项目尚未验收通过，没有验收证书 / the project has not passed acceptance", code="not_accepted", detail={"state": p.state}
        )
    content = _pdf("projects/certificate.html", certificate_context(p, acc))
    _audited_read(actor, p, "certificate_pdf", len(content), certificate=acc.certificate_number)
    return content


# --------------------------------------------------------------------------- 结题报告


def report_context(report: Report) -> dict[str, Any]:
    p = report.project
    guide = compiled_for(p.guide_version).guide
    spent = {line["category"]: line for line in report.spent or []}
    budget = []
    for b in p.budget_lines.all():
        used = spent.get(b.category, {})
        budget.append(
            {
                "label": BUDGET_LABELS.get(b.category, b.category),
                "fiscal": yuan(b.fiscal),
                "self_raised": yuan(b.self_raised),
                "spent_fiscal": yuan(used.get("fiscal", 0)),
                "spent_self": yuan(used.get("self_raised", 0)),
            }
        )
    labels = {i.pk: i.label for i in p.indicators.all()}
    checks = report.checks or {}
    return {
        **_project_context(p),
        "report": report,
        "heading": f"项目{report.get_kind_display()}",
        "submitted": _day(report.submitted_at),
        "indicators": _indicator_rows(checks, guide),
        "completion": _pct(checks.get("completion_rate")),
        "verdict": {"pass": "全部完成", "fail": "有指标未完成", "incomplete": "有指标未填报"}.get(checks.get("verdict", ""), "—"),
        "budget": budget,
        "spent_fiscal": yuan(sum(int(x.get("fiscal") or 0) for x in spent.values())),
        "spent_self": yuan(sum(int(x.get("self_raised") or 0) for x in spent.values())),
        "files": [{"filename": f.filename, "indicator": labels.get(f.indicator_id or 0, "—"), "size": f.size} for f in report.files.all()],
    }


def report_pdf(*, actor: Actor, report: Report) -> bytes:
    """The 结题报告 (or the 整改报告, the 中期报告) of a submitted report, for whoever may see the
    project and for the experts of its panel who accepted; a report still being written has none."""
    if sel.panel_sees_report(actor, report):
        r = Report.objects.select_related("project").get(pk=report.pk)
    else:
        r = sel.report_get(actor, report.pk)
    if r.state not in (Report.State.SUBMITTED, Report.State.CHECKED):
        raise Refused("报告尚未提交 / the report is not submitted", code="not_submitted", detail={"state": r.state})
    content = _pdf("projects/final_report.html", report_context(r))
    _audited_read(actor, r.project, "report_pdf", len(content), report=r.pk)
    return content

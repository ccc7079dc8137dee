"""The 申报书 as a PDF (WeasyPrint): A4, numbered pages, every section of the application, the
rule verdicts beside their verbatim clauses, the 材料清单 and the 承诺书 page with the boxes
for signatures and the 公章. Chinese is set in Debian's Noto CJK fonts (`fonts-noto-cjk`,
installed by the Makefile); WeasyPrint needs Pango (`libpango-1.0-0`, `libpangoft2-1.0-0`).

`render_application_pdf` only renders: who may read it is `services.application_pdf`'s.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from yongke.applications.models import Application, BudgetCategory
from yongke.applications.proposal import kind_label
from yongke.guide.model import KIND_LABELS, Fact, Guide
from yongke.guide.selectors import compiled_for

RESULTS = {"pass": "符合", "fail": "不符合", "missing": "缺信息", "manual": "人工审核"}
VERDICTS = {"eligible": "符合申报要求", "not_eligible": "不符合申报要求", "incomplete": "信息不完整"}


def yuan(value: Any) -> str:
    return "—" if value in (None, "") else f"{int(value):,} 元"


def shown(value: Any, fact: Fact | None) -> str:
    """A fact's value as the 申报书 prints it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if fact is not None and fact.type == "enum":
        return fact.labels.get(value, str(value))
    if fact is not None and fact.type == "money":
        return yuan(value)
    if fact is not None and fact.unit:
        return f"{value} {fact.unit}"
    return str(value)


def _facts(app: Application, guide: Guide, facts: dict[str, Any]) -> list[dict[str, str]]:
    """The facts the direction's rules read, in the order they first read them, with their values."""
    from yongke.guide.matching import rule_names

    names: dict[str, None] = {}
    for rule in guide.direction(app.direction).rules:
        for name in rule_names(rule):
            if name in guide.facts and name not in ("requested_amount", "self_raised_amount", "title"):
                names.setdefault(name)
    return [{"label": guide.facts[n].label, "value": shown(facts.get(n), guide.facts[n])} for n in names]


def context(app: Application, *, verdict: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """What the 申报书 shows, read once: `verdict` and `facts` are the last submission's, or the
    application's as it stands (the caller, `services.application_pdf`, decides which)."""
    compiled = compiled_for(app.guide_version)
    guide = compiled.guide
    direction = guide.direction(app.direction)
    stored = app.submissions.order_by("-number").first()
    lines = {b.category: b for b in app.budget_lines.all()}
    budget = [_budget_row(label, lines.get(c)) for c, label in BudgetCategory.choices]
    files = list(app.attachments.current().order_by("uploaded_at", "id"))
    asked = {r.evidence for r, _ in guide.documents_for(direction)}
    documents = [
        {
            "label": d.label if d is not None else (r.evidence or ""),
            "when": "提交时必交" if d is not None and d.required_at_submission else "项目处核验",
            "source": r.source,
            "files": [f.filename for f in files if f.kind == r.evidence],
        }
        for r, d in guide.documents_for(direction)
    ]
    return {
        "app": app,
        "guide": guide,
        "direction": direction,
        "programme": next((p for p in guide.programmes if direction.project in p.projects), None),
        "post": app.funding == "post",
        "facts": _facts(app, guide, facts),
        "verdict": verdict,
        "verdict_label": VERDICTS.get(verdict.get("verdict", ""), verdict.get("verdict", "")),
        "rules": [
            {**r, "result_label": RESULTS.get(r["result"], r["result"]), "kind_label": KIND_LABELS.get(r["kind"], r["kind"])}
            for r in verdict.get("rules", [])
        ],
        "budget": budget,
        "budget_fiscal": yuan(sum(b.fiscal for b in lines.values())),
        "budget_self": yuan(sum(b.self_raised for b in lines.values())),
        "budget_total": yuan(sum(b.total for b in lines.values())),
        "team": list(app.team.select_related("person__organisation").order_by("order", "id")),
        "partners": list(app.partners.order_by("order", "id")),
        "documents": documents,
        "others": [{"label": kind_label(guide, f.kind), "filename": f.filename} for f in files if f.kind not in asked],
        "submission": stored,
        "printed_at": timezone.localtime(),
        "amounts": {
            "requested": yuan(app.requested_amount),
            "self_raised": yuan(app.self_raised_amount),
            "total": yuan(app.budget_total),
            "quoted": yuan(app.quoted_amount),
            "decided": yuan(app.decided_amount),
        },
    }


def _budget_row(label: str, line: Any) -> dict[str, str]:
    if line is None:
        return {"label": label, "fiscal": "—", "self_raised": "—", "total": "—", "basis": ""}
    return {
        "label": label,
        "fiscal": yuan(line.fiscal),
        "self_raised": yuan(line.self_raised),
        "total": yuan(line.total),
        "basis": line.basis,
    }


def render_application_html(app: Application, *, verdict: dict[str, Any], facts: dict[str, Any]) -> str:
    # The 申报书 is a Chinese document whatever language the reader's pages are in.
    with override("zh-hans"):
        return render_to_string("applications/shenbaoshu.html", context(app, verdict=verdict, facts=facts))


def render_application_pdf(app: Application, *, verdict: dict[str, Any], facts: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported when a PDF is made: it loads Pango

    return HTML(string=render_application_html(app, verdict=verdict, facts=facts)).write_pdf()

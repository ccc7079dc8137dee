"""What an expert sees of an application (匿名评审的评审材料): the work, never who applied.

`project(app, blind=...)` is the one view of an application the expert's pages and API show:
no workflow comments or timeline, no organisation, USCC, district, people's names, phones,
e-mails or bank details; free text (title, summary, facts, budget bases, partners' tasks) with
every occurrence of the applicant's and partners' names and codes and the team's names replaced
by "[申报单位]" / "[合作单位]" / "[成员]"; each attachment named by its category and a number
("附件：可行性研究报告 2"), the name its download carries too. On a call without blind review
the expert sees the applicant's name (the rest of the projection is the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yongke.applications.models import Application, Attachment
from yongke.applications.proposal import kind_label
from yongke.guide.selectors import compiled_for

ORG = "[申报单位]"
PARTNER = "[合作单位]"
MEMBER = "[成员]"
REDACTED = "[已隐去]"

# What an invited expert answers before reading more than the title and the direction.
CONFLICT_QUESTIONS = (
    _("您是否在申报单位或合作单位任职、兼职，或近三年内曾在其任职？"),
    _("您与项目负责人或团队成员是否存在亲属、师生或近三年内的合作关系？"),
    _("您是否参与了该项目的申报材料编写，或与项目存在经济利益关系？"),
    _("是否存在其他可能影响公正评审的情形？"),
)

# Corporate suffixes: "南宁某某科技有限公司" is also written "南宁某某科技" or "某某科技".
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "研究院", "研究所")
_TRADES = (
    "新能源",
    "新材料",
    "科技",
    "技术",
    "信息",
    "电子",
    "生物",
    "医药",
    "材料",
    "能源",
    "智能",
    "网络",
    "软件",
    "实业",
    "发展",
    "工程",
    "控股",
    "股份",
)
_PLACES = ("广西壮族自治区", "广西", "南宁市", "南宁")
_EXT = re.compile(r"\.([A-Za-z0-9]{1,8})$")


def _name_forms(name: str) -> set[str]:
    """An organisation's name and the short forms it goes by in free text: without the legal
    suffix, the place and the trade words ("南宁市某某量子科技有限公司": "某某量子科技",
    "某某量子"). A short form keeps at least 3 characters, not to hide common words."""
    name = name.strip()
    forms = {name} if name else set()
    short = name
    for suffix in _SUFFIXES:
        if short.endswith(suffix) and len(short) > len(suffix) + 1:
            short = short[: -len(suffix)]
            break
    candidates = {short}
    for place in _PLACES:
        if short.startswith(place) and len(short) > len(place) + 1:
            candidates.add(short[len(place) :])
    for form in tuple(candidates):
        stripped = True
        while stripped:
            stripped = False
            for trade in _TRADES:
                if form.endswith(trade) and len(form) - len(trade) >= 3:
                    form = form[: -len(trade)]
                    candidates.add(form)
                    stripped = True
    forms |= {f for f in candidates if len(f) >= 3}
    return forms


@dataclass(frozen=True)
class Identity:
    """The strings that name who applied, each with what replaces it."""

    terms: tuple[tuple[str, str], ...]

    def redact(self, text: str) -> str:
        if not text:
            return text
        for term, repl in self.terms:
            text = re.sub(re.escape(term), repl, text, flags=re.IGNORECASE)
        return text

    def redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.redact_value(v) for k, v in value.items()}
        return value


# What `identity_of` reads, to prefetch for a list of applications (prefixed by the path to them).
IDENTITY_PREFETCH = ("co_applicants__bank_accounts", "organisation__bank_accounts", "partners", "team__person")


def identity_of(app: Application) -> Identity:
    """Everything that names the applicant: the organisation (and co-applicants, partners) by
    name, short name and USCC; the leader and team by name, phone and e-mail; the bank account."""
    found: dict[str, str] = {}

    def add(term: str | None, repl: str) -> None:
        term = (term or "").strip()
        if len(term) >= 2 and term not in found:
            found[term] = repl

    orgs = [app.organisation, *app.co_applicants.all()]
    for org in orgs:
        for form in _name_forms(org.name):
            add(form, ORG)
        add(org.uscc, ORG)
        add(org.address, REDACTED)
        for account in org.bank_accounts.all():
            add(account.name, ORG)
            add(account.number_masked, REDACTED)
    for partner in app.partners.all():
        for form in _name_forms(partner.name):
            add(form, PARTNER)
        add(partner.uscc, PARTNER)
    people = [app.leader] if app.leader else []
    people += [m.person for m in app.team.all()]
    for person in people:
        add(person.name, MEMBER)
        add(person.phone, REDACTED)
        add(person.email, REDACTED)
        add(person.id_number_masked, REDACTED)
    add(app.leader_phone, REDACTED)
    # Longest first: a full name is replaced before its short form.
    return Identity(tuple(sorted(found.items(), key=lambda kv: -len(kv[0]))))


def attachments_of(app: Application) -> list[Attachment]:
    """The attachments in force, in the order the expert's numbers follow."""
    return list(app.attachments.current().order_by("kind", "id"))


def attachment_name(label: str, n: int, filename: str) -> str:
    """ "附件：可行性研究报告 2.pdf": the category and the number, the original extension only."""
    m = _EXT.search(filename or "")
    return f"附件：{label} {n}" + (f".{m.group(1).lower()}" if m else "")


def attachment_rows(app: Application, identity: Identity) -> list[dict[str, Any]]:
    """Each attachment as the expert sees it: its number (the download's key), category, name."""
    guide = compiled_for(app.guide_version).guide
    counts: dict[str, int] = {}
    rows = []
    for n, att in enumerate(attachments_of(app), start=1):
        label = identity.redact(kind_label(guide, att.kind))
        counts[label] = counts.get(label, 0) + 1
        rows.append(
            {
                "n": n,
                "kind": label,
                "name": attachment_name(label, counts[label], att.filename),
                "content_type": att.content_type,
                "size": att.size,
                "attachment": att,
            }
        )
    return rows


def projected_title(app: Application, *, blind: bool) -> str:
    return identity_of(app).redact(app.title) if blind else app.title


def project(app: Application, *, blind: bool) -> dict[str, Any]:
    """The application as its expert reads it (see the module's docstring). `attachment` in each
    attachment row is the file itself, for the download: never shown."""
    identity = identity_of(app) if blind else Identity(())
    guide = compiled_for(app.guide_version).guide
    return {
        "id": app.pk,
        "title": identity.redact(app.title),
        "direction": app.direction,
        "direction_name": guide.direction(app.direction).name,
        "organisation": None if blind else app.organisation.name,
        "summary": identity.redact(app.summary),
        "requested_amount": int(app.requested_amount),
        "self_raised_amount": int(app.self_raised_amount),
        "starts_on": app.starts_on,
        "ends_on": app.ends_on,
        "facts": identity.redact_value(dict(app.facts or {})),
        "budget": [
            {
                "category": b.get_category_display(),
                "fiscal": int(b.fiscal),
                "self_raised": int(b.self_raised),
                "basis": identity.redact(b.basis),
            }
            for b in app.budget_lines.all().order_by("id")
        ],
        "team": [
            {"role": identity.redact(m.role), "months": m.months, "title": identity.redact(m.person.title)}
            for m in app.team.select_related("person").order_by("order", "id")
        ],
        "partners": [
            {"name": PARTNER if blind else p.name, "tasks": identity.redact(p.tasks), "budget": int(p.budget)}
            for p in app.partners.all().order_by("order", "id")
        ],
        "attachments": attachment_rows(app, identity),
    }

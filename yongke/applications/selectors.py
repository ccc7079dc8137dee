"""Reads of calls and applications; every one knows who asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.db.models.query import BaseIterable, ValuesIterable

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.applications.models import Application, Call
from yongke.applications.workflow import SUPPORTED_STATES, workflow_for
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound, PermissionDenied
from yongke.guide.models import GuideVersion
from yongke.orgs.models import Organisation

# States an expert's review task gives access in (the review app's ReviewRound/ReviewAssignment
# status values, read through the reverse relation so this floor imports nothing above it).
_EXPERT_ROUND_OPEN = "assigned"
_EXPERT_READING = ("accepted", "submitted")


def applications_visible_to(user: Viewer) -> QuerySet[Application]:
    """Applicants: their organisations' applications. Recommending units: their jurisdiction's,
    once submitted. Officers: their programmes'. Finance: decided ones. Experts: those assigned
    to them. Auditors and admins: all."""
    scope = scope_of(user)
    qs = Application.objects.select_related("organisation", "leader", "call")
    if scope.sees_everything:
        return qs
    cond = Q(pk__in=[])
    if scope.organisations:
        cond |= Q(organisation__in=scope.organisations)
    if scope.units:
        cond |= (Q(organisation__zone__in=scope.units) | (Q(organisation__zone="") & Q(organisation__district__in=scope.units))) & ~Q(
            state__in=("draft", "proposed", "declined")
        )
    if Role.OFFICER in scope.roles:
        mine = Q() if "*" in scope.programmes else Q(programme__in=scope.programmes)
        cond |= mine & ~Q(state__in=("draft", "proposed", "declined", "withdrawn"))
    if Role.FINANCE in scope.roles:
        cond |= Q(state__in=("funded", "published", "contracted", "checked", "paid"))
    if Role.EXPERT in scope.roles and isinstance(user, User):  # roles are granted to users only
        cond |= Q(pk__in=_assigned_to(user))
    return qs.filter(cond)


def _assigned_to(user: User) -> QuerySet[Application, int]:
    """Applications this expert reviews (ids, as a subquery): accepted (no conflict declared), in
    a round still open (a closed round ends the access), of a call without blind review — a
    blind application reaches its expert only through the review's projection
    (`yongke.review.blind`), never through the application's own pages and filters."""
    return Application.objects.filter(
        review_assignments__expert__user=user,
        review_assignments__round__status=_EXPERT_ROUND_OPEN,
        review_assignments__state__in=_EXPERT_READING,
        call__blind_review=False,
    ).values_list("pk", flat=True)


# Filters a list of applications may take, shared by the API and the portal: name → lookup.
APPLICATION_FILTERS = {
    "call": "call_id",
    "direction": "direction",
    "state": "state",
    "programme": "programme",
    "funding": "funding",
    "district": "organisation__district",
    "zone": "organisation__zone",
    "organisation": "organisation_id",
}


def applications_filtered(
    user: Viewer, *, text: str | None = None, states: list[str] | None = None, unit: str | None = None, **filters: Any
) -> QuerySet[Application]:
    """The applications `user` may see, narrowed by the list filters (None = no filter).

    `text` matches the title, the organisation's name or the start of its 统一社会信用代码;
    `states` is a set of states (a queue); `unit` is the recommending unit (the organisation's
    development zone, else its district). Filters that would reveal a blind application's
    applicant answer only from what the caller may see anyway (the visibility comes first)."""
    unknown = sorted(set(filters) - set(APPLICATION_FILTERS))
    if unknown:
        raise TypeError(f"unknown application filter {unknown[0]}")
    qs = applications_visible_to(user)
    for name, value in filters.items():
        if value is not None and value != "":
            qs = qs.filter(**{APPLICATION_FILTERS[name]: value})
    if states:
        qs = qs.filter(state__in=states)
    if unit:
        qs = qs.filter(Q(organisation__zone=unit) | (Q(organisation__zone="") & Q(organisation__district=unit)))
    if text and text.strip():
        t = text.strip()
        qs = qs.filter(Q(title__icontains=t) | Q(organisation__name__icontains=t) | Q(organisation__uscc__startswith=t.upper()))
    return qs


# The viewer an Application instance was read for by `application_for` (the object itself, in
# this request): the selectors of its parts (documents, timeline) need not ask the database again.
_READ_FOR = "_yongke_read_for"


def application_for(user: Viewer, pk: int) -> Application:
    app = applications_visible_to(user).filter(pk=pk).first()
    if app is None:
        raise NotFound(f"申报 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    setattr(app, _READ_FOR, user)
    return app


def require_visible(viewer: Viewer, app: Application) -> None:
    """`app` is one `viewer` may see: read for this very viewer by `application_for`, else asked again."""
    if getattr(app, _READ_FOR, None) is viewer and viewer is not None:
        return
    application_for(viewer, app.pk)


def identity_hidden(viewer: Viewer, app: Application) -> bool:
    """Blind review: an expert sees the work, not who applied. Whoever sees the application
    through another role (its own organisation, its programme's officers, auditors) still does."""
    scope = scope_of(viewer)
    if not app.call.blind_review or Role.EXPERT not in scope.roles:
        return False
    return not (scope.sees_everything or scope.officer_for(app.programme) or app.organisation_id in scope.organisations)


def direction_programmes(version: GuideVersion, directions: list[str]) -> set[str]:
    """The programmes (专项) the guide's directions belong to (unknown directions belong to none):
    whose officers act on a call opening them, or on their claims."""
    from yongke.guide.selectors import compiled_for

    guide = compiled_for(version).guide
    wanted = set(directions)
    return {pg.id for pg in guide.programmes for pj in pg.projects for d in pj.directions if d.id in wanted}


def calls_visible_to(user: Viewer) -> QuerySet[Call]:
    """Calls are public notices: everyone may read them."""
    return Call.objects.select_related("guide_version")


def audit_events_visible_to(user: Viewer) -> QuerySet[AuditEvent]:
    scope = scope_of(user)
    if not scope.has(Role.AUDITOR):  # 三权分立: the audit administrator reads the log, not the system administrator
        raise PermissionDenied("只有审计人员可以查看审计日志 / auditors only")
    return AuditEvent.objects.all()


def application_timeline(user: Viewer, app: Application) -> QuerySet[AuditEvent]:
    """The status history of an application its viewer may see."""
    require_visible(user, app)
    return AuditEvent.objects.filter(target_type="application", target_id=str(app.pk)).order_by("at", "id")


# --------------------------------------------------------------------------- the claim history


def supported(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Applications that received (or were granted) support: funded 前资助 projects, checked or paid 后补助."""
    return qs.filter(Q(funding="pre", state__in=SUPPORTED_STATES["pre"]) | Q(funding="post", state__in=SUPPORTED_STATES["post"]))


def organisation_history(org: Organisation, *, year_label: str, exclude: Application | None = None) -> list[dict[str, Any]]:
    """The organisation's grants and claims of every guide year up to `year_label`, in the shape
    of a quote's `history` (see `yongke.applications.history`): the one record that quotes,
    submissions, claim checks and screening all read. Claims still being decided are `pending`
    (they count only against one-time awards: two claims of one thing cannot both be paid).
    Each entry states the claim's facts, also under the names the guide's one-time rules compare."""
    from yongke.applications.history import once_entry_facts
    from yongke.guide.claims import stable_id
    from yongke.guide.selectors import compiled_for

    if not year_label.isdigit():
        return []
    year = int(year_label)
    # Each row's guide version (without its content: compiled once per process, by digest).
    qs = Application.objects.filter(organisation=org).select_related("guide_version").order_by("pk")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    out = []
    for a in qs:
        label = a.guide_version.label
        granted = a.state in SUPPORTED_STATES[a.funding]
        pending = not granted and a.state in workflow_for(a.funding).open_states
        if not (granted or pending) or not label.isdigit() or int(label) > year:
            continue
        compiled = compiled_for(a.guide_version)
        award = compiled.award_rule(a.direction)
        facts = once_entry_facts(award.rule.once if award is not None else None, a.facts)
        entry: dict[str, Any] = {
            "direction": stable_id(a.direction, compiled.guide.id),
            "year": int(label),
            "amount": int(a.decided_amount or 0),
            "facts": facts,
            "ref": f"申报 #{a.pk}",
        }
        if a.funding == "pre":
            entry["kind"] = "prefunded"
        if pending:
            entry["pending"] = True
        out.append(entry)
    return out


# --------------------------------------------------------------------------- the 申报书 and its documents


def application_documents(viewer: Viewer, app: Application) -> dict[str, Any]:
    """The application's 材料清单 for whoever may see it: each document rule of its direction with
    its category (label, accepted types, needed at submission or verified by the officer), the
    files in force of that category and the officer's mark; then the other files in force."""
    from yongke.applications.proposal import kind_label
    from yongke.guide.selectors import compiled_for

    require_visible(viewer, app)
    guide = compiled_for(app.guide_version).guide
    files = list(app.attachments.current().order_by("uploaded_at", "id"))
    checks = {c.evidence: c for c in app.document_checks.select_related("checked_by")}
    rows, used = [], set()
    for rule, document in guide.documents_for(guide.direction(app.direction)):
        key = rule.evidence or ""
        used.add(key)
        rows.append(
            {
                "rule": rule,
                "key": key,
                "document": document,
                "label": document.label if document is not None else key,
                "files": [f for f in files if f.kind == key],
                "check": checks.get(key),
            }
        )
    others = [{"file": f, "label": kind_label(guide, f.kind)} for f in files if f.kind not in used]
    return {"rows": rows, "others": others, "labels": {f.pk: kind_label(guide, f.kind) for f in files}}


def application_removed_attachments(viewer: Viewer, app: Application) -> list[Any]:
    """The files taken off or replaced (kept for the audit trail), for whoever may see the application."""
    require_visible(viewer, app)
    return list(app.attachments.filter(removed_at__isnull=False).select_related("replaced_by").order_by("removed_at", "id"))


# States of formal review (受理审查, or a claim's check) in which the officer marks documents.
DOCUMENT_CHECK_STATES = ("submitted", "recommended", "claimed")


def may_verify_documents(viewer: Viewer, app: Application) -> bool:
    """Whether `viewer` may mark the application's documents verified: an officer of its programme
    while it is in formal review (the rule `services.document_verify` applies)."""
    scope = scope_of(viewer)
    return app.state in DOCUMENT_CHECK_STATES and (bool(scope.officer_for(app.programme)))


# What a row of a list of applications reads (the API's briefs, the portal's tables): the columns
# shown, ordered on or needed to decide what is shown (the blind-review flag). The facts, the
# verdict and the long texts stay in the database until one application is opened.
_LIST_COLUMNS = (
    "id",
    "call_id",
    "guide_version_id",
    "organisation_id",
    "direction",
    "programme",
    "funding",
    "title",
    "state",
    "requested_amount",
    "quoted_amount",
    "decided_amount",
    "lock_version",
    "created_at",
    "updated_at",
    "submitted_at",
)
_LIST_ORG_COLUMNS = ("name", "uscc", "district", "zone")


class ListedOrganisation:
    """The applicant of a listed application: what a list shows of it."""

    __slots__ = ("district", "id", "name", "uscc", "zone")

    recommending_unit = Organisation.recommending_unit
    recommending_unit_name = Organisation.recommending_unit_name

    def __init__(self, id: int, name: str, uscc: str, district: str, zone: str) -> None:
        self.id, self.name, self.uscc, self.district, self.zone = id, name, uscc, district, zone

    @property
    def pk(self) -> int:
        return self.id


class ListedCall:
    """The call of a listed application: whether its review is blind."""

    __slots__ = ("blind_review", "id")

    def __init__(self, id: int, blind_review: bool) -> None:
        self.id, self.blind_review = id, blind_review

    @property
    def pk(self) -> int:
        return self.id


class ListedVersion:
    """The guide version of a listed application: enough to find its compiled guide (by digest,
    cached per process) and to know whether the reader may see it."""

    __slots__ = ("digest", "id", "status")

    def __init__(self, id: int, digest: str, status: str) -> None:
        self.id, self.digest, self.status = id, digest, status

    @property
    def pk(self) -> int:
        return self.id


class ListedApplication:
    """One row of a list of applications: the list's columns as attributes named as the model's
    (so a presenter, a table and a cursor read it as they read an Application), the amount and
    state label as the model computes them, without building three model instances a row."""

    __slots__ = (*_LIST_COLUMNS, "__dict__", "call", "guide_version", "organisation")  # __dict__: what a page adds (direction_name)
    id: int
    call_id: int
    guide_version_id: int
    organisation_id: int
    direction: str
    programme: str
    funding: str
    title: str
    state: str
    requested_amount: int
    quoted_amount: int | None
    decided_amount: int | None
    lock_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None

    listed_amount = Application.listed_amount
    state_label = Application.state_label
    workflow = Application.workflow

    def __init__(self, row: dict[str, Any]) -> None:
        for name in _LIST_COLUMNS:
            setattr(self, name, row[name])
        self.organisation = ListedOrganisation(row["organisation_id"], *(row[f"organisation__{c}"] for c in _LIST_ORG_COLUMNS))
        self.call = ListedCall(row["call_id"], row["call__blind_review"])
        self.guide_version = ListedVersion(row["guide_version_id"], row["guide_version__digest"], row["guide_version__status"])

    @property
    def pk(self) -> int:
        return self.id


_LIST_VALUES = (
    *_LIST_COLUMNS,
    *(f"organisation__{c}" for c in _LIST_ORG_COLUMNS),
    "call__blind_review",
    "guide_version__digest",
    "guide_version__status",
)


class _ListedRows(BaseIterable):
    """The rows of a list queryset: its query as filtered, ordered and sliced, selecting only
    _LIST_VALUES (joined to the organisation and the call at this point only, so a count of the
    same queryset joins nothing)."""

    def __iter__(self):
        values = self.queryset.values(*_LIST_VALUES)
        for row in ValuesIterable(values, chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size):
            yield ListedApplication(row)


def as_list(qs: QuerySet[Application]) -> QuerySet[Application]:
    """What a list reads: each row a ListedApplication of the list's columns, its organisation's
    and its call's (one SELECT of those columns, no model instances); not its leader, whom no
    list shows. Filter, order, slice and count it as any queryset of applications."""
    rows = qs.select_related(None)
    rows._iterable_class = _ListedRows  # Django's hook for what a queryset yields (as values() sets it)
    return rows

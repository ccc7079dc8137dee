"""Every write to calls and applications. Each transition is one atomic, permission-checked,
audited service call; deadlines are enforced here, on the server, in Asia/Shanghai time."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications import history as hist
from yongke.applications import proposal
from yongke.applications.models import Application, Attachment, BudgetLine, Call, DocumentCheck, Partner, Submission, TeamMember
from yongke.applications.selectors import direction_programmes, organisation_history
from yongke.applications.workflow import COMMITTED_POST_STATES, EDITABLE_STATES, SUPPORTED_STATES, Transition, Workflow, workflow_for
from yongke.audit.services import audit_record, mask_tail
from yongke.audit.services import changes as audit_changes
from yongke.core import textio, workdays
from yongke.core.arrival import arrival_time
from yongke.core.errors import BadInput, Conflict, NotFound, PermissionDenied, Refused
from yongke.core.money import MAX_AMOUNT
from yongke.guide.facts import coerce_facts
from yongke.guide.models import GuideVersion
from yongke.guide.selectors import compiled_for, guide_version_current
from yongke.notifications import events as notify
from yongke.orgs.models import Organisation, Person
from yongke.orgs.selectors import active_credit_records, organisation_facts

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Fields of the application that are also guide facts the rules read.
FIELD_FACTS = ("requested_amount", "self_raised_amount", "title")


def local(ts: dt.datetime) -> str:
    return timezone.localtime(ts).strftime("%Y-%m-%d %H:%M")


def normalise_title(title: str) -> str:
    """Titles compared for duplicates: width-folded, case-folded, without spaces and punctuation."""
    t = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"[\s\W_]+", "", t)


# --------------------------------------------------------------------------- calls


# Call fields as people name them, for messages that name a field by its label.
CALL_LABELS = {
    "name": "批次名称",
    "opens_at": "开始时间",
    "closes_at": "截止时间",
    "directions": "开放的申报方向",
    "budgets": "预算",
    "leader_limit": "每位负责人最多主持的在审申报数",
    "org_limit": "每个单位最多的在审申报数",
    "experts_per_application": "每个申报的评审专家数",
    "blind_review": "匿名评审",
}
CALL_EDITABLE = tuple(CALL_LABELS)
# States from which the expert review has begun: its blindness can no longer change.
_REVIEWED_STATES = ("expert_review", "funded", "not_funded", "published", "contracted")
_GONE_STATES = ("withdrawn", "declined")


def _call_field_problems(guide_directions: list[str], values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a call's settings as given, by field (every problem at once)."""
    problems: dict[str, str] = {}
    if not str(values["name"]).strip():
        problems["name"] = "批次名称：不能为空"
    elif len(str(values["name"]).strip()) > 200:
        problems["name"] = "批次名称：不超过200个字"
    unknown = [d for d in values["directions"] if d not in guide_directions]
    if unknown:
        problems["directions"] = f"开放的申报方向：指南中没有方向 {'、'.join(unknown)}"
    elif not values["directions"]:
        problems["directions"] = "开放的申报方向：至少开放一个方向"
    opens, closes = values["opens_at"], values["closes_at"]
    if timezone.is_naive(opens) or timezone.is_naive(closes):
        problems["closes_at"] = "截止时间：须带时区（北京时间）"
    elif closes <= opens:
        problems["closes_at"] = "截止时间：须晚于开始时间"
    problems.update(_call_budget_values(guide_directions, values["budgets"] or {}))
    for name, low, high in (("leader_limit", 1, 100), ("org_limit", 1, 1000), ("experts_per_application", 1, 50)):
        value = values[name]
        if value is None and name == "org_limit":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems[name] = f"{CALL_LABELS[name]}：应为 {low} 至 {high} 的整数"
    return problems


def _call_budget_values(guide_directions: list[str], budgets: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for key, amount in budgets.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            problems[f"budgets.{key}"] = f"预算（{key}）：应为非负整数（元）"
        elif key not in guide_directions and not any(d.split(".")[0] == key for d in guide_directions):
            problems[f"budgets.{key}"] = f"预算（{key}）：指南中没有这个方向或项目"
    return problems


def _call_refused(problems: dict[str, str]) -> BadInput:
    first = next(iter(problems))
    return BadInput("；".join(problems.values()) + " / invalid call settings", detail={"field": first, "errors": problems})


def _call_values(call: Call) -> dict[str, Any]:
    return {name: getattr(call, name) for name in CALL_EDITABLE}


def _require_call_officer(actor: Actor, version: GuideVersion, directions: list[str]) -> None:
    """Calls are the officers': an officer of programme P acts only on a call whose directions
    all belong to P (or to their other programmes; "*" for all)."""
    scope = require_role(actor, Role.OFFICER, message="只有项目处人员可以管理申报批次 / officers only")
    others = sorted(p for p in direction_programmes(version, directions) if not scope.officer_for(p))
    if others:
        raise PermissionDenied(
            f"本批次开放了其他专项（{'、'.join(others)}）的方向，只有这些专项的项目处人员可以操作 / the officers of every programme of the call only",
            detail={"field": "directions", "programmes": others},
        )


@transaction.atomic
def call_open(
    *,
    actor: Actor,
    name: str,
    closes_at: dt.datetime,
    opens_at: dt.datetime | None = None,
    guide_version: GuideVersion | None = None,
    directions: list[str] | None = None,
    budgets: dict[str, int] | None = None,
    leader_limit: int = 1,
    org_limit: int | None = None,
    experts_per_application: int = 3,
    blind_review: bool = False,
) -> Call:
    require_role(actor, Role.OFFICER)
    version = guide_version or guide_version_current()
    all_ids = [d.id for d in compiled_for(version).guide.directions]
    values: dict[str, Any] = {
        "name": name,
        "opens_at": opens_at or timezone.now(),
        "closes_at": closes_at,
        "directions": list(directions) if directions else all_ids,
        "budgets": budgets or {},
        "leader_limit": leader_limit,
        "org_limit": org_limit,
        "experts_per_application": experts_per_application,
        "blind_review": blind_review,
    }
    problems = _call_field_problems(all_ids, values)
    if problems:
        raise _call_refused(problems)
    _require_call_officer(actor, version, values["directions"])
    call = Call(guide_version=version, created_by=user_of(actor), **{**values, "name": str(name).strip()})
    call.full_clean()
    call.save()
    audit_record(
        actor=actor, action="call_open", target_type="call", target_id=call.pk, data={"name": call.name, "closes_at": local(closes_at)}
    )
    return call


def _call_use_problems(call: Call, values: dict[str, Any]) -> dict[str, str]:
    """Changes the call's applications forbid: a direction taken away from under them, dates
    that would put a submission outside the call, limits below what is already held, a budget
    below what is already decided, blind review switched once the experts have read."""
    apps = Application.objects.filter(call=call).exclude(state__in=_GONE_STATES)
    problems: dict[str, str] = {}
    removed = sorted(set(call.directions) - set(values["directions"]))
    taken = sorted(set(apps.filter(direction__in=removed).values_list("direction", flat=True)))
    if taken:
        problems["directions"] = f"开放的申报方向：方向 {'、'.join(taken)} 已有申报，不能取消"
    problems.update(_call_date_problems(apps, values))
    problems.update(_call_limit_problems(call, values))
    problems.update(_call_budget_problems(call, values))
    if values["blind_review"] != call.blind_review and apps.filter(state__in=_REVIEWED_STATES).exists():
        problems["blind_review"] = "匿名评审：已有申报进入专家评审，不能更改"
    return problems


def _call_date_problems(apps, values: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    submitted = apps.filter(submitted_at__isnull=False).order_by("submitted_at").values_list("submitted_at", flat=True)
    first, last = submitted.first(), submitted.last()
    if first is not None and values["opens_at"] > first:
        problems["opens_at"] = f"开始时间：已有申报于 {local(first)} 提交，开始时间不能晚于此"
    if last is not None and values["closes_at"] <= last:
        problems["closes_at"] = f"截止时间：已有申报于 {local(last)} 提交，截止时间不能早于此"
    return problems


def _call_limit_problems(call: Call, values: dict[str, Any]) -> dict[str, str]:
    live = Application.objects.filter(call=call, state__in=workflow_for("pre").open_states | workflow_for("post").open_states)
    problems: dict[str, str] = {}
    leaders = live.filter(funding="pre", leader__isnull=False).values("leader").annotate(n=Count("id")).order_by("-n").first()
    if leaders and values["leader_limit"] < leaders["n"] and values["leader_limit"] < call.leader_limit:
        problems["leader_limit"] = f"{CALL_LABELS['leader_limit']}：已有负责人主持 {leaders['n']} 项在审申报，不能低于 {leaders['n']}"
    orgs = live.values("organisation").annotate(n=Count("id")).order_by("-n").first()
    limit = values["org_limit"]
    if orgs and limit is not None and limit < orgs["n"] and (call.org_limit is None or limit < call.org_limit):
        problems["org_limit"] = f"{CALL_LABELS['org_limit']}：已有单位有 {orgs['n']} 项在审申报，不能低于 {orgs['n']}"
    return problems


def _call_budget_problems(call: Call, values: dict[str, Any]) -> dict[str, str]:
    decided: dict[str, int] = {}
    for funding, states in SUPPORTED_STATES.items():
        rows = (
            Application.objects.filter(call=call, funding=funding, state__in=states)
            .values("direction")
            .annotate(total=Sum("decided_amount"))
        )
        for r in rows:
            decided[r["direction"]] = decided.get(r["direction"], 0) + int(r["total"] or 0)
    problems: dict[str, str] = {}
    for key in sorted(set(call.budgets) | set(values["budgets"] or {})):
        spent = sum(v for d, v in decided.items() if d == key or d.split(".")[0] == key)
        new = (values["budgets"] or {}).get(key)
        if spent and (new is None or new < spent):
            problems[f"budgets.{key}"] = f"预算（{key}）：已立项 {spent / 10_000:g} 万元，预算不能取消或低于此数"
    return problems


@transaction.atomic
def call_update(*, actor: Actor, call: Call, changes: dict[str, Any]) -> Call:
    """Change an open or closed call's settings (not its guide version). Refuses, with every
    problem at once, settings that are invalid or that its applications forbid."""
    require_role(actor, Role.OFFICER)
    unknown = sorted(set(changes) - set(CALL_EDITABLE))
    if unknown:
        raise BadInput(f"{unknown[0]}：该项不可修改 / not editable", detail={"field": unknown[0]})
    locked = Call.objects.select_for_update().select_related("guide_version").get(pk=call.pk)
    _require_call_officer(actor, locked.guide_version, list(locked.directions or []))
    before = _call_values(locked)
    values = {**before, **changes}
    values["directions"] = list(values["directions"] or [])
    values["budgets"] = dict(values["budgets"] or {})
    all_ids = [d.id for d in compiled_for(locked.guide_version).guide.directions]
    problems = _call_field_problems(all_ids, values)
    if not problems:
        problems = _call_use_problems(locked, values)
    if problems:
        raise _call_refused(problems)
    _require_call_officer(actor, locked.guide_version, values["directions"])  # nor open another programme's directions
    changed = sorted(k for k in CALL_EDITABLE if values[k] != before[k])
    for key in changed:
        setattr(locked, key, values[key].strip() if key == "name" else values[key])
    if changed:
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="call_update",
            target_type="call",
            target_id=locked.pk,
            data={
                "fields": changed,
                "before": {k: _jsonable(before[k]) for k in changed},
                "changes": audit_changes({k: _jsonable(before[k]) for k in changed}, {k: _jsonable(getattr(locked, k)) for k in changed}),
            },
        )
    return locked


def _jsonable(value: Any) -> Any:
    return local(value) if isinstance(value, dt.datetime) else value


@transaction.atomic
def call_close(*, actor: Actor, call: Call) -> Call:
    require_role(actor, Role.OFFICER)
    call = Call.objects.select_for_update().select_related("guide_version").get(pk=call.pk)
    _require_call_officer(actor, call.guide_version, list(call.directions or []))
    if call.closed_at is None:
        call.closed_at = timezone.now()
        call.save(update_fields=["closed_at"])
        audit_record(actor=actor, action="call_close", target_type="call", target_id=call.pk)
    return call


def call_is_open(call: Call, now: dt.datetime | None = None) -> bool:
    """Whether the call is open at `now` (default: when the request or command arrived)."""
    now = now or arrival_time()
    return call.closed_at is None and call.opens_at <= now < call.closes_at


# --------------------------------------------------------------------------- applications


def _require_applicant(actor: Actor, organisation: Organisation) -> None:
    """Only the organisation's own applicants and admins write its applications."""
    scope = scope_of(actor)
    if not (scope.is_system or organisation.pk in scope.organisations):
        raise PermissionDenied(
            "只能为本单位操作申报 / only for your own organisation", detail={"field": "organisation", "organisation": organisation.pk}
        )


def _clean_facts(version: GuideVersion, facts: Any) -> dict[str, Any]:
    guide = compiled_for(version).guide
    clean = coerce_facts(guide.facts, facts or {})
    return {k: v for k, v in clean.items() if k not in FIELD_FACTS}


def _amount(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"{name}: 金额应为非负整数（元）/ must be whole yuan, not negative", detail={"field": name, "value": value})
    if value > MAX_AMOUNT:  # every face bounds it too; the service is the gate (a 64-bit column holds 9.2×10¹⁸)
        raise BadInput(
            f"{name}: 金额不能超过 {MAX_AMOUNT:,} 元 / at most {MAX_AMOUNT:,} yuan",
            detail={"field": name, "value": str(value)[:40], "max": MAX_AMOUNT},
        )
    return value


@transaction.atomic
def application_create(
    *,
    actor: Actor,
    call: Call,
    direction: str,
    organisation: Organisation,
    title: str,
    summary: str = "",
    requested_amount: int = 0,
    self_raised_amount: int = 0,
    facts: dict[str, Any] | None = None,
    leader: Person | None = None,
    team: list[tuple[Person, str]] | None = None,
    co_applicants: list[Organisation] | None = None,
    state: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    leader_phone: str = "",
    budget: list[dict[str, Any]] | None = None,
    partners: list[dict[str, Any]] | None = None,
) -> Application:
    arrived = arrival_time()  # the deadline is judged at the request's arrival
    _require_applicant(actor, organisation)
    if organisation.status != organisation.Status.ACTIVE:  # a self-registration not yet approved (orgs.registration)
        raise Refused(
            "本单位注册尚待推荐单位审核，审核通过后才能申报 / the organisation's registration awaits approval",
            code="registration_pending",
            detail={"field": "organisation", "organisation": organisation.pk, "status": organisation.status},
        )
    if direction not in call.directions:
        raise BadInput(
            f"direction: 本批次未开放方向 {direction} / direction not open in this call", detail={"field": "direction", "value": direction}
        )
    if not call_is_open(call, arrived) and state != "proposed":
        raise Refused(
            f"申报批次「{call.name}」不在申报时间内（{local(call.opens_at)} 至 {local(call.closes_at)}，北京时间）/ the call is not open",
            code="call_closed",
            detail={"call": call.pk},
        )
    title = textio.clean_name(title)
    if not title:
        raise BadInput("title: 项目名称不能为空 / title is required", detail={"field": "title"})
    guide = compiled_for(call.guide_version).guide
    d = guide.direction(direction)
    programme = next(p.id for p in guide.programmes if d.project in p.projects)
    wf = workflow_for(d.project.funding)
    app = Application(
        call=call,
        guide_version=call.guide_version,
        direction=direction,
        programme=programme,
        funding=d.project.funding,
        organisation=organisation,
        leader=leader,
        title=title,
        title_normalized=normalise_title(title),
        summary=summary,
        requested_amount=_amount("requested_amount", requested_amount),
        self_raised_amount=_amount("self_raised_amount", self_raised_amount),
        facts=_clean_facts(call.guide_version, facts),
        state=state or wf.initial,
        created_by=user_of(actor),
        starts_on=starts_on,
        ends_on=ends_on,
        leader_phone=proposal.clean_phone(leader_phone),
    )
    proposal.check_period(call, starts_on, ends_on)
    _check_leader(app)
    app.full_clean()
    app.save()
    people = [person.pk for person, _ in team or []]
    if len(people) != len(set(people)):
        raise BadInput("team: 同一人不能重复列入团队 / a person is listed twice", detail={"field": "team"})
    rows = _proposal_rows(app, {"budget": budget, "partners": partners} if budget or partners else {})
    rows.team = [{"person": person, "role": role} for person, role in team or []] if team else None
    _write_proposal_rows(app, rows)
    if co_applicants:
        app.co_applicants.set(co_applicants)
    audit_record(
        actor=actor,
        action="application_create",
        target_type="application",
        target_id=app.pk,
        to_state=app.state,
        data={"direction": direction, "title": app.title},
    )
    _claim_saved(app)
    return app


# The 申报书's parts an edit may change besides the fields above (see "the 申报书" below).
PROPOSAL_FIELDS = ("starts_on", "ends_on", "leader_phone", "budget", "team", "partners")
EDITABLE = ("title", "summary", "requested_amount", "self_raised_amount", "facts", "leader", *PROPOSAL_FIELDS)


def _as_edited(app: Application, keys: set[str]) -> dict[str, Any]:
    """The edited parts of a draft, for the audit's old and new values: each field, each fact
    (`facts.<name>`), and the rows (budget, team, partners) when the edit gives them."""
    out: dict[str, Any] = {}
    for key in sorted(keys):
        if key == "facts":
            out.update({f"facts.{k}": v for k, v in app.facts.items()})
        elif key == "leader":
            out["leader"] = app.leader_id
        elif key == "leader_phone":
            out[key] = app.leader_phone
        elif key == "budget":
            out[key] = [[b.category, b.fiscal, b.self_raised] for b in app.budget_lines.order_by("pk")]
        elif key == "team":
            out[key] = [[m.person_id, m.role, m.months] for m in app.team.order_by("order", "pk")]
        elif key == "partners":
            out[key] = [[p.uscc, p.name, p.budget] for p in app.partners.order_by("order", "pk")]
        else:
            out[key] = getattr(app, key)
    return out


@transaction.atomic
def application_update(*, actor: Actor, application: Application, lock_version: int, changes: dict[str, Any]) -> Application:
    """Edit a draft. `lock_version` is the version the editor started from: a stale one is a conflict."""
    _require_applicant(actor, application.organisation)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BadInput(f"{unknown[0]}: 该字段不可修改 / not editable", detail={"field": unknown[0]})
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.lock_version != lock_version:
        raise Conflict(
            f"申报已被他人修改（当前版本 {app.lock_version}，您编辑的是版本 {lock_version}），请刷新后重试 / edited by someone else",
            detail={"lock_version": app.lock_version},
        )
    if app.state not in EDITABLE_STATES:
        raise Refused(f"当前状态「{app.state}」不能修改申报 / cannot edit in this state", code="not_editable", detail={"state": app.state})
    was = _as_edited(app, set(changes))
    for key, value in _proposal_fields(app, changes).items():
        if key == "facts":
            merged = {**app.facts, **(value or {})}
            app.facts = _clean_facts(app.guide_version, {k: v for k, v in merged.items() if v is not None})
        elif key in ("requested_amount", "self_raised_amount"):
            setattr(app, key, _amount(key, value))
        elif key == "title":
            if not textio.clean_name(str(value)):
                raise BadInput("title: 项目名称不能为空", detail={"field": "title"})
            app.title = textio.clean_name(str(value))
            app.title_normalized = normalise_title(app.title)
        else:
            setattr(app, key, value)
    rows = _proposal_rows(app, changes)
    app.lock_version = F("lock_version") + 1
    app.full_clean(exclude=["lock_version"])
    app.save()
    app.refresh_from_db()
    _write_proposal_rows(app, rows)
    audit_record(
        actor=actor,
        action="application_update",
        target_type="application",
        target_id=app.pk,
        data={"fields": sorted(changes), "changes": audit_changes(was, _as_edited(app, set(changes)), mask={"leader_phone": mask_tail})},
    )
    _claim_saved(app)
    return app


def application_facts(app: Application, *, on: dt.date | None = None) -> dict[str, Any]:
    """The facts the rules read: the application's, the fields, the registry's (which win), and history."""
    facts = application_stated_facts(app, on=on)
    facts.update(_history_facts(app, facts, _history(app)))
    return facts


def application_stated_facts(app: Application, *, on: dt.date | None = None) -> dict[str, Any]:
    """The claim's own facts: the application's, its fields and the registry's (which win)."""
    day = on or timezone.localdate()
    guide = compiled_for(app.guide_version).guide
    facts: dict[str, Any] = dict(app.facts)
    for name in FIELD_FACTS:
        if name in guide.facts:
            value = getattr(app, name)
            if name != "title" or value:
                facts[name] = value
    facts.update(organisation_facts(app.organisation, on=day, facts=guide.facts))
    return facts


# Set on the application a step has locked (`application_transition`), for that step only: its
# guards read the organisation's history once (the eligibility facts and the cross-claim rules).
_STEP_HISTORY = "_yongke_step_history"


def lock_organisation_history(organisation_id: int) -> None:
    """Inside a transaction: the steps that judge a claim by the organisation's other grants and
    claims (one-time awards, yearly caps, exclusions) take the organisation's row lock first, so
    two of them for one organisation (two claims submitted or checked at once) run one after the
    other and the second sees the first."""
    list(Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk", flat=True))


def _history(app: Application) -> tuple[int | None, list[hist.Entry]]:
    """The guide year and the organisation's other grants and claims, of every guide year up to it."""
    memo = getattr(app, _STEP_HISTORY, None)
    if isinstance(memo, dict) and "history" in memo:
        return memo["history"]
    if isinstance(memo, dict):
        lock_organisation_history(app.organisation_id)  # a step: judged by a history nobody changes meanwhile
    label = app.guide_version.label
    if not label.isdigit():
        found: tuple[int | None, list[hist.Entry]] = (None, [])
    else:
        guide = compiled_for(app.guide_version).guide
        found = int(label), hist.parse_history(organisation_history(app.organisation, year_label=label, exclude=app), guide)
    if isinstance(memo, dict):
        memo["history"] = found
    return found


def _history_facts(app: Application, facts: dict[str, Any], history: tuple[int | None, list[hist.Entry]]) -> dict[str, bool]:
    """The facts the claim history decides (the same function a quote applies to its history)."""
    year, entries = history
    if year is None:
        return {}
    guide = compiled_for(app.guide_version).guide
    names = set(hist.recorded_facts(guide))
    implied = hist.implied_facts(entries, guide=guide, direction=app.direction, names=names, year=year, facts=facts, given=True)
    return implied.facts


def application_check(app: Application) -> dict[str, Any]:
    """The rule verdicts for the application as it stands, under its pinned guide version."""
    return compiled_for(app.guide_version).check(app.direction, application_facts(app))


# --------------------------------------------------------------------------- transitions


def may_take(actor: Actor, app: Application, t: Transition) -> bool:
    """Whether the actor may take transition `t` of this application (role and scope)."""
    scope = scope_of(actor)
    if scope.is_system:
        return True
    for role in t.roles:
        if role in (Role.APPLICANT, Role.ORG_ADMIN) and role in scope.roles and app.organisation_id in scope.organisations:
            return True
        if role == Role.RECOMMENDER and role in scope.roles and app.organisation.recommending_unit in scope.units:
            return True
        if role == Role.OFFICER and scope.officer_for(app.programme):
            return True
        if role == Role.FINANCE and role in scope.roles:
            return True
    return False


def _guard_call_open(app: Application, now: dt.datetime) -> None:
    call = app.call
    if call.closed_at is not None and call.closed_at <= now:
        raise Refused(
            f"申报批次「{call.name}」已于 {local(call.closed_at)}（北京时间）截止 / the call is closed",
            code="deadline_passed",
            detail={"closes_at": local(call.closed_at)},
        )
    if now >= call.closes_at:
        raise Refused(
            f"申报已于 {local(call.closes_at)}（北京时间）截止，不能再提交 / the deadline has passed",
            code="deadline_passed",
            detail={"closes_at": local(call.closes_at)},
        )
    if now < call.opens_at:
        raise Refused(
            f"申报将于 {local(call.opens_at)}（北京时间）开始 / the call has not opened",
            code="not_open_yet",
            detail={"opens_at": local(call.opens_at)},
        )


def _guard(name: str, app: Application, t: Transition, now: dt.datetime) -> None:
    if name == "call_open":
        _guard_call_open(app, now)
    elif name == "eligible":
        # The facts judged are the facts a submission records (`_record_submission`): read once.
        facts = application_facts(app)
        app._checked_facts = facts  # type: ignore[attr-defined]
        verdict = compiled_for(app.guide_version).check(app.direction, facts)
        app.verdict = verdict
        if verdict["verdict"] != "eligible":
            failing = [r for r in verdict["rules"] if r["id"] in verdict["failing"]]
            if failing:
                first = failing[0]
                msg = f"不符合申报要求：{first['message']}（指南原文：{first['source']}）"
            else:
                msg = f"申报信息不完整，缺少：{', '.join(verdict['missing_facts'])}"
            raise Refused(
                msg + " / not eligible",
                code="not_eligible",
                detail={"verdict": verdict["verdict"], "failing": verdict["failing"], "missing_facts": verdict["missing_facts"]},
            )
    elif name == "cross_rules":
        _cross_rules(app, now)
    elif name == "complete":
        proposal.check_complete(app, compiled_for(app.guide_version).guide)
    elif name == "documents_passed":
        _guard_documents_passed(app)
    elif name == "amount_within_request":
        pass  # checked with the amount in application_transition
    elif name == "within_budget":
        _guard_within_budget(app)
    elif name == "objection_window_closed":
        if app.objection_ends_at and now < app.objection_ends_at:
            ends = workdays.format_deadline(app.objection_ends_at)
            raise Refused(
                f"公示异议期至 {ends}（北京时间）结束，之后才能继续 / objection window still open",
                code="objection_window_open",
                detail={"objection_ends_at": ends},
            )
    else:  # pragma: no cover - a workflow naming a guard that does not exist is a programming error
        raise RuntimeError(f"unknown guard {name}")


def _guard_documents_passed(app: Application) -> None:
    """形式审查通过 (前资助) and 核查通过 (后补助) only while no document of the application stands
    marked 未通过核验 by the officer (`document_verify`): a failed mark is answered by returning the
    application for correction (then verifying it again) or by refusing it, never by passing it."""
    failed = list(app.document_checks.filter(verified=False).order_by("evidence").values_list("evidence", "comment"))
    if not failed:
        return
    guide = compiled_for(app.guide_version).guide
    labels = dict(proposal.attachment_kinds(guide, guide.direction(app.direction)))
    names = "、".join(f"「{labels.get(e, e)}」" + (f"（{c}）" if c else "") for e, c in failed)
    raise Refused(
        f"材料未通过核验：{names}。请退回补正后重新核验，或作出不通过的决定 / a document failed verification:"
        " return the application for correction, or refuse it",
        code="document_not_verified",
        detail={"documents": [{"evidence": e, "label": labels.get(e, e), "comment": c} for e, c in failed]},
    )


def _guard_within_budget(app: Application) -> None:
    """The amounts decided under a budget of the call (its direction's, else its project's) never
    exceed it: the call's row is locked, so two decisions at once are counted one after the other.
    拟立项 (前资助) counts every supported application; 公示 and 拨付 of a 后补助 claim count the
    claims already published or paid (checked ones are scaled to what is left by the allocation)."""
    key, budget = app.call.budget_for(app.direction)
    if budget is None or app.decided_amount is None:
        return
    Call.objects.select_for_update().filter(pk=app.call_id).first()
    states = SUPPORTED_STATES[app.funding] if app.funding == "pre" else COMMITTED_POST_STATES
    decided = (
        Application.objects.filter(call=app.call_id, funding=app.funding, state__in=states)
        .exclude(pk=app.pk)
        .values_list("direction", "decided_amount")
    )
    used = sum(int(amount or 0) for direction, amount in decided if app.call.budget_for(direction)[0] == key)
    if used + app.decided_amount > budget:
        if app.funding == "pre":
            text = f"立项金额合计将超过本批次「{key}」的预算 {budget:,} 元（已立项 {used:,} 元，本项 {app.decided_amount:,} 元）"
        else:
            text = (
                f"补助金额合计将超过本批次「{key}」的预算 {budget:,} 元（已公示或拨付 {used:,} 元，本项 {app.decided_amount:,} 元），"
                "请先按预算分配（实际奖补按财政预算控制）"
            )
        raise Refused(
            f"{text} / the call's budget would be exceeded",
            code="over_budget",
            detail={"field": "amount", "budget_key": key, "budget": budget, "used": used, "amount": app.decided_amount},
        )


def _cross_rules(app: Application, now: dt.datetime) -> None:
    day = timezone.localdate(now)
    wf = workflow_for(app.funding)
    live = Application.objects.exclude(pk=app.pk).filter(
        state__in=wf.open_states | workflow_for("pre").open_states | workflow_for("post").open_states
    )
    for record in active_credit_records(organisation=app.organisation, person=app.leader, on=day):
        # Why (the reason, the record it stems from: "project:<number>"), until when (the day it
        # ends, or until the matter is done) and by which clause.
        who = f"申报单位{app.organisation.name}" if record.organisation_id else f"项目负责人{app.leader.name if app.leader else ''}"
        kind, _, ref = (record.origin or "").partition(":")
        origin = f"{'项目' if kind == 'project' else kind} {ref} " if ref else ""
        if record.ends_on is not None:
            until, until_en = f"{record.ends_on.isoformat()}（含）前", f"until {record.ends_on.isoformat()}"
        else:
            until, until_en = "相关事项办结（失信记录解除）前", "until the matter is done"
        clause = f"（依据：{record.source}）" if record.source else ""
        raise Refused(
            f"{who}存在失信记录（{origin}{record.reason}），{until}不能申报{clause} / barred from applying {until_en}",
            code="blacklisted",
            detail={
                "credit_record": record.pk,
                "subject": "organisation" if record.organisation_id else "leader",
                "reason": record.reason,
                "starts_on": record.starts_on.isoformat(),
                "ends_on": record.ends_on.isoformat() if record.ends_on else None,
                "source": record.source,
                "consequence": record.consequence,
                "origin": record.origin,
            },
        )
    if app.leader is not None and app.funding == "pre":
        n = live.filter(call=app.call, leader=app.leader).count()
        if n >= app.call.leader_limit:
            raise Refused(
                f"项目负责人{app.leader.name}在本批次已主持 {n} 项在审申报，上限为 {app.call.leader_limit} 项 / leader limit reached",
                code="leader_limit",
                detail={"leader": app.leader_id, "limit": app.call.leader_limit},
            )
    if app.call.org_limit is not None:
        n = live.filter(call=app.call, organisation=app.organisation).count()
        if n >= app.call.org_limit:
            raise Refused(
                f"本单位在本批次已有 {n} 项在审申报，上限为 {app.call.org_limit} 项 / organisation limit reached",
                code="org_limit",
                detail={"limit": app.call.org_limit},
            )
    twin = live.filter(
        organisation=app.organisation, title_normalized=app.title_normalized, guide_version__label=app.guide_version.label
    ).first()
    if twin is not None:
        raise Refused(
            f"本单位已以相同名称申报方向 {twin.direction}（{twin.title}），同一项目不得重复申报 / duplicate title",
            code="duplicate_title",
            detail={"other": twin.pk, "direction": twin.direction},
        )
    _cross_claim_rules(app)


def _cross_claim_rules(app: Application) -> None:
    """The guide's rules across claims, on the organisation's recorded history: an exclusion an
    earlier grant makes (the rule it belongs to is also excluded by what came before, through
    the history facts it reads), and a one-time award already paid or already claimed."""
    year, entries = _history(app)
    if year is None:
        return
    compiled = compiled_for(app.guide_version)
    guide = compiled.guide
    found = hist.excluded_by(entries, guide=guide, direction=app.direction, year=year)
    if found is not None:
        exclude, entry = found
        raise Refused(
            f"{exclude.message}（{entry.describe()}；指南原文：{exclude.source}）/ excluded by an earlier award",
            code="excluded",
            detail={"exclude": exclude.id, "direction": entry.direction, "ref": entry.ref},
        )
    award = compiled.award_rule(app.direction)
    if award is None or award.rule.once is None:
        return
    facts = application_stated_facts(app)  # what the claim is: its own facts (the history is what it is compared with)
    same = hist.paid_once(entries, award.rule.once, guide=guide, direction=app.direction, year=year, facts=facts).hits
    if same:
        raise Refused(
            f"{award.rule.once.what}不能重复申领：本单位已获得或已申领（{'；'.join(e.describe() for e in same)}）（指南原文：{award.rule.once.source}）"
            " / a one-time award already paid or claimed",
            code="paid_once",
            detail={"refs": [e.ref for e in same], "directions": [e.direction for e in same]},
        )


@transaction.atomic
def application_transition(
    *,
    actor: Actor,
    application: Application,
    action: str,
    comment: str = "",
    amount: int | None = None,
    objection_days: int | None = None,
    lock_version: int | None = None,
    address: str | None = None,
    now: dt.datetime | None = None,
    voucher: str | None = None,
) -> tuple[Application, bool]:
    """Take one step of the workflow. Returns (application, changed); submitting an application
    that is already submitted changes nothing and returns changed=False. Deadlines are judged
    at `now`: given by the face, else the request's (or command's) arrival, else the start of
    this call — never after the lock is taken (others may hold it past the deadline)."""
    now = now or arrival_time()
    # Lock only the application's row: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (leader).
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation", "leader", "guide_version")
        .get(pk=application.pk)
    )
    wf, t = _step(actor, app, action)
    if _already_taken(app, t):
        return app, False  # a second click on 提交 does not make a second submission
    _check_state_and_version(app, wf, t, lock_version=lock_version)
    if t.comment_required and not comment.strip():
        raise BadInput(f"comment: 「{t.label}」须填写意见或理由 / a comment is required", detail={"field": "comment"})
    was = {"decided_amount": app.decided_amount, "objection_ends_at": app.objection_ends_at}
    _apply_needs(app, t, amount=amount, objection_days=objection_days, now=now)
    voucher = _voucher(t, voucher)
    setattr(app, _STEP_HISTORY, {})  # one read of the history for every guard of this step
    try:
        for g in t.guards:
            _guard(g, app, t, now)
    finally:
        delattr(app, _STEP_HISTORY)
    # The rooms above judge the step by what they hold (the review: every expert's score before 拟立项).
    from yongke.applications.signals import transition_checking

    checked: dict[str, Any] = {}
    for _receiver, said in transition_checking.send(
        sender=Application, application=app, transition=t, actor=actor, comment=comment, now=now, voucher=voucher
    ):
        if isinstance(said, dict):
            checked.update(said)
    before = app.state
    app.state = t.target
    if action == "return":
        app.correction_reasons = comment
    if action in ("submit", "confirm"):
        _record_submission(app, actor=actor, now=now)
    app.lock_version += 1
    app.save()
    # Old and new values of what the step wrote (an amount decided again after a return, a new 公示期).
    changed = audit_changes(was, {"decided_amount": app.decided_amount, "objection_ends_at": app.objection_ends_at})
    audit_record(
        actor=actor,
        action=action,
        target_type="application",
        target_id=app.pk,
        from_state=before,
        to_state=app.state,
        comment=comment,
        address=address,
        data={**({"amount": amount} if amount is not None else {}), **({"changes": changed} if changed else {}), **checked},
    )
    notify.application_event(actor=actor, application=app, action=action, comment=comment)  # delivered after the commit
    from yongke.applications.signals import transition_done

    transition_done.send(sender=Application, application=app, transition=t, actor=actor, comment=comment, now=now, voucher=voucher)
    return app, True


# The steps that may be received now and taken by the worker (`yongke.jobs.services.job_start_transition`,
# the API's `Prefer: respond-async`): an applicant's 提交 and 确认申领, which taking twice changes nothing.
QUEUEABLE_ACTIONS = ("submit", "confirm")


def transition_receivable(
    *, actor: Actor, application: Application, action: str, lock_version: int | None = None, now: dt.datetime | None = None
) -> bool:
    """The checks of `application_transition` that read no rule, made when a step is received
    to be taken later as of `now` (the request's arrival): the step is one that may be queued,
    the actor may take it, from this state, on the version the caller read, before the call
    closes. False when it is already taken (nothing to queue). Raises what
    `application_transition` would raise for the same reasons; the worker then takes the step
    with every guard, judged as of the same `now`."""
    now = now or arrival_time()
    if action not in QUEUEABLE_ACTIONS:
        raise BadInput(
            f"action: 只有{'、'.join(QUEUEABLE_ACTIONS)}可排队受理 / only these steps are received to be taken later",
            detail={"field": "action", "value": action},
        )
    app = application  # as the caller read it: the worker checks again under the row's lock
    wf, t = _step(actor, app, action)
    if _already_taken(app, t):
        return False
    _check_state_and_version(app, wf, t, lock_version=lock_version)
    if "call_open" in t.guards:
        _guard_call_open(app, now)
    return True


def _step(actor: Actor, app: Application, action: str) -> tuple[Workflow, Transition]:
    """The workflow's step named `action`, which `actor` may take on `app`."""
    wf = workflow_for(app.funding)
    t = _transition_named(wf, action)
    if not may_take(actor, app, t):
        raise PermissionDenied(f"无权执行「{t.label}」/ not allowed", detail={"action": action})
    return wf, t


def _already_taken(app: Application, t: Transition) -> bool:
    return t.action in QUEUEABLE_ACTIONS and app.state == t.target and app.submissions.exists()


def _transition_named(wf: Workflow, action: str) -> Transition:
    t = wf.transition(action)
    if t is None:
        raise BadInput(
            f"action: 未知操作 {action}，可用：{', '.join(x.action for x in wf.transitions)} / unknown action",
            detail={"field": "action", "value": action},
        )
    return t


def _check_state_and_version(app: Application, wf: Workflow, t: Transition, *, lock_version: int | None) -> None:
    """The step starts from the application's state, and nobody changed it since the caller read it."""
    if app.state not in t.sources:
        raise Refused(
            f"当前状态「{wf.states.get(app.state, app.state)}」不能执行「{t.label}」/ not allowed in this state",
            code="bad_state",
            detail={"state": app.state, "action": t.action},
        )
    if lock_version is not None and lock_version != app.lock_version:
        raise Conflict(
            f"申报已被他人修改（当前版本 {app.lock_version}），请刷新后重试 / edited by someone else",
            detail={"lock_version": app.lock_version},
        )


def _voucher(t: Transition, voucher: str | None) -> str:
    """The voucher number of a step that moves money (拨付): given, at most 64 characters; the
    rooms that keep the payments check it is used once (awards, projects)."""
    if "voucher" not in t.needs:
        return ""
    text = textio.clean_name(str(voucher or ""))
    if not text or len(text) > 64:
        raise BadInput(f"voucher: 「{t.label}」须填写凭证号（不超过64个字符）/ the voucher number is required", detail={"field": "voucher"})
    return text


def _apply_needs(app: Application, t: Transition, *, amount: int | None, objection_days: int | None, now: dt.datetime) -> None:
    """What the step needs from the caller (立项金额, 公示期), checked and written to the application."""
    if "amount" in t.needs:
        if amount is None:
            raise BadInput("amount: 须填写金额（元）/ amount required", detail={"field": "amount"})
        _amount("amount", amount)
        if app.funding == "pre" and amount > app.requested_amount:
            raise BadInput(f"amount: 立项金额不能超过申请金额 {app.requested_amount} 元 / exceeds the request", detail={"field": "amount"})
        app.decided_amount = amount
    if "objection_days" in t.needs:
        # 工作日 on the State Council's calendar (调休 included), counted from the day after
        # publication and ending at 24:00 Beijing time of the last one (yongke/core/workdays.py).
        days = 5 if objection_days is None else objection_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
            raise BadInput("objection_days: 公示期应为1至30个工作日 / 1 to 30 working days", detail={"field": "objection_days"})
        app.objection_ends_at = workdays.period_from(now, days).ends_at


def _record_submission(app: Application, *, actor: Actor, now: dt.datetime) -> None:
    """What was submitted, exactly: the facts and the verdict at this moment."""
    app.submitted_at = now
    Submission.objects.create(
        application=app,
        number=app.submissions.count() + 1,
        lock_version=app.lock_version,
        facts=getattr(app, "_checked_facts", None) or application_facts(app),
        verdict=app.verdict,
        submitted_by=user_of(actor),
        submitted_at=now,
    )


# --------------------------------------------------------------------------- attachments

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_content_type(content: bytes) -> str | None:
    """The type a file really is, from its first bytes and structure — never from its name."""
    for magic, ctype in _SIGNATURES:
        if content.startswith(magic):
            return ctype
    if content.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if "OFD.xml" in names:
            return "application/ofd"
    return None


def _attachment_new(*, actor: Actor, application: Application, kind: str, filename: str, content: bytes) -> Attachment:
    """A checked, stored attachment (not yet audited): an editable application of the actor's
    own organisation, a file of a type the category accepts (judged on its content)."""
    _require_applicant(actor, application.organisation)
    if application.state not in EDITABLE_STATES:
        raise Refused(
            "当前状态不能上传或修改附件 / cannot change attachments in this state", code="not_editable", detail={"state": application.state}
        )
    if not kind.strip():
        raise BadInput("请选择材料类别 / kind required", detail={"field": "kind"})
    if len(content) == 0:
        raise BadInput("文件为空 / empty file", detail={"field": "file"})
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise BadInput(
            f"文件超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large", detail={"field": "file", "size": len(content)}
        )
    if textio.is_zip(content):  # docx, xlsx, ofd: refused before anything inflates them
        textio.check_zip(content, source="file", field="file")
    ctype = sniff_content_type(content)
    if ctype is None:
        raise BadInput("只接受 PDF、PNG、JPEG、DOCX、XLSX、OFD 文件（按内容识别）/ file type not allowed", detail={"field": "file"})
    guide = compiled_for(application.guide_version).guide
    key = proposal.normalise_kind(guide, kind)
    document = guide.documents.get(key)
    if document is not None and ctype not in document.content_types:
        raise BadInput(
            f"「{document.label}」只接受 {'、'.join(t.upper() for t in document.types)} 文件 / file type not accepted for this document",
            detail={"field": "file", "kind": key},
        )
    digest = hashlib.sha256(content).hexdigest()
    att = Attachment(
        application=application,
        kind=key,
        filename=textio.clean_filename(filename, default=digest)[:255],
        content_type=ctype,
        size=len(content),
        sha256=digest,
        uploaded_by=user_of(actor),
    )
    att.file.save(digest, ContentFile(content), save=False)
    att.full_clean()
    att.save()
    return att


@transaction.atomic
def attachment_add(*, actor: Actor, application: Application, kind: str, filename: str, content: bytes) -> Attachment:
    att = _attachment_new(actor=actor, application=application, kind=kind, filename=filename, content=content)
    audit_record(
        actor=actor,
        action="attachment_add",
        target_type="application",
        target_id=application.pk,
        data={"attachment": att.pk, "sha256": att.sha256, "kind": att.kind, "filename": att.filename},
    )
    return att


def _attachment_in_force(actor: Actor, attachment: Attachment) -> Attachment:
    """The attachment, locked, still in force, of an application its organisation may still change."""
    att = Attachment.objects.select_for_update().select_related("application__organisation").get(pk=attachment.pk)
    _require_applicant(actor, att.application.organisation)
    if att.application.state not in EDITABLE_STATES:
        raise Refused(
            "只有草稿或退回补正的申报可以删除或替换附件 / only a draft or a returned application",
            code="not_editable",
            detail={"state": att.application.state},
        )
    if att.removed_at is not None:
        raise Refused("该附件已删除或被替换 / already removed", code="attachment_removed", detail={"attachment": att.pk})
    return att


@transaction.atomic
def attachment_remove(*, actor: Actor, attachment: Attachment) -> Attachment:
    """Take an attachment off a draft or a returned application. The file is kept (the audit
    trail names it by id and digest); only the application stops carrying it."""
    att = _attachment_in_force(actor, attachment)
    att.removed_at = timezone.now()
    att.removed_by = user_of(actor)
    att.save(update_fields=["removed_at", "removed_by"])
    audit_record(
        actor=actor,
        action="attachment_remove",
        target_type="application",
        target_id=att.application_id,
        data={"attachment": att.pk, "sha256": att.sha256, "kind": att.kind, "filename": att.filename},
    )
    return att


@transaction.atomic
def attachment_replace(*, actor: Actor, attachment: Attachment, filename: str, content: bytes) -> Attachment:
    """A new file in the old one's place (same category); the old one is kept, marked replaced."""
    old = _attachment_in_force(actor, attachment)
    new = _attachment_new(actor=actor, application=old.application, kind=old.kind, filename=filename, content=content)
    old.removed_at = timezone.now()
    old.removed_by = user_of(actor)
    old.replaced_by = new
    old.save(update_fields=["removed_at", "removed_by", "replaced_by"])
    audit_record(
        actor=actor,
        action="attachment_replace",
        target_type="application",
        target_id=old.application_id,
        data={
            "attachment": new.pk,
            "sha256": new.sha256,
            "kind": new.kind,
            "filename": new.filename,
            "replaced": old.pk,
            "replaced_sha256": old.sha256,
            "replaced_filename": old.filename,
        },
    )
    return new


def application_get(pk: int) -> Application:
    app = Application.objects.filter(pk=pk).first()
    if app is None:
        raise NotFound(f"申报 {pk} 不存在 / not found", detail={"id": pk})
    return app


# --------------------------------------------------------------------------- the 申报书


def _check_leader(app: Application) -> None:
    """A leader is a person registered (with an ID number) by the applying organisation."""
    if app.leader is not None and app.leader.organisation_id != app.organisation_id:
        raise BadInput(
            f"项目负责人{app.leader.name}不是本单位登记的人员 / the leader is not of this organisation", detail={"field": "leader"}
        )


def _proposal_fields(app: Application, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply an edit's period and phone to `app` (checked); the changes left for the caller."""
    if "leader_phone" in changes:
        app.leader_phone = proposal.clean_phone(changes["leader_phone"] or "")
    for name in ("starts_on", "ends_on"):
        if name in changes:
            value = changes[name]
            if value is not None and not isinstance(value, dt.date):
                raise BadInput("日期格式应为 YYYY-MM-DD / a date", detail={"field": name})
            setattr(app, name, value)
    if "starts_on" in changes or "ends_on" in changes:
        proposal.check_period(app.call, app.starts_on, app.ends_on)
    if "leader" in changes:
        app.leader = changes["leader"]
        _check_leader(app)
    return {k: v for k, v in changes.items() if k not in (*PROPOSAL_FIELDS, "leader")}


class _Rows:
    """The budget lines, team and partners an edit writes (None: left as they are)."""

    def __init__(self) -> None:
        self.budget: list[proposal.BudgetRow] | None = None
        self.team: list[dict[str, Any]] | None = None
        self.partners: list[proposal.PartnerRow] | None = None


def _proposal_rows(app: Application, changes: dict[str, Any]) -> _Rows:
    """The rows an edit gives, checked against the application as edited: the budget adds up
    to the amounts, the team are people of the organisation or its partners, the partners'
    shares fit in the budget."""
    rows = _Rows()
    if changes.get("budget") is not None:
        rows.budget = proposal.clean_budget(changes["budget"])
    if changes.get("partners") is not None:
        rows.partners = proposal.clean_partners(changes["partners"], applicant_uscc=app.organisation.uscc)
    # A budget given is checked against the amounts as edited; amounts changed alone are checked
    # against the budget at submission (a draft may be saved half done).
    if rows.budget:
        proposal.check_budget_balance(rows.budget, requested=app.requested_amount, self_raised=app.self_raised_amount)
    partners = rows.partners if rows.partners is not None else (list(app.partners.all()) if app.pk else [])
    if partners and ({"partners", "requested_amount", "self_raised_amount"} & set(changes)):
        proposal.check_partner_shares(partners, total=app.budget_total)
    if changes.get("team") is not None:
        rows.team = _clean_team(app, changes["team"], partners)
    return rows


def _clean_team(app: Application, members: list[dict[str, Any]], partners: list[Any]) -> list[dict[str, Any]]:
    allowed = {app.organisation.uscc, *(p.uscc for p in partners)}
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for member in members:
        person = member["person"]
        if person.pk in seen:
            raise BadInput(f"团队成员{person.name}重复列入 / a person is listed twice", detail={"field": "team"})
        seen.add(person.pk)
        if app.leader_id is not None and person.pk == app.leader_id:
            raise BadInput(f"{person.name}是项目负责人，不必再列入团队成员 / the leader is not listed again", detail={"field": "team"})
        if person.organisation is None or person.organisation.uscc not in allowed:
            raise BadInput(
                f"团队成员{person.name}不是本单位或合作单位登记的人员 / not of this organisation or a partner", detail={"field": "team"}
            )
        months = member.get("months")
        if months is not None and (isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 600):
            raise BadInput(f"团队成员{person.name}的投入人月应为 0 至 600 的整数 / months", detail={"field": "team"})
        out.append({"person": person, "role": str(member.get("role") or "")[:100], "months": months})
    return out


def _write_proposal_rows(app: Application, rows: _Rows) -> None:
    if rows.budget is not None:
        app.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            [
                BudgetLine(application=app, category=r.category, fiscal=r.fiscal, self_raised=r.self_raised, basis=r.basis)
                for r in rows.budget
            ]
        )
    if rows.partners is not None:
        app.partners.all().delete()
        known = {o.uscc: o for o in Organisation.objects.filter(uscc__in=[r.uscc for r in rows.partners])}
        Partner.objects.bulk_create(
            [
                Partner(application=app, organisation=known.get(r.uscc), name=r.name, uscc=r.uscc, tasks=r.tasks, budget=r.budget, order=i)
                for i, r in enumerate(rows.partners)
            ]
        )
    if rows.team is not None:
        app.team.all().delete()
        TeamMember.objects.bulk_create(
            [
                TeamMember(application=app, person=m["person"], role=m["role"], months=m.get("months"), order=i)
                for i, m in enumerate(rows.team)
            ]
        )


def _claim_saved(app: Application) -> None:
    """Tell the rooms above that a claim's content changed (the awards room re-quotes it)."""
    if app.funding == "post":
        from yongke.applications.signals import claim_saved

        claim_saved.send(sender=Application, application=app)


@transaction.atomic
def document_verify(*, actor: Actor, application: Application, evidence: str, verified: bool, comment: str = "") -> DocumentCheck:
    """The officer's mark on one of the direction's documents in formal review: verified or not."""
    from yongke.applications.selectors import DOCUMENT_CHECK_STATES, may_verify_documents

    app = Application.objects.select_for_update(of=("self",)).select_related("guide_version").get(pk=application.pk)
    scope = scope_of(actor)
    if not scope.officer_for(app.programme):
        raise PermissionDenied("只有本专项的项目处人员可以核验材料 / officers of the programme only", detail={"action": "document_verify"})
    if not may_verify_documents(actor, app) or app.state not in DOCUMENT_CHECK_STATES:
        raise Refused(
            f"当前状态「{app.state_label}」不能核验材料 / documents are verified in formal review",
            code="bad_state",
            detail={"state": app.state},
        )
    guide = compiled_for(app.guide_version).guide
    keys = {d.key: d for _r, d in guide.documents_for(guide.direction(app.direction)) if d is not None}
    document = keys.get(evidence)
    if document is None:
        raise BadInput("本方向没有这一类证明材料 / not a document of this direction", detail={"field": "evidence", "value": evidence})
    check, _ = DocumentCheck.objects.update_or_create(
        application=app,
        evidence=evidence,
        defaults={"verified": bool(verified), "comment": comment.strip(), "checked_by": user_of(actor), "checked_at": timezone.now()},
    )
    audit_record(
        actor=actor,
        action="document_verify",
        target_type="application",
        target_id=app.pk,
        comment=comment.strip(),
        data={"evidence": evidence, "label": document.label, "verified": bool(verified)},
    )
    return check


@transaction.atomic
def application_pdf(*, actor: Actor, application: Application) -> bytes:
    """The 申报书 as a PDF, for whoever may see the application. A reader outside the applying
    organisation (an officer, a recommending unit) is recorded in the audit log."""
    from yongke.applications.pdf import render_application_pdf
    from yongke.applications.selectors import application_for

    app = application_for(actor, application.pk)
    stored = app.submissions.order_by("-number").first()
    if stored is not None and stored.verdict:
        verdict, facts = stored.verdict, stored.facts  # what was submitted, exactly
    else:
        verdict, facts = application_check(app), application_facts(app)
    content = render_application_pdf(app, verdict=verdict, facts=facts)
    scope = scope_of(actor)
    if app.organisation_id not in scope.organisations:
        audit_record(actor=actor, action="application_pdf", target_type="application", target_id=app.pk, data={"size": len(content)})
    return content

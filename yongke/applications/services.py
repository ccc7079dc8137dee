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
from django.db.models import F
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications import history as hist
from yongke.applications.models import Application, Attachment, Call, Submission, TeamMember
from yongke.applications.selectors import organisation_history
from yongke.applications.workflow import EDITABLE_STATES, Transition, Workflow, workflow_for
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput, Conflict, NotFound, PermissionDenied, Refused
from yongke.guide.facts import coerce_facts
from yongke.guide.models import GuideVersion
from yongke.guide.selectors import compiled_for, guide_version_current
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
    require_role(actor, Role.OFFICER, Role.SYSADMIN)
    version = guide_version or guide_version_current()
    guide = compiled_for(version).guide
    all_ids = [d.id for d in guide.directions]
    chosen = list(directions) if directions else all_ids
    unknown = [d for d in chosen if d not in all_ids]
    if unknown:
        raise BadInput(
            f"directions: 指南中没有方向 {', '.join(unknown)} / unknown direction", detail={"field": "directions", "value": unknown}
        )
    opens = opens_at or timezone.now()
    if timezone.is_naive(opens) or timezone.is_naive(closes_at):
        raise BadInput("时间须带时区（北京时间）/ times must be timezone-aware", detail={"field": "closes_at"})
    if closes_at <= opens:
        raise BadInput("closes_at: 截止时间须晚于开始时间 / must be after opens_at", detail={"field": "closes_at"})
    for key, amount in (budgets or {}).items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise BadInput(f"budgets.{key}: 预算应为非负整数（元）/ budget must be whole yuan", detail={"field": f"budgets.{key}"})
    call = Call(
        name=name,
        guide_version=version,
        directions=chosen,
        opens_at=opens,
        closes_at=closes_at,
        budgets=budgets or {},
        leader_limit=leader_limit,
        org_limit=org_limit,
        experts_per_application=experts_per_application,
        blind_review=blind_review,
        created_by=user_of(actor),
    )
    call.full_clean()
    call.save()
    audit_record(actor=actor, action="call_open", target_type="call", target_id=call.pk, data={"name": name, "closes_at": local(closes_at)})
    return call


@transaction.atomic
def call_close(*, actor: Actor, call: Call) -> Call:
    require_role(actor, Role.OFFICER, Role.SYSADMIN)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.closed_at is None:
        call.closed_at = timezone.now()
        call.save(update_fields=["closed_at"])
        audit_record(actor=actor, action="call_close", target_type="call", target_id=call.pk)
    return call


def call_is_open(call: Call, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return call.closed_at is None and call.opens_at <= now < call.closes_at


# --------------------------------------------------------------------------- applications


def _require_applicant(actor: Actor, organisation: Organisation) -> None:
    """Only the organisation's own applicants and admins write its applications."""
    scope = scope_of(actor)
    if not (scope.is_system or scope.is_superuser or organisation.pk in scope.organisations):
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
) -> Application:
    _require_applicant(actor, organisation)
    if direction not in call.directions:
        raise BadInput(
            f"direction: 本批次未开放方向 {direction} / direction not open in this call", detail={"field": "direction", "value": direction}
        )
    if not call_is_open(call) and state != "proposed":
        raise Refused(
            f"申报批次「{call.name}」不在申报时间内（{local(call.opens_at)} 至 {local(call.closes_at)}，北京时间）/ the call is not open",
            code="call_closed",
            detail={"call": call.pk},
        )
    if not title.strip():
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
        title=title.strip(),
        title_normalized=normalise_title(title),
        summary=summary,
        requested_amount=_amount("requested_amount", requested_amount),
        self_raised_amount=_amount("self_raised_amount", self_raised_amount),
        facts=_clean_facts(call.guide_version, facts),
        state=state or wf.initial,
        created_by=user_of(actor),
    )
    app.full_clean()
    app.save()
    people = [person.pk for person, _ in team or []]
    if len(people) != len(set(people)):
        raise BadInput("team: 同一人不能重复列入团队 / a person is listed twice", detail={"field": "team"})
    for person, role in team or []:
        TeamMember.objects.create(application=app, person=person, role=role)
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
    return app


EDITABLE = ("title", "summary", "requested_amount", "self_raised_amount", "facts", "leader")


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
    for key, value in changes.items():
        if key == "facts":
            merged = {**app.facts, **(value or {})}
            app.facts = _clean_facts(app.guide_version, {k: v for k, v in merged.items() if v is not None})
        elif key in ("requested_amount", "self_raised_amount"):
            setattr(app, key, _amount(key, value))
        elif key == "title":
            if not str(value).strip():
                raise BadInput("title: 项目名称不能为空", detail={"field": "title"})
            app.title = str(value).strip()
            app.title_normalized = normalise_title(app.title)
        else:
            setattr(app, key, value)
    app.lock_version = F("lock_version") + 1
    app.full_clean(exclude=["lock_version"])
    app.save()
    app.refresh_from_db()
    audit_record(actor=actor, action="application_update", target_type="application", target_id=app.pk, data={"fields": sorted(changes)})
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


def _history(app: Application) -> tuple[int | None, list[hist.Entry]]:
    """The guide year and the organisation's other grants and claims, of every guide year up to it."""
    label = app.guide_version.label
    if not label.isdigit():
        return None, []
    guide = compiled_for(app.guide_version).guide
    return int(label), hist.parse_history(organisation_history(app.organisation, year_label=label, exclude=app), guide)


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
    if scope.is_system or scope.is_superuser:
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


def _guard(name: str, app: Application, t: Transition, now: dt.datetime) -> None:
    if name == "call_open":
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
    elif name == "eligible":
        verdict = application_check(app)
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
    elif name == "amount_within_request":
        pass  # checked with the amount in application_transition
    elif name == "objection_window_closed":
        if app.objection_ends_at and now < app.objection_ends_at:
            raise Refused(
                f"公示异议期至 {local(app.objection_ends_at)}（北京时间）结束，之后才能继续 / objection window still open",
                code="objection_window_open",
                detail={"objection_ends_at": local(app.objection_ends_at)},
            )
    else:  # pragma: no cover - a workflow naming a guard that does not exist is a programming error
        raise RuntimeError(f"unknown guard {name}")


def _cross_rules(app: Application, now: dt.datetime) -> None:
    day = timezone.localdate(now)
    wf = workflow_for(app.funding)
    live = Application.objects.exclude(pk=app.pk).filter(
        state__in=wf.open_states | workflow_for("pre").open_states | workflow_for("post").open_states
    )
    for record in active_credit_records(organisation=app.organisation, person=app.leader, on=day):
        who = "申报单位" if record.organisation_id else "项目负责人"
        raise Refused(
            f"{who}存在失信记录（{record.reason}），在 {record.ends_on or '解除前'} 前不能申报 / blacklisted",
            code="blacklisted",
            detail={"credit_record": record.pk},
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
            f"一次性补助不能重复申领：本单位已获得或已申领（{'；'.join(e.describe() for e in same)}）（指南原文：{award.rule.once.source}）"
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
) -> tuple[Application, bool]:
    """Take one step of the workflow. Returns (application, changed); submitting an application
    that is already submitted changes nothing and returns changed=False."""
    # Lock only the application's row: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (leader).
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation", "leader", "guide_version")
        .get(pk=application.pk)
    )
    wf = workflow_for(app.funding)
    t = _transition_named(wf, action)
    if not may_take(actor, app, t):
        raise PermissionDenied(f"无权执行「{t.label}」/ not allowed", detail={"action": action})
    if action in ("submit", "confirm") and app.state == t.target and app.submissions.exists():
        return app, False  # a second click on 提交 does not make a second submission
    _check_state_and_version(app, wf, t, lock_version=lock_version)
    if t.comment_required and not comment.strip():
        raise BadInput(f"comment: 「{t.label}」须填写意见或理由 / a comment is required", detail={"field": "comment"})
    now = now or timezone.now()
    _apply_needs(app, t, amount=amount, objection_days=objection_days, now=now)
    for g in t.guards:
        _guard(g, app, t, now)
    before = app.state
    app.state = t.target
    if action == "return":
        app.correction_reasons = comment
    if action in ("submit", "confirm"):
        _record_submission(app, actor=actor, now=now)
    app.lock_version += 1
    app.save()
    audit_record(
        actor=actor,
        action=action,
        target_type="application",
        target_id=app.pk,
        from_state=before,
        to_state=app.state,
        comment=comment,
        address=address,
        data={"amount": amount} if amount is not None else {},
    )
    return app, True


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
        days = 5 if objection_days is None else objection_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
            raise BadInput("objection_days: 公示期应为1至30天 / 1 to 30 days", detail={"field": "objection_days"})
        app.objection_ends_at = now + dt.timedelta(days=days)


def _record_submission(app: Application, *, actor: Actor, now: dt.datetime) -> None:
    """What was submitted, exactly: the facts and the verdict at this moment."""
    app.submitted_at = now
    Submission.objects.create(
        application=app,
        number=app.submissions.count() + 1,
        lock_version=app.lock_version,
        facts=application_facts(app),
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


@transaction.atomic
def attachment_add(*, actor: Actor, application: Application, kind: str, filename: str, content: bytes) -> Attachment:
    _require_applicant(actor, application.organisation)
    if application.state not in EDITABLE_STATES:
        raise Refused("当前状态不能上传附件 / cannot upload in this state", code="not_editable", detail={"state": application.state})
    if not kind.strip():
        raise BadInput("kind: 须指明材料类别 / kind required", detail={"field": "kind"})
    if len(content) == 0:
        raise BadInput("file: 文件为空 / empty file", detail={"field": "file"})
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise BadInput(
            f"file: 文件超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large", detail={"field": "file", "size": len(content)}
        )
    ctype = sniff_content_type(content)
    if ctype is None:
        raise BadInput("file: 只接受 PDF、PNG、JPEG、DOCX、XLSX、OFD 文件（按内容识别）/ file type not allowed", detail={"field": "file"})
    digest = hashlib.sha256(content).hexdigest()
    att = Attachment(
        application=application,
        kind=kind.strip(),
        filename=filename[:255] or digest,
        content_type=ctype,
        size=len(content),
        sha256=digest,
        uploaded_by=user_of(actor),
    )
    att.file.save(digest, ContentFile(content), save=False)
    att.full_clean()
    att.save()
    audit_record(
        actor=actor,
        action="attachment_add",
        target_type="application",
        target_id=application.pk,
        data={"attachment": att.pk, "sha256": digest, "kind": kind},
    )
    return att


def application_get(pk: int) -> Application:
    app = Application.objects.filter(pk=pk).first()
    if app is None:
        raise NotFound(f"申报 {pk} 不存在 / not found", detail={"id": pk})
    return app

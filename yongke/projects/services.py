"""Every write to projects: opening one at 立项, editing its 任务书 within the application's
promises, the signing steps, payments, change requests and their amendments, the call's
project settings, and ending a funded project early — termination (终止, decided by the officer
or asked for by the unit) and rescission (撤销) — with the money to recover and the credit
consequences. Each is one atomic, permission-checked, audited call; times are judged on the
server at the call's `now` (Asia/Shanghai for dates)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications import proposal
from yongke.applications.models import Application, Call
from yongke.applications.services import MAX_ATTACHMENT_BYTES, application_stated_facts, sniff_content_type
from yongke.applications.workflow import Transition
from yongke.audit.models import AuditEvent
from yongke.audit.services import audit_record
from yongke.audit.services import changes as audit_changes
from yongke.core import textio, workdays
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.core.money import MAX_AMOUNT
from yongke.guide.facts import coerce_fact
from yongke.guide.selectors import compiled_for
from yongke.orgs.models import Organisation, Person
from yongke.orgs.selectors import active_credit_records, bank_account_of
from yongke.projects import closure, credit, notify, taskbook
from yongke.projects import rules as project_rules
from yongke.projects.models import (
    ChangeRequest,
    Indicator,
    Milestone,
    Payment,
    Project,
    ProjectBudgetLine,
    ProjectCallSettings,
    ProjectFile,
    ProjectParty,
    Recovery,
    TaskBookVersion,
    Tranche,
    TrancheCondition,
)
from yongke.projects.selectors import settings_for, task_book_content
from yongke.projects.workflow import CHANGEABLE_STATES, PAYABLE_STATES, PROJECT, SERVICE_STEPS

UNIT_ROLES = (Role.ORG_ADMIN, Role.APPLICANT)  # who may ask for a change on the unit's behalf
TEXT_MAX = 5000


def _local_day(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def _yuan(n: int) -> str:
    return f"{n:,} 元"


# --------------------------------------------------------------------------- who may


def _is_unit(actor: Actor, project: Project, roles: Sequence[str] = (Role.ORG_ADMIN,)) -> bool:
    """The actor holds one of `roles` for the project's unit itself (an admin of another unit who is
    a member of this one is this one's member, not its admin)."""
    scope = scope_of(actor)
    if scope.is_system:
        return True
    org = project.organisation_id
    return (Role.ORG_ADMIN in roles and Role.ORG_ADMIN in scope.roles and org in scope.admin_of) or (
        Role.APPLICANT in roles and Role.APPLICANT in scope.roles and org in scope.organisations
    )


def _is_officer(actor: Actor, project: Project) -> bool:
    return scope_of(actor).officer_for(project.programme)


def may_take(actor: Actor, project: Project, t: Transition) -> bool:
    """Whether the actor may take step `t` of this project (role and scope)."""
    scope = scope_of(actor)
    if scope.is_system:
        return True
    return any(
        (role == Role.OFFICER and _is_officer(actor, project))
        or (role in (Role.ORG_ADMIN, Role.APPLICANT) and _is_unit(actor, project, (role,)))
        for role in t.roles
    )


def steps_for(actor: Actor, project: Project) -> list[Transition]:
    """The steps the actor may take on the project as it stands: the workflow's from its state,
    theirs to take, and not refused by the state of the signatures (`sign` once, before the
    countersignature; `countersign` after the unit's). The steps taken through their own services
    (reports, acceptance, termination) are not among them: `service_steps_for` lists those."""
    out = []
    for t in PROJECT.available(project.state):
        if t.action in SERVICE_STEPS or not may_take(actor, project, t):
            continue
        if t.action == "sign" and project.unit_signed_at is not None:
            continue
        if t.action == "countersign" and project.unit_signed_at is None:
            continue
        out.append(t)
    return out


def service_steps_for(actor: Actor, project: Project) -> list[Transition]:
    """The steps of the project's state the actor may take through their own services."""
    return [t for t in PROJECT.available(project.state) if t.action in SERVICE_STEPS and may_take(actor, project, t)]


def _require_officer(actor: Actor, project: Project, what: str) -> None:
    if not _is_officer(actor, project):
        raise PermissionDenied(f"只有本专项的项目处人员可以{what} / the programme's officers only", detail={"project": project.pk})


def _locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation", "leader", "call", "guide_version", "application")
        .get(pk=project.pk)
    )


locked_project = _locked  # for the post-award services of this package: the project row, locked for the transaction


def _check_version(project: Project, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != project.lock_version:
        raise Conflict(
            f"项目已被他人修改（当前版本 {project.lock_version}），请刷新后重试 / edited by someone else",
            detail={"lock_version": project.lock_version},
        )


def _audit(actor: Actor, project: Project, action: str, *, before: str = "", comment: str = "", data: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="project",
        target_id=project.pk,
        from_state=before,
        to_state=project.state if before else "",
        comment=comment,
        data=data or {},
    )


# --------------------------------------------------------------------------- opening a project


def _default_milestones(starts_on: dt.date, ends_on: dt.date) -> list[tuple[dt.date, str]]:
    """One stage a year: the end of each calendar year the project runs in, and its end date."""
    out = []
    for year in range(starts_on.year, ends_on.year + 1):
        due = min(dt.date(year, 12, 31), ends_on)
        out.append((due, "完成全部考核指标，申请验收" if due == ends_on else f"{year}年度目标"))
    return out


def _number(app: Application) -> str:
    return f"{app.guide_version.label}-{app.pk:05d}"


@transaction.atomic
def project_open(*, actor: Actor, application: Application, now: dt.datetime | None = None) -> Project:
    """Open the project of an application just 立项: its 任务书 drafted from the 申报书 — one
    indicator per commitment rule with the application's promises as targets, the budget lines
    (财政资助 scaled to the approved amount), the period with a stage a year, the partners and
    team, and the call's payment plan. Opening it again returns the same project."""
    app = Application.objects.select_related("call", "guide_version", "organisation", "leader").get(pk=application.pk)
    if not scope_of(actor).officer_for(app.programme):
        raise PermissionDenied("只有本专项的项目处人员可以立项 / the programme's officers only", detail={"application": app.pk})
    existing = Project.objects.filter(application=app).first()
    if existing is not None:
        return existing
    if app.funding != "pre" or app.state != "contracted":
        raise Refused("只有已立项的前资助申报可以建立项目 / only an application approved as a project", code="bad_state")
    if app.leader is None or app.starts_on is None or app.ends_on is None or app.decided_amount is None:
        raise Refused("申报书缺少项目负责人、实施期或立项金额，不能建立项目 / the application form is incomplete", code="incomplete")
    now = now or timezone.now()
    submission = app.submissions.order_by("-number").first()
    facts = dict(submission.facts) if submission is not None else application_stated_facts(app)
    project = Project(
        application=app,
        facts=facts,
        number=_number(app),
        call=app.call,
        guide_version=app.guide_version,
        direction=app.direction,
        programme=app.programme,
        organisation=app.organisation,
        leader=app.leader,
        leader_phone=app.leader_phone,
        recommending_unit=app.organisation.recommending_unit,
        title=app.title,
        content=app.summary,
        approved_amount=app.decided_amount,
        self_raised_amount=app.self_raised_amount,
        starts_on=app.starts_on,
        ends_on=app.ends_on,
        state=PROJECT.initial,
    )
    project.full_clean()
    project.save()
    compiled = compiled_for(app.guide_version)
    for i, row in enumerate(taskbook.commitment_rows(compiled, app.direction, facts)):
        Indicator.objects.create(
            project=project,
            order=i,
            source=Indicator.Source.COMMITMENT,
            rule_id=row.rule_id,
            label=row.label,
            clause=row.clause,
            expr=row.expr,
            targets=row.targets,
            promised=dict(row.targets),
            context=row.context,
            unit=row.unit,
        )
    lines = [(b.category, b.fiscal, b.self_raised, b.basis) for b in app.budget_lines.all()]
    for category, fiscal, own, basis in taskbook.scale_fiscal(lines, project.approved_amount):
        ProjectBudgetLine.objects.create(project=project, category=category, fiscal=fiscal, self_raised=own, basis=basis)
    for i, (due, title) in enumerate(_default_milestones(project.starts_on, project.ends_on)):
        Milestone.objects.create(project=project, order=i, due_on=due, title=title)
    for i, p in enumerate(app.partners.all()):
        ProjectParty.objects.create(project=project, kind="partner", order=i, name=p.name, uscc=p.uscc, role=p.tasks, budget=p.budget)
    for i, m in enumerate(app.team.select_related("person")):
        ProjectParty.objects.create(
            project=project, kind="member", order=i, name=m.person.name, person=m.person, role=m.role, months=m.months
        )
    _days, plan = settings_for(app.call)
    amounts = project_rules.split_shares(project.approved_amount, [int(t["share_pct"]) for t in plan])
    for i, (t, amount) in enumerate(zip(plan, amounts, strict=True)):
        Tranche.objects.create(project=project, order=i + 1, label=t["label"], amount=amount, condition=t["condition"])
    _audit(actor, project, "project_open", data={"application": app.pk, "number": project.number, "amount": project.approved_amount})
    notify.project_event(actor=actor, project=project, template="project_opened", to="unit")
    return project


# --------------------------------------------------------------------------- editing the task book


TASK_BOOK_SECTIONS = (
    "title",
    "content",
    "starts_on",
    "ends_on",
    "leader_phone",
    "indicators",
    "extra_indicators",
    "milestones",
    "budget",
    "partners",
    "tranches",
)


def clean_text(value: Any, field: str, label: str, *, required: bool = False, max_length: int = TEXT_MAX) -> str:
    """A text input of the project services, stripped: text, given when required, not too long;
    refused naming the field and its label."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(f"{field}: {label}应为文本 / must be text", detail={"field": field})
    value = textio.clean_name(value)  # control, NUL and bidi characters stripped (docs/inputs.md)
    if required and not value:
        raise BadInput(f"{field}: {label}不能为空 / required", detail={"field": field})
    if len(value) > max_length:
        raise BadInput(f"{field}: {label}不能超过 {max_length} 字 / too long", detail={"field": field})
    return value


def _text(changes: Mapping[str, Any], key: str, label: str, *, required: bool = False, max_length: int = TEXT_MAX) -> str:
    return clean_text(changes.get(key), key, label, required=required, max_length=max_length)


def clean_date(value: Any, field: str, label: str) -> dt.date:
    """A date input (a date or ISO text), refused naming the field and its label."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise BadInput(f"{field}: {label}应为日期（YYYY-MM-DD）/ a date", detail={"field": field}) from None


def _indicator_targets(project: Project, given: Any) -> dict[int, dict[str, Any]]:
    """{indicator id: new targets} from {id or rule id: {fact: value}}, each checked against the
    application's promise and the guide's threshold."""
    if not isinstance(given, Mapping):
        raise BadInput("indicators: 应为对象（指标编号: {事实: 值}）/ must be an object", detail={"field": "indicators"})
    compiled = compiled_for(project.guide_version)
    rows = {str(i.pk): i for i in project.indicators.filter(source="commitment")}
    by_rule = {i.rule_id: i for i in rows.values()}
    out = {}
    for key, targets in given.items():
        ind = rows.get(str(key)) or by_rule.get(str(key))
        if ind is None:
            raise BadInput(f"indicators.{key}: 没有这个考核指标 / unknown indicator", detail={"field": f"indicators.{key}"})
        out[ind.pk] = taskbook.clean_targets(
            compiled,
            project.direction,
            rule_id=ind.rule_id,
            given=targets,
            promised=ind.promised,
            context=ind.context,
            label=ind.label,
            current=ind.targets,
        )
    return out


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise BadInput(f"{field}: 目标值应为数值 / a number", detail={"field": field})
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise BadInput(f"{field}: 目标值应为数值 / a number", detail={"field": field}) from None
    if not d.is_finite() or d < 0 or d >= Decimal(10) ** 18:
        raise BadInput(f"{field}: 目标值应为非负数值 / a non-negative number", detail={"field": field})
    return d.quantize(Decimal(1) / 100)  # to the fen


def _extra_rows(project: Project, given: Any) -> list[dict[str, Any]]:
    """补充指标 as given: every existing one still there (none is removed), new ones appended."""
    if not isinstance(given, list):
        raise BadInput("extra_indicators: 应为列表 / must be a list", detail={"field": "extra_indicators"})
    existing = {i.pk for i in project.indicators.filter(source="extra")}
    seen: set[int] = set()
    rows = []
    for n, item in enumerate(given):
        where = f"extra_indicators[{n}]"
        if not isinstance(item, Mapping):
            raise BadInput(f"{where}: 应为对象 / must be an object", detail={"field": where})
        pk = item.get("id")
        if pk is not None and pk not in existing:
            raise BadInput(f"{where}.id: 没有这个补充指标 / unknown indicator", detail={"field": f"{where}.id"})
        label = _text(item, "label", "指标名称", required=True, max_length=300)
        unit = _text(item, "unit", "单位", max_length=16)
        rows.append({"id": pk, "label": label, "unit": unit, "target_value": _decimal(item.get("target_value"), f"{where}.target_value")})
        if pk is not None:
            seen.add(pk)
    missing = existing - seen
    if missing:
        raise Refused(
            "任务书的考核指标只能增加，不能删除 / an indicator may be added, never removed",
            code="indicator_removed",
            detail={"field": "extra_indicators", "indicators": sorted(missing)},
        )
    return rows


def _milestone_rows(project: Project, given: Any, starts_on: dt.date, ends_on: dt.date, targets: dict[str, Any]) -> list[dict[str, Any]]:
    """进度安排 as given: each stage dated within the period, with stage values of the indicators'
    facts not above their task-book targets."""
    if not isinstance(given, list) or not given:
        raise BadInput("milestones: 进度安排至少一项 / at least one stage", detail={"field": "milestones"})
    facts = compiled_for(project.guide_version).guide.facts
    rows = []
    for n, item in enumerate(given):
        where = f"milestones[{n}]"
        if not isinstance(item, Mapping):
            raise BadInput(f"{where}: 应为对象 / must be an object", detail={"field": where})
        due = clean_date(item.get("due_on"), f"{where}.due_on", "完成时间")
        if not starts_on <= due <= ends_on:
            raise BadInput(
                f"{where}.due_on: 完成时间应在项目实施期内（{starts_on.isoformat()} 至 {ends_on.isoformat()}）/ within the period",
                detail={"field": f"{where}.due_on"},
            )
        title = _text(item, "title", "阶段目标", required=True, max_length=300)
        stage = item.get("targets") or {}
        if not isinstance(stage, Mapping):
            raise BadInput(f"{where}.targets: 应为对象（事实: 值）/ must be an object", detail={"field": f"{where}.targets"})
        clean = {}
        for name, raw in stage.items():
            if name not in targets:
                raise BadInput(
                    f"{where}.targets.{name}: 不是本项目考核指标的事实 / not a target of this project",
                    detail={"field": f"{where}.targets.{name}"},
                )
            value = coerce_fact(facts[name], raw, where=f"{where}.targets")
            final = targets[name]
            if value is not None and final is not None and facts[name].type != "bool" and value > final:
                raise BadInput(
                    f"{where}.targets.{name}: 阶段考核值不能高于任务书规定值 {final} / above the final target",
                    detail={"field": f"{where}.targets.{name}"},
                )
            clean[name] = value
        rows.append({"due_on": due, "title": title, "targets": clean})
    return sorted(rows, key=lambda r: r["due_on"])


def _tranche_rows(given: Any, approved: int) -> list[dict[str, Any]]:
    """The payment plan as given: each tranche a share (%) or an amount, and a condition; the
    amounts add up to the approved amount exactly."""
    if not isinstance(given, list) or not given:
        raise BadInput("tranches: 拨款计划至少一期 / at least one tranche", detail={"field": "tranches"})
    shares = [t.get("share_pct") if isinstance(t, Mapping) else None for t in given]
    by_share = all(s is not None for s in shares)
    rows = []
    for n, item in enumerate(given):
        where = f"tranches[{n}]"
        if not isinstance(item, Mapping):
            raise BadInput(f"{where}: 应为对象 / must be an object", detail={"field": where})
        condition = item.get("condition")
        if condition not in TrancheCondition.values:
            raise BadInput(
                f"{where}.condition: 拨付条件应为 {'、'.join(TrancheCondition.values)} 之一 / unknown condition",
                detail={"field": f"{where}.condition"},
            )
        label = _text(item, "label", "名称", max_length=100) or f"第{n + 1}期"
        if by_share:
            share = item["share_pct"]
            if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 100:
                raise BadInput(f"{where}.share_pct: 比例应为1至100的整数（%）/ 1 to 100", detail={"field": f"{where}.share_pct"})
            rows.append({"label": label, "share_pct": share, "condition": condition})
        else:
            amount = item.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
                raise BadInput(
                    f"{where}.amount: 金额应为正整数（元），或给出比例 share_pct / whole yuan", detail={"field": f"{where}.amount"}
                )
            rows.append({"label": label, "amount": amount, "condition": condition})
    if by_share:
        if sum(r["share_pct"] for r in rows) != 100:
            raise BadInput(
                f"tranches: 各期比例合计应为100%（现为 {sum(r['share_pct'] for r in rows)}%）/ shares must add up to 100",
                detail={"field": "tranches"},
            )
        for r, amount in zip(rows, project_rules.split_shares(approved, [r["share_pct"] for r in rows]), strict=True):
            r["amount"] = amount
    total = sum(r["amount"] for r in rows)
    if total != approved:
        raise BadInput(
            f"tranches: 各期金额合计 {_yuan(total)}，应等于立项金额 {_yuan(approved)} / the tranches must add up to the grant",
            detail={"field": "tranches", "total": total, "approved": approved},
        )
    return rows


@dataclass
class _Edit:
    """A task-book edit, every section checked; None where the section is not changed."""

    texts: dict[str, str]
    starts_on: dt.date
    ends_on: dt.date
    targets: dict[int, dict[str, Any]]
    extras: list[dict[str, Any]] | None
    milestones: list[dict[str, Any]] | None
    budget: list[proposal.BudgetRow] | None
    self_raised: int
    partners: list[proposal.PartnerRow] | None
    tranches: list[dict[str, Any]] | None


def _clean_period(p: Project, changes: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    starts_on = clean_date(changes["starts_on"], "starts_on", "项目开始日期") if "starts_on" in changes else p.starts_on
    ends_on = clean_date(changes["ends_on"], "ends_on", "项目结束日期") if "ends_on" in changes else p.ends_on
    if "starts_on" in changes or "ends_on" in changes:
        proposal.check_period(p.call, starts_on, ends_on)
        if "milestones" not in changes:
            out = [m.due_on.isoformat() for m in p.milestones.all() if not starts_on <= m.due_on <= ends_on]
            if out:
                raise BadInput(
                    f"milestones: 进度安排 {out[0]} 不在新的实施期内，请一并修改进度安排 / a stage falls outside the period",
                    detail={"field": "milestones"},
                )
    return starts_on, ends_on


def _clean_budget(p: Project, given: Any) -> list[proposal.BudgetRow]:
    if not isinstance(given, list):
        raise BadInput("budget: 经费预算应为列表 / must be a list", detail={"field": "budget"})
    budget = proposal.clean_budget(given)
    fiscal = sum(b.fiscal for b in budget)
    if fiscal != p.approved_amount:
        raise BadInput(
            f"budget: 经费预算「合计」的财政资助 {_yuan(fiscal)}，应等于立项金额 {_yuan(p.approved_amount)} / the budget must add up to the grant",
            detail={"field": "budget.total.fiscal", "budget": fiscal, "approved": p.approved_amount},
        )
    return budget


def _clean_partners(p: Project, given: Any, self_raised: int) -> list[proposal.PartnerRow]:
    if not isinstance(given, list):
        raise BadInput("partners: 合作单位应为列表 / must be a list", detail={"field": "partners"})
    partners = proposal.clean_partners(given, applicant_uscc=p.organisation.uscc)
    proposal.check_partner_shares(partners, total=p.approved_amount + self_raised)
    return partners


def _clean_edit(p: Project, changes: Mapping[str, Any]) -> _Edit:
    unknown = sorted(set(changes) - set(TASK_BOOK_SECTIONS) - {"lock_version"})
    if unknown:
        raise BadInput(
            f"{unknown[0]}: 任务书没有这一项 / unknown section", detail={"field": unknown[0], "allowed": list(TASK_BOOK_SECTIONS)}
        )
    texts = {
        key: _text(changes, key, label, required=key == "title", max_length=length)
        for key, label, length in (("title", "项目名称", 200), ("content", "研究内容", TEXT_MAX))
        if key in changes
    }
    if "leader_phone" in changes:
        texts["leader_phone"] = proposal.clean_phone(changes.get("leader_phone") or "")
    starts_on, ends_on = _clean_period(p, changes)
    targets = _indicator_targets(p, changes["indicators"]) if "indicators" in changes else {}
    all_targets: dict[str, Any] = {}
    for ind in p.indicators.filter(source="commitment"):
        all_targets.update(targets.get(ind.pk, ind.targets))
    budget = _clean_budget(p, changes["budget"]) if "budget" in changes else None
    self_raised = sum(b.self_raised for b in (budget if budget is not None else p.budget_lines.all()))
    return _Edit(
        texts=texts,
        starts_on=starts_on,
        ends_on=ends_on,
        targets=targets,
        extras=_extra_rows(p, changes["extra_indicators"]) if "extra_indicators" in changes else None,
        milestones=_milestone_rows(p, changes["milestones"], starts_on, ends_on, all_targets) if "milestones" in changes else None,
        budget=budget,
        self_raised=self_raised,
        partners=_clean_partners(p, changes["partners"], self_raised) if "partners" in changes else None,
        tranches=_tranche_rows(changes["tranches"], p.approved_amount) if "tranches" in changes else None,
    )


def _write_extras(p: Project, extras: list[dict[str, Any]]) -> None:
    order = (p.indicators.aggregate(m=Max("order"))["m"] or 0) + 1
    for row in extras:
        fields = {"label": row["label"], "unit": row["unit"], "target_value": row["target_value"]}
        if row["id"] is None:
            Indicator.objects.create(project=p, order=order, source="extra", **fields)
            order += 1
        else:
            Indicator.objects.filter(pk=row["id"]).update(**fields)


def _write_edit(p: Project, e: _Edit) -> None:
    for key, value in e.texts.items():
        setattr(p, key, value)
    p.starts_on, p.ends_on, p.self_raised_amount = e.starts_on, e.ends_on, e.self_raised
    for pk, targets in e.targets.items():
        Indicator.objects.filter(pk=pk).update(targets=targets)
    if e.extras is not None:
        _write_extras(p, e.extras)
    if e.milestones is not None:
        p.milestones.all().delete()
        Milestone.objects.bulk_create(Milestone(project=p, order=i, **m) for i, m in enumerate(e.milestones))
    if e.budget is not None:
        p.budget_lines.all().delete()
        ProjectBudgetLine.objects.bulk_create(
            ProjectBudgetLine(project=p, category=b.category, fiscal=b.fiscal, self_raised=b.self_raised, basis=b.basis) for b in e.budget
        )
    if e.partners is not None:
        p.parties.filter(kind="partner").delete()
        ProjectParty.objects.bulk_create(
            ProjectParty(project=p, kind="partner", order=i, name=r.name, uscc=r.uscc, role=r.tasks, budget=r.budget)
            for i, r in enumerate(e.partners)
        )
    if e.tranches is not None:
        p.tranches.all().delete()
        Tranche.objects.bulk_create(
            Tranche(project=p, order=i + 1, label=t["label"], amount=t["amount"], condition=t["condition"])
            for i, t in enumerate(e.tranches)
        )


@transaction.atomic
def task_book_update(*, actor: Actor, project: Project, lock_version: int | None, changes: Mapping[str, Any]) -> Project:
    """Edit the task book while it is being drawn up (the programme's officer). `changes` holds
    any of TASK_BOOK_SECTIONS; each is checked whole before anything is written: targets never
    below the application's promise or the guide's threshold, indicators added never removed,
    stages within the period, the budget's 财政资助 equal to the approved amount, partners'
    shares within the budget, tranches adding up to the grant. Every change is audited with its
    before and after, so the unit sees it."""
    p = _locked(project)
    _require_officer(actor, p, "编制任务书")
    if not p.editable:
        raise Refused(
            f"任务书在「{p.state_label}」状态不能修改 / the task book is not being drawn up", code="not_editable", detail={"state": p.state}
        )
    _check_version(p, lock_version)
    edit = _clean_edit(p, changes)
    before = task_book_content(p)
    _write_edit(p, edit)  # everything was checked: nothing is written half
    p.lock_version += 1
    p.full_clean()
    p.save()
    after = task_book_content(p)
    diff = _content_diff(before, after)
    _audit(actor, p, "task_book_update", data={"changes": diff})
    if diff:
        notify.project_event(actor=actor, project=p, template="task_book_changed", to="unit", key_suffix=str(p.lock_version))
    return p


# --------------------------------------------------------------------------- signing


def _task_book_problems(p: Project) -> list[str]:
    """What keeps the task book from being sent for signing, in the order a reader checks it."""
    compiled = compiled_for(p.guide_version)
    # Alternatives (或): a target left empty is one the application did not choose; the rule decides.
    problems = [
        f"考核指标「{ind.label}」的规定值未填写或未达到指南要求（指南原文：{ind.clause}）"
        for ind in p.indicators.filter(source="commitment")
        if taskbook.evaluate(compiled, p.direction, ind.rule_id, {**ind.context, **ind.targets}) != "pass"
    ]
    lines = list(p.budget_lines.all())
    fiscal = sum(b.fiscal for b in lines)
    if fiscal != p.approved_amount:
        problems.append(f"经费预算的财政资助合计 {_yuan(fiscal)} 不等于立项金额 {_yuan(p.approved_amount)}")
    matching = taskbook.amount_problems(
        compiled, p.direction, dict(p.facts), approved=p.approved_amount, self_raised=sum(b.self_raised for b in lines)
    )
    problems.extend(f"按立项金额复核，{bad['message']}（指南原文：{bad['source']}）" for bad in matching)
    paid = sum(t.amount for t in p.tranches.all())
    if paid != p.approved_amount:
        problems.append(f"拨款计划合计 {_yuan(paid)} 不等于立项金额 {_yuan(p.approved_amount)}")
    if not p.milestones.exists():
        problems.append("进度安排至少一项")
    return problems


def _store_file(
    *, actor: Actor, project: Project, kind: str, filename: str, content: bytes, change: ChangeRequest | None = None, pdf_only: bool = False
) -> ProjectFile:
    if not content:
        raise BadInput("file: 文件为空 / empty file", detail={"field": "file"})
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise BadInput(f"file: 文件超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB / file too large", detail={"field": "file"})
    if textio.is_zip(content):  # docx, xlsx, ofd: refused before anything inflates them
        textio.check_zip(content, source="file", field="file")
    ctype = sniff_content_type(content)
    if ctype is None or (pdf_only and ctype != "application/pdf"):
        allowed = "PDF" if pdf_only else "PDF、PNG、JPEG、DOCX、XLSX、OFD"
        raise BadInput(f"file: 只接受 {allowed} 文件（按内容识别）/ file type not allowed", detail={"field": "file"})
    digest = hashlib.sha256(content).hexdigest()
    f = ProjectFile(
        project=project,
        kind=kind,
        change=change,
        filename=textio.clean_filename(filename, default=digest)[:255],
        content_type=ctype,
        size=len(content),
        sha256=digest,
        uploaded_by=user_of(actor),
    )
    f.file.save(digest, ContentFile(content), save=False)
    f.full_clean()
    f.save()
    return f


def _snapshot(*, actor: Actor, project: Project, number: int, now: dt.datetime, change: ChangeRequest | None = None) -> TaskBookVersion:
    return TaskBookVersion.objects.create(
        project=project, number=number, content=task_book_content(project), change=change, created_by=user_of(actor), created_at=now
    )


def _sign_deadline(now: dt.datetime, days: int) -> dt.datetime:
    """24:00 Beijing time of the `days`-th day after `now`."""
    return workdays.end_of_day(_local_day(now) + dt.timedelta(days=days))


def _step_allowed(actor: Actor, p: Project, action: str, comment: str, lock_version: int | None, *, by_service: bool = False) -> Transition:
    """The step, known, the actor's to take, from the project's state, on the version read."""
    t = PROJECT.transition(action)
    if t is None:
        raise BadInput(
            f"action: 未知操作 {action}，可用：{', '.join(x.action for x in PROJECT.transitions)} / unknown action",
            detail={"field": "action", "value": action},
        )
    if not may_take(actor, p, t):
        raise PermissionDenied(f"无权执行「{t.label}」/ not allowed", detail={"action": action})
    if action in SERVICE_STEPS and not by_service:
        raise Refused(
            f"「{t.label}」须通过其专门办理（报告、验收或终止撤销）/ this step is taken through its own service",
            code="step_by_service",
            detail={"action": action},
        )
    if p.state not in t.sources:
        raise Refused(
            f"项目当前状态「{p.state_label}」不能执行「{t.label}」/ not allowed in this state",
            code="bad_state",
            detail={"state": p.state, "action": action},
        )
    _check_version(p, lock_version)
    if t.comment_required and not comment:
        raise BadInput(f"comment: 「{t.label}」须填写意见或理由 / a comment is required", detail={"field": "comment"})
    if "task_book_complete" in t.guards:
        problems = _task_book_problems(p)
        if problems:
            raise Refused(
                f"任务书尚不完整：{problems[0]} / the task book is incomplete", code="task_book_incomplete", detail={"problems": problems}
            )
    if "unit_signed" in t.guards and p.unit_signed_at is None:
        raise Refused("承担单位尚未签订任务书 / the unit has not signed", code="unit_not_signed")
    return t


def _sign(actor: Actor, p: Project, *, filename: str, content: bytes | None, now: dt.datetime) -> dict[str, Any]:
    """The unit's signature: in time, once, with the stamped task book as a PDF."""
    if p.unit_signed_at is not None:
        raise Refused("承担单位已签订任务书 / already signed", code="already_signed")
    if p.sign_by is not None and now >= p.sign_by:
        raise Refused(
            f"任务书签订期限已于 {workdays.format_deadline(p.sign_by)}（北京时间）届满 / the time to sign has passed",
            code="sign_deadline_passed",
            detail={"sign_by": workdays.format_deadline(p.sign_by)},
        )
    if content is None:
        raise BadInput("file: 请上传盖章的任务书（PDF）/ the stamped task book is required", detail={"field": "file"})
    f = _store_file(actor=actor, project=p, kind=ProjectFile.Kind.SIGNED_TASK_BOOK, filename=filename, content=content, pdf_only=True)
    p.unit_signed_at, p.unit_signed_by = now, user_of(actor)
    return {"file": f.pk, "sha256": f.sha256}


def _step_effects(actor: Actor, p: Project, action: str, *, filename: str, content: bytes | None, now: dt.datetime) -> dict[str, Any]:
    """What a step writes on the project besides its state; what it returns goes to the audit log."""
    if action == "send":
        days, _plan = settings_for(p.call)
        p.sign_by = _sign_deadline(now, days)
        return {"sign_by": workdays.format_deadline(p.sign_by)}
    if action == "sign":
        return _sign(actor, p, filename=filename, content=content, now=now)
    if action == "reopen":
        if p.sign_by is not None and now >= p.sign_by and not _is_officer(actor, p):
            # Sent back after its time is up, the task book would escape revocation (the officer still may).
            raise Refused(
                f"任务书签订期限已于 {workdays.format_deadline(p.sign_by)}（北京时间）届满，不能再退回修改 / the time to sign has passed",
                code="sign_deadline_passed",
                detail={"sign_by": workdays.format_deadline(p.sign_by)},
            )
        p.unit_signed_at, p.unit_signed_by, p.sign_by = None, None, None
    elif action == "countersign":
        p.countersigned_at, p.countersigned_by = now, user_of(actor)
    elif action in ("revoke", "terminate", "rescind", "fail"):
        p.ended_at = now
    return {}


@transaction.atomic
def project_transition(
    *,
    actor: Actor,
    project: Project,
    action: str,
    comment: str = "",
    lock_version: int | None = None,
    filename: str = "",
    content: bytes | None = None,
    now: dt.datetime | None = None,
) -> Project:
    """Take one step of the project workflow (yongke.projects.workflow): send the task book for
    signing, the unit's signature with the stamped PDF, the countersignature (the task book's
    original, version 0, is kept), a return for changes, revocation, termination."""
    p = _locked(project)
    comment = (comment or "").strip()
    t = _step_allowed(actor, p, action, comment, lock_version)
    now = now or timezone.now()
    data = _step_effects(actor, p, action, filename=filename, content=content, now=now)
    before = p.state
    p.state = t.target
    p.lock_version += 1
    p.save()
    if action == "countersign":
        _snapshot(actor=actor, project=p, number=0, now=now)
    _audit(actor, p, action, before=before, comment=comment, data=data)
    notify.project_step(actor=actor, project=p, action=action, comment=comment)
    return p


def take_service_step(
    *,
    actor: Actor,
    project: Project,
    action: str,
    comment: str = "",
    lock_version: int | None = None,
    now: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> Project:
    """One step of the workflow taken by its own service (`SERVICE_STEPS`), inside that
    service's transaction and on the project it has locked: the same checks as any step (the
    actor's role and scope, the state, the version read, the comment), then the state, the
    audit entry (with the service's `data`) and the notification."""
    if action not in SERVICE_STEPS:
        raise BadInput(f"action: {action} 不是须专门办理的步骤 / not a service step", detail={"field": "action", "value": action})
    comment = (comment or "").strip()
    t = _step_allowed(actor, project, action, comment, lock_version, by_service=True)
    now = now or timezone.now()
    _step_effects(actor, project, action, filename="", content=None, now=now)
    before = project.state
    project.state = t.target
    project.lock_version += 1
    project.save()
    _audit(actor, project, action, before=before, comment=comment, data=data or {})
    notify.project_step(actor=actor, project=project, action=action, comment=comment, params=params)
    return project


@transaction.atomic
def projects_revoke_unsigned(*, actor: Actor, now: dt.datetime | None = None) -> list[Project]:
    """Revoke every project whose task book was sent for signing and not signed by the unit in
    time (the call's days; by the rules, one month), of the programmes the actor is the officer
    of. Each is audited and its unit told."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以撤销逾期未签订的项目 / officers only")
    now = now or timezone.now()
    reason = f"逾期未签订任务书（{project_rules.rules().sign_source}）"
    out = []
    # Locked as they are read: a signature committed meanwhile takes the project out of the scan.
    overdue = Project.objects.select_for_update(of=("self",)).filter(state="signing", unit_signed_at__isnull=True, sign_by__lte=now)
    for p in overdue.order_by("pk"):
        if not _is_officer(actor, p):
            continue
        out.append(project_transition(actor=actor, project=p, action="revoke", comment=reason, now=now))
    return out


@transaction.atomic
def signing_reminders(*, actor: Actor, days: int | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Remind the units of task books awaiting their signature whose time ends within `days`
    (the rules' reminder_days by default), of the programmes the actor is the officer of: once
    per project and deadline (each reminder is audited; a project already reminded of its
    deadline is not reminded again). Returns the reminders sent now."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以发送签订提醒 / officers only")
    days = project_rules.rules().sign_reminder_days if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        raise BadInput("days: 提前天数应为1至60的整数 / 1 to 60 days", detail={"field": "days"})
    now = now or timezone.now()
    out = []
    due = Project.objects.select_for_update(of=("self",)).filter(
        state="signing", unit_signed_at__isnull=True, sign_by__gt=now, sign_by__lte=now + dt.timedelta(days=days)
    )
    for p in due.order_by("pk"):
        sign_by = p.sign_by
        assert sign_by is not None  # filtered on it
        if not _is_officer(actor, p):
            continue
        deadline = workdays.format_deadline(sign_by)
        reminded = AuditEvent.objects.filter(target_type="project", target_id=str(p.pk), action="sign_reminder", data__sign_by=deadline)
        if reminded.exists():
            continue
        _audit(actor, p, "sign_reminder", data={"sign_by": deadline})
        notify.project_event(actor=actor, project=p, template="sign_reminder", to="unit", key_suffix=sign_by.isoformat())
        out.append({"project": p.pk, "number": p.number, "sign_by": deadline})
    return out


# --------------------------------------------------------------------------- payments


def _condition_met(p: Project, condition: str) -> bool:
    if condition == TrancheCondition.SIGNING:
        return p.countersigned_at is not None
    if condition == TrancheCondition.MIDTERM:
        return p.midterm_passed_at is not None
    return p.accepted_at is not None


def _payable_tranche(p: Project, tranche: Any, amount: Any) -> Tranche:
    """The tranche, its condition met, with room for `amount` in it and in the grant."""
    t = p.tranches.filter(order=tranche).first() if isinstance(tranche, int) and not isinstance(tranche, bool) else None
    if t is None:
        raise BadInput(f"tranche: 拨款计划没有第 {tranche} 期 / unknown tranche", detail={"field": "tranche"})
    if not _condition_met(p, t.condition):
        raise Refused(
            f"第{t.order}期「{t.label}」的拨付条件（{t.get_condition_display()}）尚未满足 / the tranche's condition is not met",
            code="condition_not_met",
            detail={"tranche": t.order, "condition": t.condition},
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise BadInput("amount: 拨款金额应为正整数（元）/ whole yuan, positive", detail={"field": "amount"})
    paid_tranche = t.payments.aggregate(s=Sum("amount"))["s"] or 0
    if paid_tranche + amount > t.amount:
        raise Refused(
            f"第{t.order}期计划 {_yuan(t.amount)}，已拨 {_yuan(paid_tranche)}，本次最多 {_yuan(t.amount - paid_tranche)} / more than the tranche",
            code="over_tranche",
            detail={"field": "amount", "left": t.amount - paid_tranche},
        )
    paid = p.payments.aggregate(s=Sum("amount"))["s"] or 0
    if paid + amount > p.approved_amount:  # the tranches add up to the grant; held here as well
        raise Refused(
            f"拨款合计将超过立项金额 {_yuan(p.approved_amount)} / more than the grant", code="over_grant", detail={"field": "amount"}
        )
    return t


def _check_paid_on(p: Project, paid_on: Any, now: dt.datetime) -> None:
    if not isinstance(paid_on, dt.date) or isinstance(paid_on, dt.datetime):
        raise BadInput("paid_on: 拨付日期应为日期 / a date", detail={"field": "paid_on"})
    if paid_on > _local_day(now):
        raise BadInput("paid_on: 拨付日期不能晚于今天 / not in the future", detail={"field": "paid_on"})
    if p.countersigned_at is not None and paid_on < _local_day(p.countersigned_at):
        raise BadInput("paid_on: 拨付日期不能早于任务书签订日期 / before the task book was signed", detail={"field": "paid_on"})


def _voucher_used(voucher: str) -> Conflict:
    return closure.voucher_used(voucher)


@transaction.atomic
def payment_record(
    *, actor: Actor, project: Project, tranche: int, amount: int, paid_on: dt.date, voucher: str, now: dt.datetime | None = None
) -> Payment:
    """Record a payment made to the project's unit (finance): of a project still payable (never
    a terminated, rescinded or failed one), of a tranche whose condition is met, never more than
    what is left of it nor of the grant, to the unit's account in force, with a voucher number
    used once across payments and recovery receipts. The project's row is locked, so payments at
    once are counted one after the other."""
    scope = scope_of(actor)
    # The finance role itself: a superuser (the system administrator) holds every role elsewhere, never the money.
    if not (scope.is_system or Role.FINANCE in scope.roles):
        raise PermissionDenied("只有财务人员可以登记拨款 / finance only", detail={"roles": [Role.FINANCE]})
    p = _locked(project)
    now = now or timezone.now()
    if p.state not in PAYABLE_STATES:
        raise Refused(
            f"项目在「{p.state_label}」状态不能拨款 / the project may not be paid in this state",
            code="bad_state",
            detail={"state": p.state},
        )
    t = _payable_tranche(p, tranche, amount)
    _check_paid_on(p, paid_on, now)
    voucher = str(voucher or "").strip()
    if not voucher or len(voucher) > 64:
        raise BadInput("voucher: 请填写凭证号（不超过64个字符）/ the voucher number is required", detail={"field": "voucher"})
    account = bank_account_of(p.organisation)
    if account is None:
        raise Refused(f"{p.organisation.name}尚未登记收款账户 / the unit has no bank account recorded", code="no_bank_account")
    if closure.voucher_taken(voucher):  # a payment's or a receipt's: each voucher once
        raise _voucher_used(voucher)
    payment = Payment(
        project=p,
        tranche=t,
        amount=amount,
        paid_on=paid_on,
        voucher=voucher,
        **Payment.account_fields(account),
        recorded_by=user_of(actor),
        recorded_at=now,
    )
    payment.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:  # the same voucher recorded at the same moment by someone else
        raise _voucher_used(voucher) from None
    _audit(
        actor,
        p,
        "payment_record",
        data={
            "payment": payment.pk,
            "tranche": t.order,
            "amount": amount,
            "voucher": voucher,
            "paid_on": paid_on.isoformat(),
            "account": account.number_masked,
        },
    )
    notify.project_event(
        actor=actor,
        project=p,
        template="payment_made",
        to="unit",
        key_suffix=str(payment.pk),
        params={"amount": f"{amount:,}", "tranche": t.label},
    )
    return payment


def _call_programmes(call: Call) -> set[str]:
    """The programmes whose directions the call opens."""
    guide = compiled_for(call.guide_version).guide
    opened = set(call.directions or ())
    projects = {d.project.id for d in guide.directions if d.id in opened}
    return {pg.id for pg in guide.programmes if any(pj.id in projects for pj in pg.projects)}


@transaction.atomic
def call_project_settings_set(
    *, actor: Actor, call: Call, sign_days: int | None = None, tranches: list[dict[str, Any]] | None = None
) -> ProjectCallSettings:
    """A call's time to sign (days) and default payment plan (officers of every programme the call opens)."""
    scope = require_role(actor, Role.OFFICER, message="只有项目处人员可以设置 / officers only")
    others = sorted(pg for pg in _call_programmes(call) if not scope.officer_for(pg))
    if others:
        raise PermissionDenied(
            f"本批次还开放了其他专项（{'、'.join(others)}）的方向，只有这些专项的项目处人员可以设置 / the officers of every programme of the call only",
            detail={"call": call.pk, "programmes": others},
        )
    settings, _ = ProjectCallSettings.objects.select_for_update().get_or_create(
        call=call, defaults={"sign_days": project_rules.rules().sign_days}
    )
    was = {"sign_days": settings.sign_days, "tranches": settings.tranches}
    if sign_days is not None:
        if isinstance(sign_days, bool) or not isinstance(sign_days, int) or not 1 <= sign_days <= 365:
            raise BadInput("sign_days: 签订期限应为1至365天 / 1 to 365 days", detail={"field": "sign_days"})
        settings.sign_days = sign_days
    if tranches is not None:
        rows = _tranche_rows(tranches, 100)  # shares only: the plan applies to every grant of the call
        if any("share_pct" not in r for r in rows):
            raise BadInput("tranches: 批次的默认拨款计划按比例（share_pct）填写 / shares, not amounts", detail={"field": "tranches"})
        settings.tranches = [{"label": r["label"], "share_pct": r["share_pct"], "condition": r["condition"]} for r in rows]
    settings.updated_by = user_of(actor)
    settings.save()
    audit_record(
        actor=actor,
        action="call_project_settings",
        target_type="call",
        target_id=call.pk,
        data={
            "sign_days": settings.sign_days,
            "tranches": settings.tranches,
            "changes": audit_changes(was, {"sign_days": settings.sign_days, "tranches": settings.tranches}),
        },
    )
    return settings


# --------------------------------------------------------------------------- change requests


def _person(value: Any, field: str) -> Person:
    try:
        return Person.objects.select_related("organisation").get(pk=int(value))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise BadInput(f"{field}: 没有这个人员 / unknown person", detail={"field": field}) from None


type Cleaned = tuple[dict[str, Any], dict[str, Any]]  # (what is asked for, what it replaces)


def _not_allowed(kind: str, message: str, field: str) -> Refused:
    """A change the kind's rule refuses, citing the rule's clause."""
    source = project_rules.rules().sources.get(kind, "")
    return Refused(
        f"{message}（依据：{source}）/ not allowed by the rules for this change",
        code="change_not_allowed",
        detail={"field": field, "kind": kind, "source": source},
    )


def _change_extension(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    new_end = clean_date(payload.get("ends_on"), "payload.ends_on", "延期后的结束日期")
    used = p.changes.filter(kind=ChangeRequest.Kind.EXTENSION, state=ChangeRequest.State.APPROVED).count()
    problem = project_rules.extension_problem(project_rules.rules(), ends_on=p.ends_on, new_ends_on=new_end, requested_on=on, used=used)
    if problem:
        raise _not_allowed(ChangeRequest.Kind.EXTENSION, problem, "payload.ends_on")
    return {"ends_on": new_end.isoformat()}, {"ends_on": p.ends_on.isoformat()}


def _change_leader(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    kind = ChangeRequest.Kind.LEADER
    person = _person(payload.get("leader"), "payload.leader")
    if person.pk == p.leader_id:
        raise BadInput("payload.leader: 新负责人与现负责人相同 / the same person", detail={"field": "payload.leader"})
    if person.organisation_id != p.organisation_id:
        raise _not_allowed(kind, f"{person.name}不是承担单位{p.organisation.name}登记的人员", "payload.leader")
    if active_credit_records(person=person, on=on):
        raise _not_allowed(kind, f"{person.name}存在失信记录，不能担任项目负责人", "payload.leader")
    phone = proposal.clean_phone(str(payload.get("leader_phone") or ""))
    if not phone:
        raise BadInput("payload.leader_phone: 请填写新负责人的联系电话 / the phone is required", detail={"field": "payload.leader_phone"})
    was = {"leader": p.leader_id, "leader_name": p.leader.name, "leader_phone": p.leader_phone}
    return {"leader": person.pk, "leader_name": person.name, "leader_phone": phone}, was


def _change_lead_unit(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    kind = ChangeRequest.Kind.LEAD_UNIT
    try:
        org = Organisation.objects.get(pk=int(payload["organisation"]))
    except (Organisation.DoesNotExist, KeyError, TypeError, ValueError):
        raise BadInput("payload.organisation: 没有这个单位 / unknown organisation", detail={"field": "payload.organisation"}) from None
    if org.pk == p.organisation_id:
        raise BadInput("payload.organisation: 新承担单位与现承担单位相同 / the same organisation", detail={"field": "payload.organisation"})
    if not org.district:
        raise _not_allowed(kind, f"{org.name}注册地不在南宁市", "payload.organisation")
    if active_credit_records(organisation=org, on=on):
        raise _not_allowed(kind, f"{org.name}存在失信记录", "payload.organisation")
    leader = _person(payload.get("leader"), "payload.leader")
    if leader.organisation_id != org.pk:
        raise _not_allowed(kind, f"项目负责人{leader.name}不是新承担单位登记的人员", "payload.leader")
    # The leader's phone goes with the leader: another person never inherits the one before's.
    phone = proposal.clean_phone(str(payload.get("leader_phone") or ""))
    if not phone and leader.pk == p.leader_id:
        phone = p.leader_phone
    asked = {"organisation": org.pk, "organisation_name": org.name, "leader": leader.pk, "leader_name": leader.name, "leader_phone": phone}
    was = {
        "organisation": p.organisation_id,
        "organisation_name": p.organisation.name,
        "leader": p.leader_id,
        "leader_name": p.leader.name,
        "leader_phone": p.leader_phone,
    }
    return asked, was


def _change_targets(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    asked: dict[str, Any] = {}
    was: dict[str, Any] = {}
    if "content" in payload:
        asked["content"] = _text(payload, "content", "研究内容", required=True)
        was["content"] = p.content
    if "indicators" in payload:
        cleaned = _indicator_targets(p, payload["indicators"])
        asked["indicators"] = {str(k): v for k, v in cleaned.items()}
        was["indicators"] = {str(i.pk): i.targets for i in p.indicators.filter(pk__in=cleaned)}
    if not asked:
        raise BadInput("payload: 请填写变更后的研究内容（content）或考核指标（indicators）/ nothing to change", detail={"field": "payload"})
    return asked, was


def _budget_rows(lines: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"category": b.category, "fiscal": b.fiscal, "self_raised": b.self_raised, "basis": b.basis} for b in lines]


def _change_budget(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    if not isinstance(payload.get("budget"), list):
        raise BadInput("payload.budget: 调剂后的经费预算应为列表 / must be a list", detail={"field": "payload.budget"})
    rows = proposal.clean_budget(payload["budget"])
    current = list(p.budget_lines.all())
    before = {b.category: (b.fiscal, b.self_raised) for b in current}
    after = {r.category: (r.fiscal, r.self_raised) for r in rows}
    problem = project_rules.budget_problem(project_rules.rules(), before=before, after=after, labels=proposal.BUDGET_LABELS)
    if problem:
        raise _not_allowed(ChangeRequest.Kind.BUDGET, problem, "payload.budget")
    if after == before:
        raise BadInput("payload.budget: 调剂后的预算与现预算相同 / nothing changes", detail={"field": "payload.budget"})
    return {"budget": _budget_rows(rows)}, {"budget": _budget_rows(current)}


def _change_termination(p: Project, payload: Mapping[str, Any], on: dt.date) -> Cleaned:
    return {}, {}


CHANGE_CHECKS = {
    ChangeRequest.Kind.EXTENSION: _change_extension,
    ChangeRequest.Kind.LEADER: _change_leader,
    ChangeRequest.Kind.LEAD_UNIT: _change_lead_unit,
    ChangeRequest.Kind.TARGETS: _change_targets,
    ChangeRequest.Kind.BUDGET: _change_budget,
    ChangeRequest.Kind.TERMINATION: _change_termination,
}


def _clean_change(p: Project, kind: str, payload: Any, *, on: dt.date) -> Cleaned:
    """(what is asked for, what it replaces) for a change of `kind`, checked by the kind's rule
    (yongke/projects/data/rules.yaml) on the day `on` it is asked for."""
    check = CHANGE_CHECKS.get(kind)  # type: ignore[call-overload]
    if check is None:
        raise BadInput(
            f"kind: 未知的变更类别 {kind}，可用：{', '.join(ChangeRequest.Kind.values)} / unknown kind",
            detail={"field": "kind", "value": kind},
        )
    if not isinstance(payload, Mapping):
        raise BadInput("payload: 变更内容应为对象 / must be an object", detail={"field": "payload"})
    return check(p, payload, on)


@transaction.atomic
def change_request_create(
    *,
    actor: Actor,
    project: Project,
    kind: str,
    reasons: str,
    payload: Any = None,
    files: Iterable[tuple[str, bytes]] = (),
    now: dt.datetime | None = None,
) -> ChangeRequest:
    """The unit asks for a change of a project in progress, with its reasons and attachments;
    the kind's rule is checked now (and again when it is decided). One open request per kind."""
    p = _locked(project)
    if not _is_unit(actor, p, UNIT_ROLES):
        raise PermissionDenied("只有承担单位可以申请变更 / the project's unit only", detail={"project": p.pk})
    if p.state not in CHANGEABLE_STATES:
        raise Refused(f"项目在「{p.state_label}」状态不能申请变更 / no change in this state", code="bad_state", detail={"state": p.state})
    if kind not in ChangeRequest.Kind.values:
        raise BadInput(
            f"kind: 未知的变更类别 {kind}，可用：{', '.join(ChangeRequest.Kind.values)} / unknown kind",
            detail={"field": "kind", "value": kind},
        )
    reasons = _text({"reasons": reasons}, "reasons", "变更理由", required=True)
    now = now or timezone.now()
    if p.changes.filter(kind=kind, state__in=(ChangeRequest.State.REQUESTED, ChangeRequest.State.REVIEWED)).exists():
        raise Refused("同类变更申请尚在办理中 / a change of this kind is already pending", code="change_pending", detail={"kind": kind})
    asked, was = _clean_change(p, kind, payload if payload is not None else {}, on=_local_day(now))
    number = (p.changes.aggregate(m=Max("number"))["m"] or 0) + 1
    cr = ChangeRequest.objects.create(
        project=p, number=number, kind=kind, reasons=reasons, payload=asked, before=was, requested_by=user_of(actor), requested_at=now
    )
    stored = [
        _store_file(actor=actor, project=p, kind=ProjectFile.Kind.CHANGE, filename=name, content=data, change=cr) for name, data in files
    ]
    _audit(
        actor,
        p,
        "change_request",
        data={"change": cr.pk, "number": number, "kind": kind, "payload": asked, "files": [f.pk for f in stored]},
    )
    notify.change_event(actor=actor, change=cr, template="change_requested", to="recommender")
    return cr


def _locked_change(change: ChangeRequest) -> ChangeRequest:
    cr = ChangeRequest.objects.select_for_update(of=("self",)).select_related("project").get(pk=change.pk)
    cr.project = _locked(cr.project)
    return cr


@transaction.atomic
def change_request_opinion(
    *, actor: Actor, change: ChangeRequest, agrees: bool, opinion: str, now: dt.datetime | None = None
) -> ChangeRequest:
    """The recommending unit's opinion on a change its unit asked for (推荐单位意见)."""
    cr = _locked_change(change)
    scope = scope_of(actor)
    if not (scope.is_system or (Role.RECOMMENDER in scope.roles and cr.project.recommending_unit in scope.units)):
        raise PermissionDenied("只有该项目的推荐单位可以出具意见 / the project's recommending unit only", detail={"change": cr.pk})
    if cr.state != ChangeRequest.State.REQUESTED:
        raise Refused(
            f"变更申请「{cr.get_state_display()}」，不能再出具意见 / not awaiting an opinion", code="bad_state", detail={"state": cr.state}
        )
    if not isinstance(agrees, bool):
        raise BadInput("agrees: 请选择同意或不同意 / yes or no", detail={"field": "agrees"})
    cr.opinion = _text({"opinion": opinion}, "opinion", "推荐单位意见", required=True)
    cr.opinion_agrees, cr.opinion_by, cr.opinion_at = agrees, user_of(actor), now or timezone.now()
    cr.state = ChangeRequest.State.REVIEWED
    cr.save()
    _audit(actor, cr.project, "change_opinion", comment=cr.opinion, data={"change": cr.pk, "agrees": agrees})
    notify.change_event(actor=actor, change=cr, template="change_reviewed", to="officers")
    return cr


def _content_diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The task book's sections that changed, each with its before and after (the audit's old and new values)."""
    return [{"section": k, "before": before.get(k), "after": after[k]} for k in after if k != "matching" and before.get(k) != after[k]]


def _apply_change(actor: Actor, cr: ChangeRequest, now: dt.datetime) -> None:
    p, asked = cr.project, cr.payload
    if cr.kind == ChangeRequest.Kind.EXTENSION:
        # The stage due at the old end (完成全部考核指标，申请验收) moves with it.
        p.milestones.filter(due_on=p.ends_on).update(due_on=dt.date.fromisoformat(asked["ends_on"]))
        p.ends_on = dt.date.fromisoformat(asked["ends_on"])
    elif cr.kind == ChangeRequest.Kind.LEADER:
        p.leader = Person.objects.get(pk=asked["leader"])
        p.leader_phone = asked["leader_phone"]
    elif cr.kind == ChangeRequest.Kind.LEAD_UNIT:
        p.organisation = Organisation.objects.get(pk=asked["organisation"])
        p.recommending_unit = p.organisation.recommending_unit
        p.leader = Person.objects.get(pk=asked["leader"])
        p.leader_phone = asked.get("leader_phone", "")
    elif cr.kind == ChangeRequest.Kind.TARGETS:
        if "content" in asked:
            p.content = asked["content"]
        for pk, targets in (asked.get("indicators") or {}).items():
            Indicator.objects.filter(pk=int(pk), project=p).update(targets=targets)
    elif cr.kind == ChangeRequest.Kind.BUDGET:
        p.budget_lines.all().delete()
        for b in asked["budget"]:
            ProjectBudgetLine.objects.create(project=p, **b)


@transaction.atomic
def change_request_decide(
    *, actor: Actor, change: ChangeRequest, approve: bool, comment: str = "", misused: int = 0, now: dt.datetime | None = None
) -> ChangeRequest:
    """The officer approves or refuses a change after the recommending unit's opinion. The
    kind's rule is checked again as the project now stands; an approved change is applied and
    becomes the task book's next numbered amendment (a version with the whole task book). An
    approved termination then ends the project as `project_terminate` does (the step
    `terminate` with the unit's reasons, payments stopped, the recovery opened), with the
    misused money the officer found (`misused`, yuan; only for an approved termination)."""
    cr = _locked_change(change)
    p = cr.project
    _require_officer(actor, p, "审批变更")
    misused = _misused(misused)
    if misused and not (approve is True and cr.kind == ChangeRequest.Kind.TERMINATION):
        raise BadInput("misused: 只有批准终止申请时认定违规使用的金额 / only when approving a termination", detail={"field": "misused"})
    if cr.state != ChangeRequest.State.REVIEWED:
        detail = "尚待推荐单位意见" if cr.state == ChangeRequest.State.REQUESTED else cr.get_state_display()
        raise Refused(f"变更申请{detail}，不能审批 / not awaiting a decision", code="bad_state", detail={"state": cr.state})
    if not isinstance(approve, bool):
        raise BadInput("approve: 请选择批准或不予批准 / yes or no", detail={"field": "approve"})
    comment = (comment or "").strip()
    if not approve and not comment:
        raise BadInput("comment: 不予批准须填写理由 / a reason is required", detail={"field": "comment"})
    now = now or timezone.now()
    before = p.state
    was: dict[str, Any] = {}
    if approve:
        if p.state not in CHANGEABLE_STATES:
            raise Refused(f"项目在「{p.state_label}」状态不能变更 / no change in this state", code="bad_state", detail={"state": p.state})
        if cr.kind != ChangeRequest.Kind.TERMINATION:
            # The rule as the project stands now: an extension's timing judged on the day it was asked
            # for, everything else (a new leader's or unit's standing) on the day it is decided.
            on = _local_day(cr.requested_at) if cr.kind == ChangeRequest.Kind.EXTENSION else _local_day(now)
            cr.payload, _was = _clean_change(p, cr.kind, dict(cr.payload), on=on)
        was = task_book_content(p)
        _apply_change(actor, cr, now)
        p.amendment += 1
        p.lock_version += 1
        p.full_clean()
        p.save()
        _snapshot(actor=actor, project=p, number=p.amendment, now=now, change=cr)
    cr.state = ChangeRequest.State.APPROVED if approve else ChangeRequest.State.REFUSED
    cr.decision_comment, cr.decided_by, cr.decided_at = comment, user_of(actor), now
    cr.save()
    _audit(
        actor,
        p,
        "change_approve" if approve else "change_refuse",
        before=before if p.state != before else "",
        comment=comment,
        data={
            "change": cr.pk,
            "kind": cr.kind,
            **({"amendment": p.amendment} if approve else {}),
            **({"changes": _content_diff(was, task_book_content(p))} if was else {}),
        },
    )
    notify.change_event(actor=actor, change=cr, template="change_approved" if approve else "change_refused", to="unit")
    if approve and cr.kind == ChangeRequest.Kind.TERMINATION:  # the project ends as any termination does
        _end_funded(actor, p, action="terminate", comment=cr.reasons, misused=misused, lock_version=None, now=now, data={"change": cr.pk})
    return cr


@transaction.atomic
def change_request_withdraw(*, actor: Actor, change: ChangeRequest) -> ChangeRequest:
    cr = _locked_change(change)
    if not _is_unit(actor, cr.project, UNIT_ROLES):
        raise PermissionDenied("只有承担单位可以撤回变更申请 / the project's unit only", detail={"change": cr.pk})
    if not cr.open:
        raise Refused(f"变更申请「{cr.get_state_display()}」，不能撤回 / cannot be withdrawn", code="bad_state", detail={"state": cr.state})
    cr.state = ChangeRequest.State.WITHDRAWN
    cr.save()
    _audit(actor, cr.project, "change_withdraw", data={"change": cr.pk})
    return cr


# --------------------------------------------------------------------------- ending a funded project early

TERMINATE_OUTCOME = {"terminate": "termination", "rescind": "revocation"}  # the step → the rules' outcome (closure.recover)
MISCONDUCT = ("revoked_misconduct", "revoked_misconduct_leader")  # the consequences of a rescission for misconduct


def _misused(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise BadInput("misused: 违规使用的金额应为不小于0的整数（元）/ whole yuan, not negative", detail={"field": "misused"})
    return value


def _end_funded(
    actor: Actor,
    p: Project,
    *,
    action: str,
    comment: str,
    misused: int,
    lock_version: int | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> Recovery | None:
    """Take `action` (terminate, rescind) on the locked project, then open the recovery its
    outcome calls for and end the overdue-acceptance record it may carry (the project is no
    longer waiting for acceptance). Inside the caller's transaction: a refusal undoes it all."""
    outcome = TERMINATE_OUTCOME[action]
    preview = closure.recovery_preview(p, outcome, misused=misused, now=now)
    paid, spent = preview["paid"], preview["spent"]
    take_service_step(
        actor=actor,
        project=p,
        action=action,
        comment=comment,
        lock_version=lock_version,
        now=now,
        data={**(data or {}), "paid": paid, "spent": spent, "misused": misused},
    )
    if misused > spent:  # judged once the step is known to be the actor's to take
        raise BadInput(
            f"misused: 违规使用的金额 {_yuan(misused)} 超过承担单位报告已支出的财政资金 {_yuan(spent)}（以最近一次提交的报告为准）"
            " / more than the unit reports it spent",
            detail={"field": "misused", "spent": spent},
        )
    recovery = closure.recovery_for_outcome(
        actor=actor, project=p, outcome=outcome, misused=misused, reason=(comment or "").strip(), now=now
    )
    credit.consequence_end(
        actor=actor, project=p, code=credit.ACCEPTANCE_OVERDUE, reason=f"项目已{PROJECT.state_label(p.state)}，不再待验收", now=now
    )
    return recovery


@transaction.atomic
def project_terminate(
    *,
    actor: Actor,
    project: Project,
    comment: str,
    misused: int = 0,
    lock_version: int | None = None,
    now: dt.datetime | None = None,
) -> Project:
    """Terminate a funded project (终止), decided by the programme's officer with the reason: the
    later tranches are not paid (the rest of the grant is stopped), and the unused 财政资金 (paid
    less what the unit's latest report says it spent) and the `misused` money the officer found
    (yuan, at most what was spent) are to be returned (the rules' `closure.termination`). A unit's
    approved termination request takes the same way (`change_request_decide`)."""
    misused = _misused(misused)
    p = _locked(project)
    _end_funded(actor, p, action="terminate", comment=comment, misused=misused, lock_version=lock_version, now=now or timezone.now())
    return p


@transaction.atomic
def project_rescind(
    *,
    actor: Actor,
    project: Project,
    comment: str,
    misconduct: bool = False,
    lock_version: int | None = None,
    now: dt.datetime | None = None,
) -> Project:
    """Rescind a funded project (撤销), by the programme's officer with the reason: payments stop
    and everything paid is to be returned (the rules' `closure.revocation`; a failed project's
    earlier recovery counts towards it). For misconduct (弄虚作假, misuse of funds) the rules'
    consequences `revoked_misconduct` (the organisation) and `revoked_misconduct_leader` (the
    leader) are recorded on the credit registries for their years."""
    if not isinstance(misconduct, bool):
        raise BadInput("misconduct: 请选择是否因严重失信行为撤销 / yes or no", detail={"field": "misconduct"})
    p = _locked(project)
    now = now or timezone.now()
    _end_funded(actor, p, action="rescind", comment=comment, misused=0, lock_version=lock_version, now=now, data={"misconduct": misconduct})
    if misconduct:
        for code in MISCONDUCT:
            credit.consequence_apply(actor=actor, project=p, code=code, reason=f"被撤销（{comment.strip()}）", now=now)
    return p

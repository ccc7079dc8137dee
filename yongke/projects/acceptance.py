"""Every write of the post-award half that is not closure: the unit's reports (mid-term, final,
rectification) with their actuals, evidence and spending; the officer's mid-term check; the
acceptance — by documents or by an expert panel drawn from the review module's pool clear of
conflicts — and its verdict with a reason per indicator, moving money and credit as the data
says; reminders of reports due; a call's post-award settings.

Each service is one atomic, permission-checked, audited call taking a required keyword
`actor`; times are judged at the call's `now` (dates in Asia/Shanghai). The workflow's steps
that carry a verdict (`submit_final`, `return_final`, `accept`, `rectify`,
`submit_rectification`, `fail`) are taken here through `services.take_service_step`.

Indicators are verified by the guide's own rules on the actual values
(`verification.check_indicator`, the same CEL that admitted the application); an added
(extra) indicator passes when its actual reaches its target. The officer may fail an
indicator the rule passes (the evidence does not convince) but never pass one it fails, and
通过 needs every indicator passed.

The panel is chosen deterministically: the available experts with an account, none in
conflict with the unit, its partners or its people (`review.conflicts.exclusions`, the same
rules as the review rounds), under their load, ranked by fit (`review.conflicts.affinity`)
with one expert per organisation. For a single project this is exactly what the review's
min-cost flow would choose (the k best eligible pairs), without building a network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from yongke.accounts.actors import Actor, user_of
from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications.models import Call
from yongke.audit.services import audit_record
from yongke.audit.services import changes as audit_changes
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.core.money import MAX_AMOUNT
from yongke.guide.facts import coerce_fact
from yongke.guide.selectors import compiled_for
from yongke.orgs.models import Organisation
from yongke.projects import acceptance_selectors as sel
from yongke.projects import closure, credit, notify
from yongke.projects import rules as project_rules
from yongke.projects import services as svc
from yongke.projects.models import Acceptance, Indicator, PanelMember, Project, ProjectCallSettings, ProjectFile, Report
from yongke.review import services as review_services
from yongke.review.conflicts import ConflictRules, affinity, exclusions
from yongke.review.models import Declaration, Expert

TEXT_MAX = 20000  # a report's narrative
NOTE_MAX = 2000  # a reason or a comment on one indicator
MAX_PANEL = 15  # experts on one acceptance panel, at most (the rules' default is within it)
EXTRA_MAX = 10**17  # an added indicator's actual (its target is a DecimalField of 20 digits, 2 after the point)
OPEN = sel.OPEN_REPORT_STATES
# The project's state a report of each kind is written in.
WRITING_STATES: dict[str, tuple[str, ...]] = {
    Report.Kind.MIDTERM: ("in_progress",),
    Report.Kind.FINAL: ("in_progress",),
    Report.Kind.RECTIFICATION: ("rectifying",),
}
PASSING = (Acceptance.Verdict.PASSED, Acceptance.Verdict.PASSED_AFTER_RECTIFICATION)
RESULT_LABELS = {"pass": "通过", "fail": "不通过", "missing": "缺少实际完成值"}


# --------------------------------------------------------------------------- small helpers


def _locked_report(report: Report) -> Report:
    """The report and its project, both locked (the project first, as every project service does)."""
    project_id = Report.objects.filter(pk=report.pk).values_list("project_id", flat=True).first()
    if project_id is None:
        raise BadInput("report: 没有这个报告 / unknown report", detail={"field": "report"})
    p = svc.locked_project(Project(pk=project_id))
    r = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    r.project = p
    return r


def _check_report_version(r: Report, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != r.lock_version:
        raise Conflict(
            f"报告已被他人修改（当前版本 {r.lock_version}），请刷新后重试 / edited by someone else",
            detail={"lock_version": r.lock_version},
        )


def _require_unit(actor: Actor, p: Project, roles: Sequence[str], what: str) -> None:
    if not svc._is_unit(actor, p, roles):
        who = "承担单位管理员" if tuple(roles) == (Role.ORG_ADMIN,) else "承担单位"
        raise PermissionDenied(f"只有{who}可以{what} / the project's unit only", detail={"project": p.pk})


def _require_writable(p: Project, kind: str) -> None:
    if p.state not in WRITING_STATES[kind]:
        raise Refused(
            f"项目在「{p.state_label}」状态不能填报{Report.Kind(kind).label} / not in this state",
            code="bad_state",
            detail={"state": p.state, "kind": kind},
        )


def _kind(kind: Any) -> str:
    if kind not in Report.Kind.values:
        raise BadInput(f"kind: 报告类别应为 {'、'.join(Report.Kind.values)} 之一 / unknown kind", detail={"field": "kind", "value": kind})
    return str(kind)


def _report_event(actor: Actor, p: Project, r: Report, template: str, to: notify.To, **params: Any) -> None:
    notify.project_event(
        actor=actor,
        project=p,
        template=template,
        to=to,
        key_suffix=f"report:{r.pk}:{r.lock_version}",
        params={"report": r.get_kind_display(), "due_on": r.due_on.isoformat(), **params},
    )


# --------------------------------------------------------------------------- which report is open


def _report_for_writing(p: Project, kind: str, schedule: sel.Schedule) -> Report:
    """The report of `kind` the unit may write now, created when the schedule owes it (a
    scheduled one's due date follows the schedule until it is submitted)."""
    _require_writable(p, kind)
    rules = project_rules.postaward()
    if kind == Report.Kind.MIDTERM:
        if not schedule.midterm_required:
            raise Refused(
                f"本项目无须中期检查（{rules.midterm_source}）/ no mid-term check for this project",
                code="midterm_not_required",
                detail={"source": rules.midterm_source},
            )
        if p.midterm_passed_at is not None:
            raise Refused("本项目中期检查已合格 / the mid-term check is passed", code="midterm_passed")
    latest = p.reports.filter(kind=kind).order_by("-number").first()
    if latest is not None and latest.state in OPEN:
        due = schedule.due_of(kind) if latest.number == 1 else None
        if due is not None and due != latest.due_on:
            latest.due_on = due
            latest.save(update_fields=["due_on"])
        return latest
    if latest is not None:
        raise Refused(
            f"{latest.get_kind_display()}已{latest.get_state_display()}，不能再修改 / the report is already {latest.state}",
            code="report_submitted" if latest.state == Report.State.SUBMITTED else "report_checked",
            detail={"report": latest.pk, "state": latest.state},
        )
    due = schedule.due_of(kind)
    if due is None:  # a rectification report is opened by the decision that asks for it
        raise Refused(f"尚无待填报的{Report.Kind(kind).label} / no such report is open", code="no_open_report", detail={"kind": kind})
    return Report.objects.create(project=p, kind=kind, number=1, due_on=due)


# --------------------------------------------------------------------------- what a report holds


def _clean_actuals(p: Project, given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise BadInput("actuals: 实际完成值应为对象（事实: 值）/ must be an object", detail={"field": "actuals"})
    allowed = sel.reportable_facts(p)
    known = compiled_for(p.guide_version).guide.facts
    out = {}
    for name, raw in given.items():
        fact = allowed.get(str(name))
        if fact is None:
            label = f"「{known[name].label}」" if name in known else ""
            raise BadInput(
                f"actuals.{name}: {label}不是本项目考核指标读取的事实 / not a fact of this project's indicators",
                code="unknown_fact",
                detail={"field": f"actuals.{name}", "allowed": sorted(allowed)},
            )
        try:
            value = coerce_fact(fact, raw, where="actuals")
        except BadInput as e:
            raise BadInput(
                e.message.replace(f"actuals.{name}:", f"actuals.{name}（{fact.label}）:", 1), code=e.code, detail=e.detail
            ) from None
        if value is not None:
            out[fact.name] = value
    return out


def _clean_extra(p: Project, given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise BadInput("extra_actuals: 补充指标的实际完成值应为对象（指标编号: 值）/ must be an object", detail={"field": "extra_actuals"})
    extras = {str(i.pk): i for i in p.indicators.filter(source=Indicator.Source.EXTRA)}
    out: dict[str, Any] = {}
    for key, value in given.items():
        field = f"extra_actuals.{key}"
        ind = extras.get(str(key))
        if ind is None:
            raise BadInput(f"{field}: 没有这个补充指标 / unknown added indicator", detail={"field": field})
        if value is None:
            continue
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= EXTRA_MAX
        if not ok:
            raise BadInput(
                f"{field}（{ind.label}）: 实际完成值应为非负数值 / a non-negative number", detail={"field": field, "value": value}
            )
        out[str(key)] = value
    return out


def _amount(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise BadInput(f"{field}: 金额应为非负整数（元）/ whole yuan, not negative", detail={"field": field, "value": value})
    return value


def _clean_spent(p: Project, given: Any) -> list[dict[str, Any]]:
    """Money spent per budget line of the task book (财政 and 自筹, whole yuan); the 财政 total no
    more than the approved amount."""
    if not isinstance(given, list):
        raise BadInput("spent: 经费支出应为列表 / must be a list", detail={"field": "spent"})
    order = [b.category for b in p.budget_lines.all()]
    seen: dict[str, dict[str, Any]] = {}
    for n, item in enumerate(given):
        where = f"spent[{n}]"
        if not isinstance(item, Mapping):
            raise BadInput(f"{where}: 应为对象 / must be an object", detail={"field": where})
        category = item.get("category")
        if category not in order:
            raise BadInput(
                f"{where}.category: 不是任务书经费预算的科目（可用：{'、'.join(order)}）/ not a budget line of the task book",
                detail={"field": f"{where}.category", "value": category},
            )
        if category in seen:
            raise BadInput(f"{where}.category: 科目 {category} 重复 / listed twice", detail={"field": f"{where}.category"})
        seen[category] = {
            "category": category,
            "fiscal": _amount(item.get("fiscal"), f"{where}.fiscal"),
            "self_raised": _amount(item.get("self_raised"), f"{where}.self_raised"),
        }
    fiscal = sum(line["fiscal"] for line in seen.values())
    if fiscal > p.approved_amount:
        raise BadInput(
            f"spent: 财政资金支出合计 {fiscal:,} 元，超过立项金额 {p.approved_amount:,} 元 / more than the grant",
            detail={"field": "spent.total.fiscal", "spent": fiscal, "approved": p.approved_amount},
        )
    return [seen[c] for c in order if c in seen]


def _completeness(p: Project, r: Report) -> list[dict[str, Any]]:
    """What keeps a final or rectification report from being submitted: an actual missing for
    a target fact of a commitment indicator (or for an added indicator with a target), or a
    commitment indicator without evidence."""
    facts = compiled_for(p.guide_version).guide.facts
    problems = []
    with_evidence = set(r.files.filter(indicator__isnull=False).values_list("indicator_id", flat=True))
    for ind in p.indicators.all():
        if ind.source == Indicator.Source.COMMITMENT:
            for name, target in ind.targets.items():
                if target is not None and name not in (r.actuals or {}):
                    label = facts[name].label if name in facts else name
                    problems.append(
                        {
                            "field": f"actuals.{name}",
                            "indicator": ind.pk,
                            "message": f"考核指标「{ind.label}」缺少「{label}」的实际完成值",
                        }
                    )
            if ind.pk not in with_evidence:
                problems.append({"field": "evidence", "indicator": ind.pk, "message": f"考核指标「{ind.label}」尚无佐证材料"})
        elif ind.target_value is not None and str(ind.pk) not in (r.extra_actuals or {}):
            problems.append({"field": f"extra_actuals.{ind.pk}", "indicator": ind.pk, "message": f"补充指标「{ind.label}」缺少实际完成值"})
    return problems


def _carry_over(source: Report, target: Report) -> None:
    """A report opened by a decision starts from the one decided on: its actuals, spending,
    narrative and evidence (the same stored files), for the unit to correct and complete."""
    target.narrative, target.actuals, target.extra_actuals, target.spent = (
        source.narrative,
        source.actuals,
        source.extra_actuals,
        source.spent,
    )
    target.save()
    for f in source.files.all():
        ProjectFile.objects.create(
            project=f.project,
            kind=f.kind,
            report=target,
            indicator=f.indicator,
            file=f.file.name,
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            sha256=f.sha256,
            uploaded_by=f.uploaded_by,
        )


# --------------------------------------------------------------------------- the unit's reports


@transaction.atomic
def report_save(
    *,
    actor: Actor,
    project: Project,
    kind: str,
    narrative: str | None = None,
    actuals: Mapping[str, Any] | None = None,
    extra_actuals: Mapping[str, Any] | None = None,
    spent: list[Any] | None = None,
    lock_version: int | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """Write the draft of the project's open report of `kind` (the unit: its org admin or its
    applicants). A mid-term report while the project runs and one is required, a final report
    while it runs, a rectification report while it is rectifying. Each section given replaces
    what was there (None leaves it): the narrative; `actuals` {fact: value} of the facts the
    commitment indicators read; `extra_actuals` {indicator id: value} of the added indicators;
    `spent` [{category, fiscal, self_raised}] by the task book's budget lines."""
    p = svc.locked_project(project)
    _require_unit(actor, p, svc.UNIT_ROLES, "填报项目报告")
    kind = _kind(kind)
    report = _report_for_writing(p, kind, sel.schedule_of(p))
    r = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    _check_report_version(r, lock_version)
    sections = []
    if narrative is not None:
        r.narrative = svc.clean_text(narrative, "narrative", "执行情况", max_length=TEXT_MAX)
        sections.append("narrative")
    if actuals is not None:
        r.actuals = _clean_actuals(p, actuals)
        sections.append("actuals")
    if extra_actuals is not None:
        r.extra_actuals = _clean_extra(p, extra_actuals)
        sections.append("extra_actuals")
    if spent is not None:
        r.spent = _clean_spent(p, spent)
        sections.append("spent")
    r.lock_version += 1
    r.full_clean()
    r.save()
    svc._audit(
        actor,
        p,
        "report_save",
        data={"report": r.pk, "kind": kind, "number": r.number, "sections": sections, "actuals": r.actuals, "spent": r.spent},
    )
    return r


def _indicator_of(p: Project, indicator: Indicator | int | None) -> Indicator | None:
    if indicator is None:
        return None
    pk = indicator.pk if isinstance(indicator, Indicator) else indicator
    found = p.indicators.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) else None
    if found is None:
        raise BadInput(
            "indicator: 不是本项目的考核指标 / not an indicator of this project", detail={"field": "indicator", "value": str(pk)}
        )
    return found


def _open_for_unit(actor: Actor, r: Report, what: str) -> None:
    _require_unit(actor, r.project, svc.UNIT_ROLES, what)
    if r.state not in OPEN:
        raise Refused(
            f"{r.get_kind_display()}已{r.get_state_display()}，不能修改 / the report is not being written",
            code="report_not_open",
            detail={"state": r.state},
        )
    _require_writable(r.project, r.kind)


@transaction.atomic
def report_attach(
    *, actor: Actor, report: Report, filename: str, content: bytes, indicator: Indicator | int | None = None, now: dt.datetime | None = None
) -> ProjectFile:
    """Add an evidence file to a report being written (the unit), optionally for one of the
    project's indicators: a certificate, a patent application's receipt, audited revenue, a photo."""
    r = _locked_report(report)
    _open_for_unit(actor, r, "上传佐证材料")
    ind = _indicator_of(r.project, indicator)
    f = svc._store_file(actor=actor, project=r.project, kind=ProjectFile.Kind.EVIDENCE, filename=filename, content=content)
    f.report, f.indicator = r, ind
    f.save(update_fields=["report", "indicator"])
    svc._audit(
        actor,
        r.project,
        "report_attach",
        data={"report": r.pk, "file": f.pk, "filename": f.filename, "sha256": f.sha256, "indicator": ind.pk if ind else None},
    )
    return f


@transaction.atomic
def report_file_remove(*, actor: Actor, report: Report, file: ProjectFile) -> None:
    """Take an evidence file off a report being written (the unit). The stored content stays:
    files are kept by their digest, and another report may hold the same one."""
    r = _locked_report(report)
    _open_for_unit(actor, r, "删除佐证材料")
    f = r.files.filter(pk=file.pk).first()
    if f is None:
        raise BadInput("file: 不是本报告的佐证材料 / not evidence of this report", detail={"field": "file", "value": file.pk})
    svc._audit(actor, r.project, "report_file_remove", data={"report": r.pk, "file": f.pk, "filename": f.filename, "sha256": f.sha256})
    f.delete()


@transaction.atomic
def report_submit(*, actor: Actor, report: Report, lock_version: int | None = None, now: dt.datetime | None = None) -> Report:
    """Submit a report (the unit's org admin). A final or rectification report needs an actual
    for every target of every commitment indicator (and for every added indicator with a
    target) and evidence for every commitment indicator; its submission asks for acceptance
    (`submit_final`, `submit_rectification`). The checks by the guide's rules are stored."""
    r = _locked_report(report)
    p = r.project
    _require_unit(actor, p, (Role.ORG_ADMIN,), "提交项目报告")
    if r.state not in OPEN:
        raise Refused(
            f"{r.get_kind_display()}已{r.get_state_display()} / already submitted", code="report_not_open", detail={"state": r.state}
        )
    _require_writable(p, r.kind)
    _check_report_version(r, lock_version)
    now = now or timezone.now()
    if not r.narrative.strip():
        raise BadInput("narrative: 请填写执行情况 / the narrative is required", detail={"field": "narrative"})
    if r.kind != Report.Kind.MIDTERM:
        problems = _completeness(p, r)
        if problems:
            raise Refused(
                f"报告尚不完整：{problems[0]['message']}（共 {len(problems)} 项）/ the report is incomplete",
                code="report_incomplete",
                detail={"field": problems[0]["field"], "problems": problems},
            )
    r.checks = sel.report_checks(p, r)
    r.state, r.submitted_at, r.submitted_by = Report.State.SUBMITTED, now, user_of(actor)
    r.lock_version += 1
    r.save()
    data = {
        "report": r.pk,
        "kind": r.kind,
        "number": r.number,
        "verdict": r.checks["verdict"],
        "completion_rate": r.checks["completion_rate"],
    }
    if r.kind == Report.Kind.MIDTERM:
        svc._audit(actor, p, "report_submit", data=data)
        verdict = RESULT_LABELS.get(r.checks.get("milestone_verdict", ""), "—")
        _report_event(actor, p, r, "report_submitted", "officers", verdict=f"阶段目标{verdict}")
    else:
        action = "submit_final" if r.kind == Report.Kind.FINAL else "submit_rectification"
        svc.take_service_step(actor=actor, project=p, action=action, now=now, data=data)
    return r


@transaction.atomic
def report_return(*, actor: Actor, report: Report, comment: str, now: dt.datetime | None = None) -> Report:
    """Send a submitted mid-term or final report back to the unit with the reasons (the
    programme's officer); a final report sends the project back to 执行中 (`return_final`).
    A rectification report is not returned: its acceptance decides on it. Nor is a report an
    acceptance was opened on."""
    r = _locked_report(report)
    p = r.project
    svc._require_officer(actor, p, "退回报告")
    if r.state != Report.State.SUBMITTED:
        raise Refused(
            f"{r.get_kind_display()}「{r.get_state_display()}」，不能退回 / not submitted", code="bad_state", detail={"state": r.state}
        )
    comment = svc.clean_text(comment, "comment", "退回理由", required=True, max_length=NOTE_MAX)
    if r.kind == Report.Kind.RECTIFICATION:
        raise Refused("整改报告不退回：请组织验收并作出结论 / a rectification report is decided by its acceptance", code="not_returnable")
    if Acceptance.objects.filter(report=r).exists():
        raise Refused("已就该报告组织验收，不能退回 / an acceptance is open on this report", code="acceptance_open")
    now = now or timezone.now()
    r.state, r.outcome_comment = Report.State.RETURNED, comment
    r.lock_version += 1
    r.save()
    data = {"report": r.pk, "kind": r.kind, "number": r.number}
    if r.kind == Report.Kind.FINAL:
        svc.take_service_step(actor=actor, project=p, action="return_final", comment=comment, now=now, data=data)
    else:
        svc._audit(actor, p, "report_return", comment=comment, data=data)
        _report_event(actor, p, r, "report_returned", "unit", comment=comment)
    return r


# --------------------------------------------------------------------------- reminders


def _reminder_key(due: dt.date, today: dt.date, rules: project_rules.PostAwardRules) -> str | None:
    """Which reminder is due today for a report due on `due`: one in the `before_days` before
    it, then one every `after_days` after it (the first the day after)."""
    if today > due:
        return f"after:{due.isoformat()}:{((today - due).days - 1) // rules.remind_after_days}"
    if (due - today).days <= rules.remind_before_days:
        return f"before:{due.isoformat()}"
    return None


def _ensure_due_rows(p: Project, schedule: sel.Schedule, today: dt.date, before_days: int) -> None:
    """The scheduled reports the unit has not started, made as drafts once their reminders begin
    (so that a reminder, and the overdue list, always has a report to point to)."""
    if p.state != "in_progress":
        return
    have = set(p.reports.values_list("kind", flat=True))
    wanted = []
    if schedule.midterm_required and p.midterm_passed_at is None and schedule.midterm_due is not None:
        wanted.append((Report.Kind.MIDTERM, schedule.midterm_due))
    wanted.append((Report.Kind.FINAL, schedule.final_report_due))
    for kind, due in wanted:
        if kind not in have and (due - today).days <= before_days:
            Report.objects.create(project=p, kind=kind, number=1, due_on=due)


@transaction.atomic
def report_reminders(*, actor: Actor, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Remind the units of the reports they owe, of the programmes the actor is the officer of:
    once in the rules' `before_days` before the due date, then every `after_days` after it,
    each reminder once per report and due date (`Report.reminded`). A scheduled report not yet
    started is made as a draft when its reminders begin. A project still running past its
    acceptance deadline without having asked for acceptance gets the `acceptance_overdue`
    consequence (once; ended when its acceptance is decided). Returns the reminders sent now."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以发送报告提醒 / officers only")
    now = now or timezone.now()
    today = timezone.localdate(now)
    rules = project_rules.postaward()
    out: list[dict[str, Any]] = []
    running = Project.objects.select_for_update(of=("self",)).filter(state__in=("in_progress", "rectifying"))
    settings: dict[int, sel.PostAwardSettings] = {}
    for p in running.select_related("organisation", "leader", "call").order_by("pk"):
        if not svc._is_officer(actor, p):
            continue
        schedule = sel.schedule_of(p, settings.setdefault(p.call_id, sel.postaward_settings_for(p.call_id)))
        _ensure_due_rows(p, schedule, today, rules.remind_before_days)
        for r in p.reports.filter(state__in=OPEN).order_by("due_on", "pk"):
            if p.state not in WRITING_STATES[r.kind]:
                continue
            key = _reminder_key(r.due_on, today, rules)
            if key is None or key in (r.reminded or []):
                continue
            r.reminded = [*(r.reminded or []), key]
            r.save(update_fields=["reminded"])
            template = "report_due" if key.startswith("before") else "report_overdue"
            notify.project_event(
                actor=actor,
                project=p,
                template=template,
                to="unit",
                key_suffix=f"report:{r.pk}:{key}",
                params={"report": r.get_kind_display(), "due_on": r.due_on.isoformat()},
            )
            svc._audit(actor, p, "report_reminder", data={"report": r.pk, "kind": r.kind, "number": r.number, "reminder": key})
            out.append(
                {"project": p.pk, "number": p.number, "report": r.pk, "kind": r.kind, "due_on": r.due_on.isoformat(), "reminder": key}
            )
        if p.state == "in_progress" and today > schedule.acceptance_due:
            credit.consequence_apply(
                actor=actor,
                project=p,
                code="acceptance_overdue",
                reason=f"逾期未申请验收（验收期限 {schedule.acceptance_due.isoformat()}）",
                now=now,
            )
    return out


# --------------------------------------------------------------------------- the mid-term check


def _rectify_deadline(given: Any, today: dt.date, *, months: int, source: str) -> dt.date:
    """A rectification period's end: given (after today, at most `months` ahead) or `months` from today."""
    latest = project_rules.add_months(today, months)
    if given is None:
        return latest
    due = svc.clean_date(given, "rectify_by", "整改期限")
    if not today < due <= latest:
        raise Refused(
            f"整改期限应在今天之后、{latest.isoformat()} 之前（含当日，整改期不超过 {months} 个月；依据：{source}）/ the period is too long or past",
            code="rectify_period",
            detail={"field": "rectify_by", "latest": latest.isoformat(), "source": source},
        )
    return due


@transaction.atomic
def midterm_check(
    *, actor: Actor, report: Report, outcome: str, comment: str, rectify_by: dt.date | str | None = None, now: dt.datetime | None = None
) -> Report:
    """The officer's conclusion on a submitted mid-term report: 合格 (the `midterm` tranche
    becomes payable) or 限期整改 — a new mid-term report, due `rectify_by` (by default the
    rules' `midterm.rectify_months` from today), once: a rectified mid-term report is 合格 or
    the project is for termination."""
    r = _locked_report(report)
    p = r.project
    svc._require_officer(actor, p, "作出中期检查结论")
    if r.kind != Report.Kind.MIDTERM:
        raise BadInput("report: 不是中期报告 / not a mid-term report", detail={"field": "report", "kind": r.kind})
    if r.state != Report.State.SUBMITTED or p.state != "in_progress":
        raise Refused(
            f"中期报告「{r.get_state_display()}」，不能作出检查结论 / not awaiting a check", code="bad_state", detail={"state": r.state}
        )
    if outcome not in Report.Outcome.values:
        raise BadInput(
            f"outcome: 检查结论应为 {'、'.join(Report.Outcome.values)} 之一 / unknown outcome",
            detail={"field": "outcome", "value": outcome},
        )
    comment = svc.clean_text(comment, "comment", "检查意见", required=outcome == Report.Outcome.RECTIFY, max_length=NOTE_MAX)
    now = now or timezone.now()
    rules = project_rules.postaward()
    follow_up = None
    if outcome == Report.Outcome.QUALIFIED:
        if rectify_by is not None:
            raise BadInput("rectify_by: 合格不设整改期限 / only a rectification has a deadline", detail={"field": "rectify_by"})
        p.midterm_passed_at = now
        p.lock_version += 1
        p.save()
        rectify_text = ""
    else:
        if r.number > project_rules.postaward().midterm_rectify_times:
            raise Refused(
                "中期检查限期整改次数已用完：整改后的中期报告应作出合格结论，仍不合格的可按规定终止项目 / no more mid-term rectification",
                code="midterm_rectified_once",
                detail={"source": rules.midterm_source},
            )
        due = _rectify_deadline(rectify_by, timezone.localdate(now), months=rules.midterm_rectify_months, source=rules.midterm_source)
        r.rectify_by = due
        follow_up = Report.objects.create(project=p, kind=Report.Kind.MIDTERM, number=r.number + 1, due_on=due)
        _carry_over(r, follow_up)
        rectify_text = f"请于 {due.isoformat()} 前报送整改后的中期报告。"
    r.outcome, r.outcome_comment, r.checked_at, r.checked_by = outcome, comment, now, user_of(actor)
    r.state = Report.State.CHECKED
    r.lock_version += 1
    r.save()
    svc._audit(
        actor,
        p,
        "midterm_check",
        comment=comment,
        data={
            "report": r.pk,
            "outcome": outcome,
            "rectify_by": r.rectify_by.isoformat() if r.rectify_by else None,
            "next": follow_up.pk if follow_up else None,
        },
    )
    _report_event(actor, p, r, "midterm_checked", "unit", outcome=r.get_outcome_display(), rectify=rectify_text, comment=comment or "—")
    return r


# --------------------------------------------------------------------------- choosing a panel


def _project_info(p: Project, experts: list[Expert]) -> tuple[Any, list[Any]]:
    """The conflict data of the project (its application's, with the task book's unit, partners
    and people as they now stand) and of the experts, as the review rounds build it."""
    app_infos, expert_infos = review_services._infos([p.application], experts)
    partners = list(p.parties.all())
    partner_orgs = set(Organisation.objects.filter(uscc__in=[x.uscc for x in partners if x.uscc]).values_list("pk", flat=True))
    people = {x.person_id for x in partners if x.person_id} | {p.leader_id}
    base = app_infos[0]
    info = dataclasses.replace(
        base,
        organisation=p.organisation_id,
        co_organisations=frozenset(base.co_organisations | partner_orgs | ({base.organisation} - {p.organisation_id})),
        team=frozenset(base.team | people),
        industry=p.organisation.industry,
        text=f"{p.title} {p.content}",
    )
    return info, expert_infos


def _conflicted(p: Project, experts: list[Expert], on: dt.date) -> tuple[dict[int, tuple[str, str]], dict[int, float]]:
    """{expert id: (code, reason)} of the experts in conflict with the project, and every expert's fit."""
    if not experts:
        return {}, {}
    info, expert_infos = _project_info(p, experts)
    found = {int(x.expert): (x.code, x.reason) for x in exclusions([info], expert_infos, ConflictRules(on=on))}
    orgs = {info.organisation, *info.co_organisations}
    # An expert whose account belongs to the unit or a partner (as a member or admin) is of it.
    unit_accounts = set(
        RoleGrant.objects.filter(
            user__in=[e.user_id for e in experts if e.user_id], organisation__in=orgs, role__in=svc.UNIT_ROLES
        ).values_list("user_id", flat=True)
    )
    for e in experts:
        if e.pk not in found and e.user_id in unit_accounts:
            found[e.pk] = ("same_organisation", "专家的账户属于承担单位或合作单位")
    fit = {int(ei.id): affinity(ei, info) for ei in expert_infos}
    return found, fit


def _open_load() -> dict[int, int]:
    """Each expert's open panel tasks (invited or accepted, acceptance still open)."""
    rows = (
        PanelMember.objects.filter(
            acceptance__state=Acceptance.State.OPEN, state__in=(PanelMember.State.INVITED, PanelMember.State.ACCEPTED)
        )
        .values("expert")
        .annotate(n=Count("id"))
    )
    return {row["expert"]: row["n"] for row in rows}


def _named_experts(p: Project, given: Any, exclude: set[int], on: dt.date) -> list[Expert]:
    if not isinstance(given, list | tuple) or not given:
        raise BadInput("experts: 请列出验收专家（专家库编号）/ name at least one expert", detail={"field": "experts"})
    ids: list[int] = []
    for i, item in enumerate(given):
        pk = item.pk if isinstance(item, Expert) else item
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise BadInput(f"experts[{i}]: 应为专家库编号 / an expert's id", detail={"field": f"experts[{i}]"})
        if pk in ids or pk in exclude:
            raise BadInput(f"experts[{i}]: 专家 {pk} 已在验收专家组中 / already on the panel", detail={"field": f"experts[{i}]"})
        ids.append(pk)
    found = {e.pk: e for e in Expert.objects.filter(pk__in=ids).select_related("person", "organisation", "user")}
    for i, pk in enumerate(ids):
        e = found.get(pk)
        field = f"experts[{i}]"
        if e is None:
            raise BadInput(f"{field}: 专家库中没有专家 {pk} / unknown expert", detail={"field": field})
        if not e.available:
            raise Refused(f"{field}: {e.person.name} 目前不参加评审 / not available", code="expert_unavailable", detail={"field": field})
        if e.user is None or not e.user.is_active:
            raise Refused(
                f"{field}: {e.person.name} 没有可用的系统账户，不能在线验收 / has no account",
                code="expert_no_account",
                detail={"field": field},
            )
    conflicts, _fit = _conflicted(p, list(found.values()), on)
    for i, pk in enumerate(ids):
        if pk in conflicts:
            code, reason = conflicts[pk]
            raise Refused(
                f"experts[{i}]: {found[pk].person.name} 须回避：{reason} / the expert is in conflict",
                code="expert_conflict",
                detail={"field": f"experts[{i}]", "expert": pk, "conflict": code},
            )
    return [found[pk] for pk in ids]


def _best_experts(p: Project, k: Any, exclude: set[int], on: dt.date) -> tuple[list[Expert], list[dict[str, Any]], dict[int, float]]:
    """The k best-fitting experts clear of conflict, under their load, one per organisation."""
    rules = project_rules.postaward()
    k = rules.experts if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_PANEL:
        raise BadInput(f"k: 专家人数应为1至{MAX_PANEL}的整数 / 1 to {MAX_PANEL} experts", detail={"field": "k"})
    pool = list(
        Expert.objects.filter(available=True, user__isnull=False, user__is_active=True)
        .exclude(pk__in=exclude)
        .select_related("person", "organisation", "user")
    )
    conflicts, fit = _conflicted(p, pool, on)
    load = _open_load()
    eligible = [e for e in pool if e.pk not in conflicts and load.get(e.pk, 0) < e.max_load]
    eligible.sort(key=lambda e: (-fit.get(e.pk, 0.0), load.get(e.pk, 0), e.past_reviews, e.pk))
    chosen: list[Expert] = []
    organisations: set[int] = set()
    for e in eligible:
        if e.organisation_id is not None and e.organisation_id in organisations:
            continue
        chosen.append(e)
        if e.organisation_id is not None:
            organisations.add(e.organisation_id)
        if len(chosen) == k:
            break
    excluded = [{"expert": pk, "code": code, "reason": reason} for pk, (code, reason) in sorted(conflicts.items())]
    if len(chosen) < k:
        raise Refused(
            f"专家库中可邀请的验收专家只有 {len(chosen)} 位（需 {k} 位；{len(conflicts)} 位须回避），请补充专家或指定专家 / not enough experts",
            code="not_enough_experts",
            detail={"wanted": k, "available": len(chosen), "excluded": excluded},
        )
    return chosen, excluded, fit


def _invite(actor: Actor, acc: Acceptance, experts: list[Expert]) -> list[PanelMember]:
    members = [PanelMember.objects.create(acceptance=acc, expert=e) for e in experts]
    for m in members:
        notify.project_event(
            actor=actor,
            project=acc.project,
            template="panel_invited",
            to=[m.expert.user_id] if m.expert.user_id else [],
            key_suffix=f"panel:{m.pk}",
            link=["portal:panel_task", m.pk],
        )
    return members


def _panel(actor: Actor, p: Project, acc: Acceptance, experts: Any, k: Any, now: dt.datetime) -> dict[str, Any]:
    on = timezone.localdate(now)
    exclude = set(acc.members.values_list("expert_id", flat=True))
    if experts is not None:
        if k is not None:
            raise BadInput("k: 指定专家时不另给人数 / give experts or k, not both", detail={"field": "k"})
        excluded: list[dict[str, Any]] = []
        fit: dict[int, float] = {}
        chosen = _named_experts(p, experts, exclude, on)
    else:
        chosen, excluded, fit = _best_experts(p, k, exclude, on)
    members = _invite(actor, acc, chosen)
    acc.experts_wanted = acc.members.exclude(state=PanelMember.State.DECLINED).count()
    acc.save(update_fields=["experts_wanted"])
    return {
        "members": [{"member": m.pk, "expert": m.expert_id, "fit": fit.get(m.expert_id)} for m in members],
        "named": experts is not None,
        "excluded": excluded,
    }


# --------------------------------------------------------------------------- acceptance


@transaction.atomic
def acceptance_open(
    *,
    actor: Actor,
    project: Project,
    mode: str | None = None,
    experts: Sequence[int | Expert] | None = None,
    k: int | None = None,
    now: dt.datetime | None = None,
) -> Acceptance:
    """Open the acceptance of a project awaiting it on its submitted final (or rectification)
    report (the programme's officer): by documents below the call's `documents_below` (else the
    rules'), otherwise by a panel, unless `mode` says; the checks are taken as they stand. A
    panel invites the `experts` named (each checked for conflicts) or the `k` best-fitting
    experts of the pool clear of conflicts (the rules' `experts` by default)."""
    p = svc.locked_project(project)
    svc._require_officer(actor, p, "组织验收")
    if p.state != "acceptance":
        raise Refused(f"项目在「{p.state_label}」状态不能组织验收 / not awaiting acceptance", code="bad_state", detail={"state": p.state})
    if p.acceptances.filter(state=Acceptance.State.OPEN).exists():
        raise Refused("本项目已有进行中的验收 / an acceptance is already open", code="acceptance_open")
    report = (
        p.reports.filter(kind__in=(Report.Kind.FINAL, Report.Kind.RECTIFICATION), state=Report.State.SUBMITTED, acceptance__isnull=True)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if report is None:
        raise Refused("尚无待验收的结题报告或整改报告 / no report awaits acceptance", code="no_report")
    mode = mode or sel.schedule_of(p).acceptance_mode
    if mode not in Acceptance.Mode.values:
        raise BadInput(
            f"mode: 验收方式应为 {'、'.join(Acceptance.Mode.values)} 之一 / unknown mode", detail={"field": "mode", "value": mode}
        )
    if mode == Acceptance.Mode.DOCUMENTS and (experts is not None or k is not None):
        raise BadInput("experts: 书面验收不邀请专家 / a documents acceptance has no panel", detail={"field": "experts"})
    now = now or timezone.now()
    number = (p.acceptances.aggregate(m=Max("number"))["m"] or 0) + 1
    acc = Acceptance.objects.create(
        project=p, number=number, report=report, mode=mode, checks=sel.report_checks(p, report), opened_by=user_of(actor), opened_at=now
    )
    panel = _panel(actor, p, acc, experts, k, now) if mode == Acceptance.Mode.PANEL else {}
    svc._audit(
        actor,
        p,
        "acceptance_open",
        data={"acceptance": acc.pk, "number": number, "mode": mode, "report": report.pk, "verdict": acc.checks["verdict"], **panel},
    )
    notify.project_event(
        actor=actor,
        project=p,
        template="acceptance_opened",
        to="unit",
        key_suffix=f"acceptance:{acc.pk}",
        params={"mode": acc.get_mode_display()},
    )
    return acc


def _locked_acceptance(acceptance: Acceptance) -> Acceptance:
    project_id = Acceptance.objects.filter(pk=acceptance.pk).values_list("project_id", flat=True).first()
    if project_id is None:
        raise BadInput("acceptance: 没有这次验收 / unknown acceptance", detail={"field": "acceptance"})
    p = svc.locked_project(Project(pk=project_id))
    acc = Acceptance.objects.select_for_update(of=("self",)).select_related("report").get(pk=acceptance.pk)
    acc.project = p
    return acc


@transaction.atomic
def acceptance_invite(
    *,
    actor: Actor,
    acceptance: Acceptance,
    experts: Sequence[int | Expert] | None = None,
    k: int | None = None,
    now: dt.datetime | None = None,
) -> Acceptance:
    """Invite more experts to an open panel (the programme's officer): named, or the `k` best
    of the pool not on it yet (one by default) — when an expert declines."""
    acc = _locked_acceptance(acceptance)
    p = acc.project
    svc._require_officer(actor, p, "邀请验收专家")
    if acc.state != Acceptance.State.OPEN or acc.mode != Acceptance.Mode.PANEL:
        raise Refused(
            "只有进行中的专家验收可以增邀专家 / only an open panel", code="bad_state", detail={"state": acc.state, "mode": acc.mode}
        )
    now = now or timezone.now()
    panel = _panel(actor, p, acc, experts, 1 if experts is None and k is None else k, now)
    svc._audit(actor, p, "acceptance_invite", data={"acceptance": acc.pk, **panel})
    return acc


def _own_member(actor: Actor, member: PanelMember) -> PanelMember:
    acceptance_id = PanelMember.objects.filter(pk=member.pk).values_list("acceptance_id", flat=True).first()
    if acceptance_id is None:
        raise BadInput("member: 没有这个验收任务 / unknown panel task", detail={"field": "member"})
    acc = _locked_acceptance(Acceptance(pk=acceptance_id))
    m = PanelMember.objects.select_for_update(of=("self",)).select_related("expert__person").get(pk=member.pk)
    m.acceptance = acc
    scope = scope_of(actor)
    if not (scope.is_system or (m.expert.user_id is not None and m.expert.user_id == getattr(actor, "pk", None))):
        raise PermissionDenied("只能处理邀请本人的验收任务 / not your panel task", detail={"member": m.pk})
    if acc.state != Acceptance.State.OPEN:
        raise Refused("该验收已作出结论 / the acceptance is decided", code="acceptance_decided")
    return m


@transaction.atomic
def panel_respond(
    *, actor: Actor, member: PanelMember, accept: bool, no_conflict: bool = False, comment: str = "", now: dt.datetime | None = None
) -> PanelMember:
    """An invited expert accepts — declaring that they have no conflict of interest with the
    project — or declines with a reason. Declining without declaring no conflict records the
    conflict in the review module's register (it is avoided from then on)."""
    m = _own_member(actor, member)
    if m.state != PanelMember.State.INVITED:
        raise Refused(f"该邀请已{m.get_state_display()} / already answered", code="bad_state", detail={"state": m.state})
    if not isinstance(accept, bool) or not isinstance(no_conflict, bool):
        raise BadInput("accept: 请选择接受或谢绝 / yes or no", detail={"field": "accept"})
    now = now or timezone.now()
    p = m.acceptance.project
    if accept:
        if not no_conflict:
            raise BadInput(
                "no_conflict: 接受邀请须声明与该项目无利益冲突 / declare that you have no conflict of interest",
                detail={"field": "no_conflict"},
            )
        m.state, m.no_conflict_declared_at = PanelMember.State.ACCEPTED, now
    else:
        m.comment = svc.clean_text(comment, "comment", "谢绝理由", required=True, max_length=NOTE_MAX)
        m.state = PanelMember.State.DECLINED
        if not no_conflict:
            review_services.declaration_add(
                actor=actor, expert=m.expert, kind=Declaration.Kind.EXPERT, reason=f"验收回避：{m.comment}", application=p.application
            )
    m.save()
    if not accept:
        Acceptance.objects.filter(pk=m.acceptance_id).update(
            experts_wanted=m.acceptance.members.exclude(state=PanelMember.State.DECLINED).count()
        )
    svc._audit(
        actor,
        p,
        "panel_accept" if accept else "panel_decline",
        comment=m.comment if not accept else "",
        data={"acceptance": m.acceptance_id, "member": m.pk, "expert": m.expert_id, "conflict": not no_conflict},
    )
    if not accept:  # the officer may invite another (acceptance_invite)
        notify.project_event(
            actor=actor,
            project=p,
            template="panel_declined",
            to="officers",
            key_suffix=f"panel:{m.pk}:declined",
            params={"expert": m.expert.person.name, "comment": m.comment},
        )
    return m


def _judgements(p: Project, given: Any, *, field: str, note: str, label: str) -> dict[str, dict[str, str]]:
    """{indicator id: {"result": pass|fail, note: text}} for every indicator of the project; a
    fail says why."""
    if not isinstance(given, Mapping):
        raise BadInput(f"{field}: 应为对象（指标编号: {{result, {note}}}）/ must be an object", detail={"field": field})
    indicators = {str(i.pk): i for i in p.indicators.all()}
    given = {str(k): v for k, v in given.items()}
    unknown = sorted(set(given) - set(indicators))
    if unknown:
        raise BadInput(f"{field}.{unknown[0]}: 没有这个考核指标 / unknown indicator", detail={"field": f"{field}.{unknown[0]}"})
    out = {}
    for pk, ind in indicators.items():
        item = given.get(pk)
        where = f"{field}.{pk}"
        if not isinstance(item, Mapping):
            raise BadInput(f"{where}: 考核指标「{ind.label}」未填写{label} / every indicator is judged", detail={"field": where})
        result = item.get("result")
        if result not in ("pass", "fail"):
            raise BadInput(f"{where}.result: 应为 pass（通过）或 fail（不通过）/ pass or fail", detail={"field": f"{where}.result"})
        text = svc.clean_text(item.get(note), f"{where}.{note}", f"不通过的{label}", required=result == "fail", max_length=NOTE_MAX)
        out[pk] = {"result": result, note: text}
    return out


@transaction.atomic
def panel_opinion(
    *, actor: Actor, member: PanelMember, opinion: Mapping[str, Any], recommendation: str, comment: str, now: dt.datetime | None = None
) -> PanelMember:
    """An expert who accepted gives the acceptance form: for every indicator pass or fail (a
    fail with a comment), a recommended verdict among those this acceptance may give, and an
    overall opinion. Submitted once."""
    m = _own_member(actor, member)
    if m.state != PanelMember.State.ACCEPTED:
        raise Refused(
            "接受邀请后才能提交意见；已提交的意见不能修改 / accept first; a submitted opinion is final",
            code="bad_state",
            detail={"state": m.state},
        )
    acc = m.acceptance
    p = acc.project
    m.opinion = _judgements(p, opinion, field="opinion", note="comment", label="意见")
    allowed = sel.allowed_verdicts(acc)
    if recommendation not in allowed:
        raise BadInput(
            f"recommendation: 建议结论应为 {'、'.join(allowed)} 之一 / not a verdict this acceptance may give",
            detail={"field": "recommendation", "allowed": allowed},
        )
    m.recommendation = recommendation
    m.comment = svc.clean_text(comment, "comment", "综合意见", required=True, max_length=TEXT_MAX)
    m.state, m.submitted_at = PanelMember.State.SUBMITTED, now or timezone.now()
    m.save()
    progress = sel.panel_progress(acc)
    svc._audit(
        actor, p, "panel_opinion", data={"acceptance": acc.pk, "member": m.pk, "expert": m.expert_id, "recommendation": recommendation}
    )
    notify.project_event(
        actor=actor,
        project=p,
        template="panel_opinion_submitted",
        to="officers",
        key_suffix=f"panel:{m.pk}:opinion",
        params={"done": progress["submitted"], "wanted": progress["accepted"]},
    )
    return m


def _check_reasons(acc: Acceptance, verdict: str, reasons: dict[str, dict[str, str]]) -> None:
    """The officer may fail what the rule passes, never pass what it fails; 通过 needs every indicator passed."""
    checks = {str(row["indicator"]): row for row in (acc.checks or {}).get("indicators", [])}
    for pk, item in reasons.items():
        row = checks.get(pk)
        checked = row["result"] if row else "missing"
        if item["result"] == "pass" and checked != "pass":
            label = row["label"] if row else pk
            clause = f"；指南原文：{row['clause']}" if row and row.get("clause") else ""
            raise Refused(
                f"考核指标「{label}」按实际完成值核验为「{RESULT_LABELS.get(checked, checked)}」，不能判定为通过{clause} / the check does not pass it",
                code="indicator_not_met",
                detail={"field": f"reasons.{pk}.result", "check": checked},
            )
    if verdict in PASSING:
        failed = [pk for pk, item in reasons.items() if item["result"] != "pass"]
        if failed:
            label = checks[failed[0]]["label"] if failed[0] in checks else failed[0]
            raise Refused(
                f"考核指标「{label}」判定为不通过，验收结论不能为通过 / every indicator must pass",
                code="indicator_failed",
                detail={"field": f"reasons.{failed[0]}.result", "failed": failed},
            )


def _decision_effects(actor: Actor, acc: Acceptance, verdict: str, comment: str, rectify_by: Any, now: dt.datetime) -> dict[str, Any]:
    """The step a verdict takes and what it moves: the last tranche and a certificate (通过), a
    rectification report (限期整改), recovery and the leader's credit (不通过)."""
    p = acc.project
    data: dict[str, Any] = {"acceptance": acc.pk, "verdict": verdict, "reasons": acc.reasons}
    if verdict in PASSING:
        p.accepted_at = now
        acc.certificate_number = f"YS{timezone.localdate(now).year}-{p.number}"
        data["certificate"] = acc.certificate_number
        svc.take_service_step(actor=actor, project=p, action="accept", comment=comment, now=now, data=data)
    elif verdict == Acceptance.Verdict.RECTIFY:
        rules = project_rules.postaward()
        months = sel.postaward_settings_for(p.call_id).rectify_months
        acc.rectify_by = _rectify_deadline(rectify_by, timezone.localdate(now), months=months, source=rules.acceptance_source)
        number = (p.reports.filter(kind=Report.Kind.RECTIFICATION).aggregate(m=Max("number"))["m"] or 0) + 1
        follow_up = Report.objects.create(project=p, kind=Report.Kind.RECTIFICATION, number=number, due_on=acc.rectify_by)
        _carry_over(acc.report, follow_up)
        data.update(rectify_by=acc.rectify_by.isoformat(), report=follow_up.pk)
        svc.take_service_step(
            actor=actor, project=p, action="rectify", comment=comment, now=now, data=data, params={"rectify_by": acc.rectify_by.isoformat()}
        )
        _report_event(actor, p, follow_up, "report_due", "unit")
    else:
        svc.take_service_step(actor=actor, project=p, action="fail", comment=comment, now=now, data=data)
        closure.recovery_for_outcome(actor=actor, project=p, outcome="failed", reason=f"验收不通过：{comment}", now=now)
        credit.consequence_apply(actor=actor, project=p, code="acceptance_failed", reason="验收不通过", now=now)
    if verdict != Acceptance.Verdict.RECTIFY:
        credit.consequence_end(actor=actor, project=p, code="acceptance_overdue", reason="已作出验收结论", now=now)
    return data


@transaction.atomic
def acceptance_decide(
    *,
    actor: Actor,
    acceptance: Acceptance,
    verdict: str,
    reasons: Mapping[str, Any],
    comment: str,
    rectify_by: dt.date | str | None = None,
    now: dt.datetime | None = None,
) -> Acceptance:
    """The officer's verdict on an open acceptance, with a result and a reason for every
    indicator. A panel's acceptance waits for every expert who accepted to submit (and for one
    at least). 通过 needs every indicator passed, and no indicator may pass that the guide's rule
    fails on the actuals (or cannot judge). The first acceptance is 通过 / 限期整改 / 不通过;
    the one after a rectification 整改后通过 / 不通过 (the rules' `rectify_times`). 通过: the
    project is closed (结题), the `acceptance` tranche payable, a certificate numbered. 限期整改:
    a rectification report due `rectify_by` (by default the call's or the rules'
    `rectify_months` from today). 不通过: the project fails, the unused money is to be returned,
    the leader's credit records the rules' consequence. A final verdict ends the
    `acceptance_overdue` consequence."""
    acc = _locked_acceptance(acceptance)
    p = acc.project
    svc._require_officer(actor, p, "作出验收结论")
    if acc.state != Acceptance.State.OPEN:
        raise Refused("该验收已作出结论 / the acceptance is decided", code="acceptance_decided")
    if p.state != "acceptance":
        raise Refused(
            f"项目在「{p.state_label}」状态不能作出验收结论 / not awaiting acceptance", code="bad_state", detail={"state": p.state}
        )
    if acc.mode == Acceptance.Mode.PANEL:
        progress = sel.panel_progress(acc)
        if progress["submitted"] == 0 or progress["submitted"] < progress["accepted"]:
            raise Refused(
                f"专家验收尚未完成（已接受邀请的 {progress['accepted']} 位专家中 {progress['submitted']} 位已提交意见），不能作出结论 / the panel's review is incomplete",
                code="review_incomplete",
                detail=progress,
            )
    if verdict not in Acceptance.Verdict.values:
        raise BadInput(
            f"verdict: 验收结论应为 {'、'.join(Acceptance.Verdict.values)} 之一 / unknown verdict",
            detail={"field": "verdict", "value": verdict},
        )
    allowed = sel.allowed_verdicts(acc)
    rules = project_rules.postaward()
    if verdict not in allowed:
        raise Refused(
            f"本次验收的结论只能为 {'、'.join(Acceptance.Verdict(v).label for v in allowed)}（依据：{rules.acceptance_source}）/ not allowed for this acceptance",
            code="verdict_not_allowed",
            detail={"field": "verdict", "allowed": allowed, "source": rules.acceptance_source},
        )
    if rectify_by is not None and verdict != Acceptance.Verdict.RECTIFY:
        raise BadInput("rectify_by: 只有限期整改设整改期限 / only a rectification has a deadline", detail={"field": "rectify_by"})
    acc.reasons = _judgements(p, reasons, field="reasons", note="reason", label="理由")
    _check_reasons(acc, verdict, acc.reasons)
    comment = svc.clean_text(comment, "comment", "验收意见", required=True, max_length=TEXT_MAX)
    now = now or timezone.now()
    acc.verdict, acc.comment, acc.decided_by, acc.decided_at, acc.state = verdict, comment, user_of(actor), now, Acceptance.State.DECIDED
    _decision_effects(actor, acc, verdict, comment, rectify_by, now)
    acc.save()
    report = acc.report
    report.state, report.checked_at, report.checked_by, report.outcome_comment = Report.State.CHECKED, now, user_of(actor), comment
    report.save()
    return acc


# --------------------------------------------------------------------------- a call's post-award settings


SETTINGS_LIMITS = {
    "midterm_min_amount": (0, MAX_AMOUNT, "须中期检查的立项金额下限（元）"),
    "midterm_min_months": (1, 120, "须中期检查的执行期下限（月）"),
    "documents_below": (0, MAX_AMOUNT, "书面验收的立项金额上限（元）"),
    "rectify_months": (1, 12, "整改期限（月）"),
}
SETTINGS_FIELDS = (*SETTINGS_LIMITS, "publish_results", "consequences")


def _clean_consequences(given: Any) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise BadInput("consequences: 应为对象（结果代码: 后果）/ must be an object", detail={"field": "consequences"})
    known = project_rules.postaward().consequences
    out: dict[str, Any] = {}
    for code, spec in given.items():
        field = f"consequences.{code}"
        if code not in known:
            raise BadInput(f"{field}: 未知的结果代码，可用：{'、'.join(known)} / unknown outcome", detail={"field": field})
        if spec in (None, False):
            out[code] = None  # the call waives it
            continue
        try:
            c = project_rules.parse_consequence(code, spec, "consequences")
        except ValueError as e:
            raise BadInput(f"{field}: {e} / bad consequence", detail={"field": field}) from None
        out[code] = {"subject": c.subject, "source": c.source, **({"until_done": True} if c.until_done else {"years": c.years})}
    return out


def _require_call_officer(actor: Actor, call: Call) -> None:
    """Officers of every programme the call opens (as the call's project settings are set)."""
    scope = require_role(actor, Role.OFFICER, message="只有项目处人员可以设置 / officers only")
    others = sorted(pg for pg in svc._call_programmes(call) if not scope.officer_for(pg))
    if others:
        raise PermissionDenied(
            f"本批次还开放了其他专项（{'、'.join(others)}）的方向，只有这些专项的项目处人员可以设置 / the officers of every programme of the call only",
            detail={"call": call.pk, "programmes": others},
        )


@transaction.atomic
def postaward_settings_set(*, actor: Actor, call: Call, **fields: Any) -> ProjectCallSettings:
    """A call's post-award settings (officers of every programme of the call): any of
    `midterm_min_amount`, `midterm_min_months`, `documents_below`, `rectify_months` (None: back
    to the rules' default), `publish_results`, and `consequences` {outcome code: {subject,
    years | until_done, source}, or null to waive it} overriding the rules'."""
    _require_call_officer(actor, call)
    unknown = sorted(set(fields) - set(SETTINGS_FIELDS))
    if unknown:
        raise BadInput(f"{unknown[0]}: 没有这项设置 / unknown setting", detail={"field": unknown[0], "allowed": list(SETTINGS_FIELDS)})
    settings, _ = ProjectCallSettings.objects.select_for_update().get_or_create(
        call=call, defaults={"sign_days": project_rules.rules().sign_days}
    )
    was = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    for name, (low, high, label) in SETTINGS_LIMITS.items():
        if name not in fields:
            continue
        value = fields[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise BadInput(f"{name}: {label}应为 {low} 至 {high:,} 的整数 / out of range", detail={"field": name, "value": value})
        setattr(settings, name, value)
    if "publish_results" in fields:
        if not isinstance(fields["publish_results"], bool):
            raise BadInput("publish_results: 应为 true 或 false / a flag", detail={"field": "publish_results"})
        settings.publish_results = fields["publish_results"]
    if "consequences" in fields:
        settings.consequences = _clean_consequences(fields["consequences"])
    settings.updated_by = user_of(actor)
    settings.full_clean()
    settings.save()
    audit_record(
        actor=actor,
        action="call_postaward_settings",
        target_type="call",
        target_id=call.pk,
        data={
            **{name: getattr(settings, name) for name in SETTINGS_FIELDS},
            "changes": audit_changes(was, {name: getattr(settings, name) for name in SETTINGS_FIELDS}),
        },
    )
    return settings

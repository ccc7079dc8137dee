"""What the tests of reports, mid-term checks, acceptance, panels and certificates share: one
world per test module (built once inside a transaction rolled back after the module's last
test; each test runs in a savepoint of it), projects running with stage targets, experts with
accounts, complete final reports, and the events the projects announce.

The world's projects (direction 1.1) run from the first of next month for two years with a
500,000 yuan grant: a mid-term check is required (longer than a year), the acceptance is by a
panel (not below 500,000), and the default plan pays 350,000 once signed, 150,000 after 通过.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from yongke.notifications import events
from yongke.projects import acceptance as acc
from yongke.projects import services as svc
from yongke.projects.models import Acceptance, Indicator, PanelMember, Payment, Project, Report
from yongke.projects.tests.helpers import opened, sent, signed, today, with_account
from yongke.review import services as review_services
from yongke.review.models import Expert
from yongke.testing import PDF_BYTES, TEST, World, build_world, make_org, make_person, make_user

BEIJING = dt.timezone(dt.timedelta(hours=8))
GRANT, FIRST, REST = 500_000, 350_000, 150_000
# What direction 1.1's indicators promise (the application's facts): at the target, every indicator passes.
PATENTS, REVENUE = "kpi_invention_patent_applications", "kpi_new_revenue"
MET = {PATENTS: 3, REVENUE: 50_000_000}
_n = itertools.count(1)


def beijing(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING)


@dataclass(kw_only=True)
class PostAwardWorld(World):
    experts: list[Expert]  # four experts of four organisations, each with an account
    expert_users: list[Any]


def build_postaward_world(**kwargs: Any) -> PostAwardWorld:
    world = build_world(**kwargs)
    with_account(world)
    users = [world.expert, *(make_user("expert") for _ in range(3))]
    experts = [expert_for(user) for user in users]
    return PostAwardWorld(**{f: getattr(world, f) for f in world.__dataclass_fields__}, experts=experts, expert_users=users)


def expert_for(user: Any, *, org: Any = None, fields: list[str] | None = None, keywords: list[str] | None = None) -> Expert:
    """An expert of the pool with an account, of a fresh organisation unless one is given."""
    org = org or make_org(district="450105", name=f"南宁验收专家单位{next(_n)}")
    return review_services.expert_add(
        actor=TEST, person=make_person(org), organisation=org, user=user, fields=fields or ["C3976"], keywords=keywords or []
    )


def module_world(django_db_blocker: Any, tmp_path_factory: Any, **kwargs: Any) -> Iterator[PostAwardWorld]:
    """The world for a module-scoped fixture, in a transaction rolled back at the module's end."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_postaward_world(**kwargs)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def running(world: World, *, stages: bool = True, **kwargs: Any) -> Project:
    """A project countersigned (执行中) whose first stage (the end of its first year) has stage
    targets: 1 patent application and 20,000,000 yuan of new revenue."""
    p = opened(world, **kwargs)
    if stages:
        first_year_end = dt.date(p.starts_on.year, 12, 31)
        svc.task_book_update(
            actor=world.officer,
            project=p,
            lock_version=p.lock_version,
            changes={
                "milestones": [
                    {"due_on": first_year_end.isoformat(), "title": "完成样机", "targets": {PATENTS: 1, REVENUE: 20_000_000}},
                    {"due_on": p.ends_on.isoformat(), "title": "完成全部考核指标，申请验收", "targets": {}},
                ]
            },
        )
    p = signed(world, sent(world, p))
    return svc.project_transition(actor=world.officer, project=p, action="countersign")


def fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


def commitments(project: Project) -> list[Indicator]:
    return list(project.indicators.filter(source="commitment"))


def pdf(tag: str) -> bytes:
    """A small PDF, distinct per tag (so its digest is)."""
    return PDF_BYTES + f"%{tag}".encode()


def evidence_for_all(world: World, report: Report) -> None:
    for ind in commitments(report.project):
        acc.report_attach(
            actor=world.applicant, report=report, filename=f"证明{ind.pk}.pdf", content=pdf(f"{report.pk}:{ind.pk}"), indicator=ind.pk
        )


def final_draft(world: World, project: Project, *, actuals: dict[str, Any] | None = None, evidence: bool = True) -> Report:
    """The final report written in full: actuals (meeting the targets by default), spending, evidence for every indicator."""
    r = acc.report_save(
        actor=world.applicant,
        project=project,
        kind="final",
        narrative="全面完成任务书规定的研究内容。",
        actuals=MET if actuals is None else actuals,
        spent=[{"category": "equipment", "fiscal": 300_000, "self_raised": 0}],
    )
    if evidence:
        evidence_for_all(world, r)
    return fresh(r)


def submitted_final(world: World, project: Project | None = None, *, actuals: dict[str, Any] | None = None, **kwargs: Any) -> Report:
    """A project asking for acceptance (验收中) on a complete final report."""
    project = project or running(world, **kwargs)
    r = final_draft(world, project, actuals=actuals)
    return acc.report_submit(actor=world.org_admin, report=r)


def pay(world: World, project: Project, amount: int, *, tranche: int = 1) -> Payment:
    return svc.payment_record(
        actor=world.finance, project=project, tranche=tranche, amount=amount, paid_on=today(), voucher=f"YS-{next(_n):05d}"
    )


def reasons_all(project: Project, result: str = "pass", reason: str = "") -> dict[str, dict[str, str]]:
    return {str(i.pk): {"result": result, "reason": reason or ("材料不足" if result == "fail" else "")} for i in project.indicators.all()}


def opinion_all(project: Project, result: str = "pass") -> dict[str, dict[str, str]]:
    return {str(i.pk): {"result": result, "comment": "佐证充分" if result == "pass" else "证明不足"} for i in project.indicators.all()}


def documents_acceptance(world: World, project: Project | None = None, **kwargs: Any) -> Acceptance:
    """An acceptance by documents opened on a complete final report."""
    r = submitted_final(world, project, **kwargs)
    return acc.acceptance_open(actor=world.officer, project=r.project, mode="documents")


def decide(world: World, acceptance: Acceptance, verdict: str, *, result: str | None = None, **kwargs: Any) -> Acceptance:
    result = result or ("fail" if verdict == "failed" else "pass")
    return acc.acceptance_decide(
        actor=world.officer,
        acceptance=acceptance,
        verdict=verdict,
        reasons=reasons_all(acceptance.project, result),
        comment="验收意见",
        **kwargs,
    )


def member_of(acceptance: Acceptance, expert: Expert) -> PanelMember:
    return acceptance.members.get(expert=expert)


def capture_announcements(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The events announced from now on (to be delivered after the commit)."""
    seen: list[dict[str, Any]] = []

    def keep(evts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen.extend(evts)
        return evts

    monkeypatch.setattr(events, "_announce", keep)
    return seen


def now_on(day: dt.date) -> dt.datetime:
    return beijing(day)


def local_today() -> dt.date:
    return timezone.localdate()

"""The portfolio tests' projects, on any world of `yongke.testing` (its officer holding programme 1):

- `a`: programme 1 (direction 1.1), the world's `org` (青秀区), in progress, 50万 granted, its
  first tranche paid (35万), a submitted mid-term report that passed the revenue indicator and
  failed the patents one (新增收入 3000万 of 5000万; 1 patent of 3);
- `b`: programme 2 (direction 14.1), `other_org` (西乡塘区), in progress, 30万 granted, no
  report, a recovery of 10万 of which 4万 came back;
- `c`: programme 1 (direction 1.1), the world's `org`, its task book still being drawn up, in
  a call opened the year before (`old_call`).

Projects come through the real 立项 and signing steps (`helpers.py`); reports, payments and
recoveries are written as rows, as their services would leave them (the portfolio only reads them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from yongke.projects import services as svc
from yongke.projects.models import Payment, Project, Recovery, RecoveryReceipt, Report
from yongke.projects.tests import helpers as h
from yongke.testing import PDF_BYTES, TEST, World, make_call, make_user

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass(kw_only=True)
class PortfolioWorld:
    world: World
    a: Project
    b: Project
    c: Project
    old_call: Any
    all_officer: Any  # an officer of every programme ("*")
    report: Report  # a's mid-term report

    def __getattr__(self, name: str) -> Any:  # the world's users and organisations
        return getattr(self.world, name)


def checks_of(results: dict[str, str], actuals: dict[str, Any]) -> dict[str, Any]:
    """A report's `checks` as the report service writes them: the verification's results, one per rule."""
    return {
        "verdict": "fail" if "fail" in results.values() else "pass",
        "completion_rate": sum(r == "pass" for r in results.values()) / len(results),
        "indicators": [{"rule": rule, "result": result, "actual": actuals, "source": "……"} for rule, result in results.items()],
    }


def add_projects(world: World) -> PortfolioWorld:
    now = timezone.now()
    old_call = make_call(days=30, opens_at=now - dt.timedelta(days=400), directions=["1.1"])
    a = h.in_progress(world)
    b = _other_in_progress(world)
    c = h.opened(world, call=old_call)
    Payment.objects.create(
        project=a,
        tranche=a.tranches.get(order=1),
        amount=350_000,
        paid_on=timezone.localdate(),
        voucher="PF-A-1",
        account_masked="****5678",
        account_bank="中国工商银行南宁分行",
        account_name=world.org.name,
        recorded_at=now,
    )
    actuals = {"kpi_new_revenue": 30_000_000, "kpi_invention_patent_applications": 1}
    report = Report.objects.create(
        project=a,
        kind=Report.Kind.MIDTERM,
        number=1,
        due_on=midterm_due(a),
        state=Report.State.SUBMITTED,
        actuals=actuals,
        checks=checks_of({"1:ip": "fail", "1:revenue": "pass"}, actuals),
        submitted_at=now,
    )
    recovery = Recovery.objects.create(
        project=b, amount_due=100_000, unused=100_000, due_on=timezone.localdate() + dt.timedelta(days=30), reason="测试", recorded_at=now
    )
    RecoveryReceipt.objects.create(recovery=recovery, amount=40_000, received_on=timezone.localdate(), voucher="PF-R-1", recorded_at=now)
    return PortfolioWorld(
        world=world,
        a=h.fresh(a),
        b=h.fresh(b),
        c=h.fresh(c),
        old_call=old_call,
        all_officer=make_user("officer", programme="*"),
        report=report,
    )


def _other_in_progress(world: World) -> Project:
    """A project of `other_org` (programme 2) signed by both: its officer is the world's
    `other_officer`; the organisation has no org admin in the world, so the set-up signs for it."""
    p = h.opened(world, org=world.other_org, direction="14.1", amount=300_000)
    p = svc.project_transition(actor=world.other_officer, project=p, action="send")
    p = svc.project_transition(actor=TEST, project=p, action="sign", filename="任务书.pdf", content=PDF_BYTES)
    return svc.project_transition(actor=world.other_officer, project=p, action="countersign")


def midterm_due(p: Project) -> dt.date:
    from yongke.projects import rules

    return rules.midterm_due(p.starts_on, p.ends_on, rules.postaward().midterm_at_share_pct)


def at(day: dt.date) -> dt.datetime:
    """Noon of a day in Beijing time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def kept(build: Any, blocker: Any, media: str) -> Iterator[Any]:
    """What `build()` makes, kept for a module's tests inside a transaction rolled back after the
    last of them (each test runs in a savepoint inside it)."""
    with blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

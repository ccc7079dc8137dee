"""What the tests of termination, rescission, recovery and credit share: one world per test
module (built once, inside a transaction rolled back after the module's last test; each test
runs in a savepoint of it), funded projects, the unit's reported spending, and the events the
projects announce."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from yongke.notifications import events
from yongke.projects import services as svc
from yongke.projects.models import Payment, Project, Report
from yongke.projects.tests.helpers import in_progress, today, with_account
from yongke.testing import World, build_world

# The default plan of a 500,000 yuan grant: 350,000 once signed, 150,000 after acceptance.
GRANT, FIRST, REST = 500_000, 350_000, 150_000
_vouchers = itertools.count(1)


def module_world(django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """A world with the unit's bank account, for a module-scoped fixture."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            with_account(world)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def voucher(prefix: str = "V") -> str:
    return f"{prefix}-{next(_vouchers):05d}"


def pay(world: World, project: Project, amount: int, *, tranche: int = 1) -> Payment:
    return svc.payment_record(actor=world.finance, project=project, tranche=tranche, amount=amount, paid_on=today(), voucher=voucher("PAY"))


def funded(world: World, *, paid: int = FIRST, **kwargs: Any) -> Project:
    """A project in progress (执行中) with `paid` of its first tranche paid."""
    p = in_progress(world, **kwargs)
    if paid:
        pay(world, p, paid)
    return Project.objects.get(pk=p.pk)


def reported(project: Project, fiscal: int, *, kind: str = Report.Kind.MIDTERM, self_raised: int = 0) -> Report:
    """A report the unit submitted, saying it spent `fiscal` yuan of the city's money."""
    now = timezone.now()
    return Report.objects.create(
        project=project,
        kind=kind,
        number=project.reports.filter(kind=kind).count() + 1,
        due_on=timezone.localdate(now),
        state=Report.State.SUBMITTED,
        spent=[{"category": "equipment", "fiscal": fiscal, "self_raised": self_raised}],
        submitted_at=now,
    )


def ledger_adds_up(ledger: Any) -> bool:
    return ledger.granted == ledger.paid + ledger.outstanding + ledger.stopped and ledger.net == ledger.paid - ledger.recovered


def capture_announcements(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The events announced from now on (to be delivered after the commit), templates checked as usual."""
    seen: list[dict[str, Any]] = []

    def keep(evts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen.extend(evts)
        return evts

    monkeypatch.setattr(events, "_announce", keep)
    return seen


def beijing(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone(dt.timedelta(hours=8)))

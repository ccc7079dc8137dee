"""Fixtures of the notification tests: a task queue that keeps what is enqueued (as a worker's
queue would) without running it, and accounts that can be reached by email and SMS."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend

from yongke.orgs.services import person_create
from yongke.orgs.validators import id_with_check
from yongke.testing import TEST, World, build_world

QUEUE = "notifications-test-queue"
_ids = itertools.count(1)


@dataclass
class Queue:
    """The tasks enqueued on the notification backend, not yet run."""

    backend: DummyBackend

    @property
    def waiting(self) -> list[Any]:
        return list(self.backend.results)

    def run(self) -> list[Any]:
        """Run what is waiting, as a worker would (and empty the queue); returns the tasks' results."""
        results = self.waiting
        self.backend.clear()
        return [r.task.call(*r.args, **r.kwargs) for r in results]


@pytest.fixture
def queue(settings, monkeypatch) -> Iterator[Queue]:
    """Deliveries go to a queue that keeps them: enqueued, never run unless a test runs them."""
    monkeypatch.setitem(task_backends.settings, QUEUE, {"BACKEND": "django.tasks.backends.dummy.DummyBackend"})
    settings.YONGKE_NOTIFY_BACKEND = QUEUE
    backend = task_backends[QUEUE]
    assert isinstance(backend, DummyBackend)
    backend.clear()
    yield Queue(backend)
    backend.clear()


@pytest.fixture
def immediate(settings):
    """Deliveries run when enqueued (after the commit), as the SQLite browser tests run jobs."""
    settings.YONGKE_NOTIFY_BACKEND = "immediate"


def reachable(user, organisation=None, *, email: str = "", phone: str = ""):
    """Register the user's person record with an email address and a mobile number."""
    n = next(_ids)
    person_create(
        actor=TEST,
        name=f"联系人{n}",
        id_number=id_with_check(f"4501051985{(n % 12) + 1:02d}{(n % 28) + 1:02d}{700 + n % 300:03d}"),
        organisation=organisation,
        email=email or f"{user.username}@example.cn",
        phone=phone or f"138{n:08d}",
        user=user,
    )
    user.refresh_from_db()
    return user


@pytest.fixture
def world(db) -> World:
    """The shared world; the organisation's applicant and admin, the stranger and the expert have email and a phone."""
    w = build_world()
    for user, org in ((w.applicant, w.org), (w.org_admin, w.org), (w.stranger, w.other_org), (w.expert, None)):
        reachable(user, org)
    return w


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    """Text messages go to yongke.notifications.sms.outbox (a test that wants the console says so)."""
    from yongke.notifications import sms

    settings.YONGKE_SMS_BACKEND = "yongke.notifications.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()

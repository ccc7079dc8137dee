"""Two steps on one organisation's claims at the same moment: each is judged by the other's
outcome (the organisation's row lock, `applications.services.lock_organisation_history`), so a
yearly cap or a one-time award holds however the clicks fall."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.awards import services
from yongke.awards.tests.test_claims import PREMIUMS, claim, claims_setting
from yongke.core.errors import Refused
from yongke.testing import make_application

pytestmark = [
    pytest.mark.suite("postgresql"),  # SQLite serialises every writer: the race needs PostgreSQL
    pytest.mark.django_db(transaction=True),
]


def _at_once(steps: list[Callable[[], str]]) -> list[str]:
    """Run the steps on threads released together; each one's outcome (its own word, or a refusal's code)."""
    start = threading.Barrier(len(steps))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(step: Callable[[], str]) -> None:
        try:
            start.wait()
            result = step()
        except Refused as e:
            result = e.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_two_checks_at_once_keep_the_yearly_insurance_cap() -> None:
    setting = claims_setting(directions=["28.1"], budgets={})
    # 70% of 300,000 each: 210,000 + 210,000 asked of a 250,000 yearly cap.
    claims = [claim(setting, "28.1", {**PREMIUMS, "premium_patent": 300_000}) for _ in range(2)]

    def check(app: Application) -> Callable[[], str]:
        def step() -> str:
            done, _ = services.claim_check(actor=setting["officer"], application=Application.objects.get(pk=app.pk))
            return done.state

        return step

    assert _at_once([check(a) for a in claims]) == ["checked", "checked"]
    decided = Application.objects.filter(pk__in=[c.pk for c in claims]).values_list("decided_amount", flat=True)
    amounts = sorted(x or 0 for x in decided)
    assert amounts == [40_000, 210_000]  # the second checked sees the first: 250,000 in all


def test_two_submissions_of_one_recognition_at_once_make_one_claim() -> None:
    setting = claims_setting(directions=["24.1"], budgets={})
    facts = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}
    drafts = [
        make_application(
            call=setting["call"],
            org=setting["org"],
            user=setting["user"],
            direction="24.1",
            facts=facts,
            title=f"高新认定奖励{i}",
            requested_amount=0,
        )
        for i in range(2)
    ]

    def submit(app: Application) -> Callable[[], str]:
        def step() -> str:
            done, _ = apps.application_transition(actor=setting["user"], application=app, action="submit")
            return done.state

        return step

    assert _at_once([submit(a) for a in drafts]) == ["claimed", "paid_once"]
    assert Application.objects.filter(pk__in=[a.pk for a in drafts], state="claimed").count() == 1

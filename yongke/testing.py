"""Factories shared by the test suites: organisations, people, users of every role, calls."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import Any

from django.utils import timezone

from yongke.accounts.actors import System
from yongke.accounts.services import user_add
from yongke.applications import services as app_services
from yongke.guide.loader import load_guide
from yongke.guide.services import guide_store
from yongke.orgs import services as org_services
from yongke.orgs.validators import id_with_check, uscc_with_check

_seq = itertools.count(1)
TEST = System("test")  # the set-up of a test: what a console operator would have done before it

# Facts that make an application to direction 1.1 eligible.
ELIGIBLE_1_1 = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}


@functools.cache
def _bundled_guide():
    return load_guide(check_cases=False)


def make_guide():
    """The bundled guide, stored and published (parsed once per test process)."""
    version, _ = guide_store(actor=TEST, guide=_bundled_guide())
    return version


def make_org(*, district: str = "450103", zone: str = "", kind: str = "enterprise", name: str | None = None, **attrs: Any):
    n = next(_seq)
    org, _ = org_services.organisation_upsert(
        actor=TEST,
        data={
            "uscc": uscc_with_check(f"914501{n:04d}MA5L{n:03d}"[:17]),
            "name": name or f"南宁测试单位{n}有限公司",
            "kind": kind,
            "district": district,
            "zone": zone,
        },
    )
    for key, value in attrs.items():
        org_services.org_attribute_set(actor=TEST, organisation=org, name=key, value=value, valid_from=dt.date(2020, 1, 1))
    return org


def make_person(org=None, *, name: str | None = None, user=None):
    n = next(_seq)
    return org_services.person_create(
        actor=TEST,
        name=name or f"测试{n}",
        id_number=id_with_check(f"4501021980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"),
        organisation=org,
        user=user,
    )


def make_user(role: str, *, organisation=None, unit: str = "", programme: str = "", username: str | None = None):
    return user_add(
        actor=TEST,
        username=username or f"{role}{next(_seq)}",
        password="pw-Test-1234",
        role=role,
        organisation=organisation,
        unit=unit,
        programme=programme,
    )


def make_call(*, days: int = 10, **kwargs):
    now = timezone.now()
    return app_services.call_open(
        actor=kwargs.pop("actor", TEST),
        name=kwargs.pop("name", f"测试批次{next(_seq)}"),
        opens_at=kwargs.pop("opens_at", now - dt.timedelta(days=1)),
        closes_at=kwargs.pop("closes_at", now + dt.timedelta(days=days)),
        **kwargs,
    )


def make_application(
    *,
    call,
    org,
    user=None,
    direction: str = "1.1",
    facts: dict | None = None,
    title: str | None = None,
    leader=None,
    requested_amount: int = 1_000_000,
    **kwargs,
):
    return app_services.application_create(
        actor=user or TEST,
        call=call,
        direction=direction,
        organisation=org,
        title=title or f"测试项目{next(_seq)}",
        facts=ELIGIBLE_1_1 if facts is None else facts,
        leader=leader,
        requested_amount=requested_amount,
        **kwargs,
    )

"""Termination, rescission, the recovery ledger and credit records over the API: what the
services refuse turned into the API's statuses, and the permission matrix over every operation
of `yongke.api.closure` (every role × own / other object, as in test_permissions.py: reads one
cannot see are 404, writes one may not make 403, no credentials 401)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from yongke import testing as t
from yongke.api.tests.conftest import ROLES
from yongke.projects import services as project_services
from yongke.projects.models import Recovery, Report

A = "/api/v1"
PAID = 100_000
_n = itertools.count(1)


@dataclass
class Ended:
    project: Any  # terminated with PAID paid and nothing reported spent
    recovery: Any  # all of PAID due


def _ended(world, side: str) -> Ended:
    if side == "a":
        where: dict[str, Any] = {}
        officer, unit = world.officer, world.org_admin
    else:
        where = {"org": world.other_org, "direction": "14.1"}
        officer, unit = world.other_officer, t.TEST

    def step(project, who, action, **kwargs):
        return project_services.project_transition(actor=who, project=project, action=action, **kwargs)

    p = t.make_application_in("contracted", world=world, **where).project
    p = step(
        step(step(p, officer, "send"), unit, "sign", filename="任务书.pdf", content=t.PDF_BYTES + side.encode()), officer, "countersign"
    )
    project_services.payment_record(
        actor=world.finance, project=p, tranche=1, amount=PAID, paid_on=timezone.localdate(), voucher=f"API-PAY-{side}"
    )
    p = project_services.project_terminate(actor=officer, project=p, comment="技术路线无法实现")
    return Ended(project=p, recovery=Recovery.objects.get(project=p))


@pytest.fixture(scope="module")
def closure_world(project_world, django_db_blocker):
    """The projects' world with, on each side, a project terminated with money to give back."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield project_world, {"own": _ended(project_world, "a"), "other": _ended(project_world, "b")}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _running(w, side):
    return (w.project_a if side == "own" else w.project_b).running


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:600]
    return response.json()


def refused(response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:600]
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    if field is not None:
        assert body["detail"]["field"] == field
    return body


# --------------------------------------------------------------------------- what they do


def test_the_officer_terminates_with_misused_money_and_sees_the_recovery(api, closure_world):
    w, _ = closure_world
    p = _running(w, "own")
    project_services.payment_record(
        actor=w.finance, project=p, tranche=1, amount=200_000, paid_on=timezone.localdate(), voucher=f"API-T-{next(_n)}"
    )
    Report.objects.create(
        project=p,
        kind="midterm",
        due_on=timezone.localdate(),
        state="submitted",
        spent=[{"category": "equipment", "fiscal": 120_000, "self_raised": 0}],
        submitted_at=timezone.now(),
    )
    body = ok(api.as_("officer").post(f"{A}/projects/{p.pk}/terminate", {"comment": "无法继续实施", "misused": 30_000}))
    assert (body["state"], body["project"]["state"], body["project"]["ledger"]["stopped"]) == ("terminated", "terminated", 300_000)
    [r] = body["recoveries"]
    assert (r["kind"], r["unused"], r["misused"], r["amount_due"], r["left"], r["overdue"]) == (
        "termination",
        80_000,
        30_000,
        110_000,
        110_000,
        False,
    )
    assert body["project"]["ledger"]["due_back"] == 110_000


def test_misused_money_above_what_was_spent_is_bad_input(api, closure_world):
    w, _ = closure_world
    p = _running(w, "own")
    refused(api.as_("officer").post(f"{A}/projects/{p.pk}/terminate", {"comment": "终止", "misused": 1}), 400, "bad_input", "misused")
    refused(api.as_("officer").post(f"{A}/projects/{p.pk}/terminate", {"comment": "终止", "misused": -1}), 400, "bad_input", "misused")
    refused(api.as_("officer").post(f"{A}/projects/{p.pk}/terminate", {"comment": "终止", "misused": "5"}), 400, "bad_input", "misused")


def test_a_stale_version_is_a_conflict(api, closure_world):
    w, _ = closure_world
    p = _running(w, "own")
    body = {"comment": "终止", "lock_version": p.lock_version + 5}
    refused(api.as_("officer").post(f"{A}/projects/{p.pk}/terminate", body), 409, "conflict")


def test_the_generic_step_no_longer_terminates(api, closure_world):
    w, _ = closure_world
    p = _running(w, "own")
    body = refused(
        api.as_("officer").post(f"{A}/projects/{p.pk}/transitions", {"action": "terminate", "comment": "终止"}), 422, "step_by_service"
    )
    assert body["detail"]["action"] == "terminate"


def test_a_rescission_for_misconduct_shows_the_credit_records(api, closure_world):
    w, _ = closure_world
    p = _running(w, "own")
    body = ok(api.as_("officer").post(f"{A}/projects/{p.pk}/rescind", {"comment": "弄虚作假", "misconduct": True}))
    assert body["state"] == "revoked"
    assert body["recoveries"] == []  # nothing was paid
    records = {c["consequence"]: c for c in body["credit_records"]}
    assert set(records) == {"revoked_misconduct", "revoked_misconduct_leader"}
    assert records["revoked_misconduct"]["organisation"]["id"] == p.organisation_id
    assert records["revoked_misconduct_leader"]["person"]["id"] == p.leader_id
    assert all(c["active"] and c["ends_on"] and "五年" in c["source"] for c in records.values())
    listed = ok(api.as_("org_admin").get(f"{A}/projects/{p.pk}/credit-records"))
    assert listed["count"] == 2


def test_finance_records_what_came_back_never_more_than_is_left(api, closure_world):
    _, ended = closure_world
    r = ended["own"].recovery
    url = f"{A}/recoveries/{r.pk}/receipts"
    today = timezone.localdate().isoformat()
    got = ok(api.as_("finance").post(url, {"amount": 40_000, "received_on": today, "voucher": "API-RET-1"}), 201)
    assert (got["receipt"]["amount"], got["recovery"]["received"], got["recovery"]["left"]) == (40_000, 40_000, PAID - 40_000)
    assert refused(api.as_("finance").post(url, {"amount": PAID, "received_on": today, "voucher": "API-RET-2"}), 422, "over_due")["detail"][
        "left"
    ] == (PAID - 40_000)
    refused(api.as_("finance").post(url, {"amount": 1, "received_on": today, "voucher": "API-RET-1"}), 409, "voucher_used")
    refused(api.as_("finance").post(url, {"amount": 1, "received_on": today, "voucher": "API-PAY-a"}), 409, "voucher_used")
    refused(
        api.as_("finance").post(url, {"amount": 1, "received_on": "2000-01-01", "voucher": "API-RET-3"}), 400, "bad_input", "received_on"
    )
    listed = ok(api.as_("org_admin").get(f"{A}/projects/{r.project_id}/recoveries"))
    assert [(x["id"], x["received"], len(x["receipts"])) for x in listed["items"]] == [(r.pk, 40_000, 1)]
    ledger = ok(api.as_("finance").get(f"{A}/projects/{r.project_id}"))["ledger"]
    assert (ledger["due_back"], ledger["recovered"], ledger["net"]) == (PAID, 40_000, PAID - 40_000)


def test_the_calls_recoveries_and_the_overdue_ones(api, closure_world, monkeypatch):
    w, ended = closure_world
    r = ended["own"].recovery
    mine = ok(api.as_("officer").get(f"{A}/calls/{w.call.pk}/recoveries"))
    assert [x["id"] for x in mine["items"]] == [r.pk]  # programme 1's only
    assert {x["id"] for x in ok(api.as_("finance").get(f"{A}/calls/{w.call.pk}/recoveries"))["items"]} == {
        r.pk,
        ended["other"].recovery.pk,
    }
    assert ok(api.as_("finance").get(f"{A}/recoveries/overdue"))["count"] == 0
    Recovery.objects.filter(pk=r.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    overdue = ok(api.as_("finance").get(f"{A}/recoveries/overdue"))
    assert [(x["id"], x["overdue"]) for x in overdue["items"]] == [(r.pk, True)]


def test_the_overdue_scan_is_the_officers(api, closure_world):
    assert ok(api.as_("officer").post(f"{A}/projects/acceptance-overdue/scan")) == {"recorded": []}
    refused(api.as_("org_admin").post(f"{A}/projects/acceptance-overdue/scan"), 403, "permission_denied")


# --------------------------------------------------------------------------- the permission matrix

# operation -> (world, ended projects, side) -> (method, path, json)
OPS = {
    "projects_terminate": lambda w, e, s: ("POST", f"{A}/projects/{_running(w, s).pk}/terminate", {"comment": "项目无法继续实施"}),
    "projects_rescind": lambda w, e, s: ("POST", f"{A}/projects/{_running(w, s).pk}/rescind", {"comment": "弄虚作假", "misconduct": True}),
    "recoveries_list": lambda w, e, s: ("GET", f"{A}/projects/{e[s].project.pk}/recoveries", None),
    "calls_recoveries": lambda w, e, s: ("GET", f"{A}/calls/{w.call.pk}/recoveries", None),
    "recoveries_overdue": lambda w, e, s: ("GET", f"{A}/recoveries/overdue", None),
    "recoveries_get": lambda w, e, s: ("GET", f"{A}/recoveries/{e[s].recovery.pk}", None),
    "recoveries_receive": lambda w, e, s: (
        "POST",
        f"{A}/recoveries/{e[s].recovery.pk}/receipts",
        {"amount": 1_000, "received_on": timezone.localdate().isoformat(), "voucher": f"API-M-{next(_n)}"},
    ),
    "projects_credit_records": lambda w, e, s: ("GET", f"{A}/projects/{e[s].project.pk}/credit-records", None),
    "projects_acceptance_overdue_scan": lambda w, e, s: ("POST", f"{A}/projects/acceptance-overdue/scan", None),
}

# Expected status per role, in the order of ROLES; "own/other" where they differ. The auditor and the
# sysadmin read no project and take no step (三权分立, docs/duties.md): 404 for a project, 403 for a role-gated list.
#                        anonymous org_admin  applicant  recommender officer    finance expert     auditor sysadmin
EXPECT = {
    "projects_terminate": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "projects_rescind": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "recoveries_list": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "calls_recoveries": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "recoveries_overdue": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "recoveries_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "recoveries_receive": ("401", "403/404", "403/404", "403/404", "403/404", "201", "404", "404", "404"),
    "projects_credit_records": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "projects_acceptance_overdue_scan": ("401", "403", "403", "403", "200", "403", "403", "403", "403"),
}
CODES = {401: "unauthenticated", 403: "permission_denied", 404: "not_found"}


def _cases():
    for op, row in EXPECT.items():
        assert len(row) == len(ROLES), op
        for role, cell in zip(ROLES, row, strict=True):
            own, _, other = cell.partition("/")
            for side, status in (("own", own), ("other", other or own)):
                yield pytest.param(op, role, side, int(status), id=f"{op}-{role}-{side}")


def test_every_operation_of_the_router_is_in_the_matrix():
    from yongke.api import closure

    names = {op.view_func.__name__ for view in closure.router.path_operations.values() for op in view.operations}
    assert names == set(OPS) == set(EXPECT)


@pytest.mark.parametrize(("op", "role", "side", "status"), list(_cases()))
def test_closure_permission_matrix(api, closure_world, op, role, side, status):
    w, ended = closure_world
    method, path, json = OPS[op](w, ended, side)
    client = api.as_(role)
    response = client.get(path) if method == "GET" else client.post(path, json)
    assert response.status_code == status, response.content[:500]
    if status >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert body["message"]
        assert body["code"] == CODES[status]

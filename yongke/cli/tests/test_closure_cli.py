"""`yongke project terminate|rescind|recover|overdue-scan`: JSON out, exit 0 on success, 1 when
the rules refuse a well-formed request, 2 on bad input with one line naming the flag."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from yongke.cli import project_closure
from yongke.cli.main import run
from yongke.projects.models import Recovery, RecoveryReceipt
from yongke.projects.rules import final_report_due, postaward
from yongke.projects.tests.closure_helpers import FIRST, beijing, funded, module_world, reported

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(autouse=True)
def _no_migrate_each_time(monkeypatch):
    """Django is set up and the test database migrated: these verbs skip `migrate` on each run
    (the other CLI tests run it)."""
    monkeypatch.setattr(project_closure, "django_setup", lambda **_: None)


def call(capsys, *argv):
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv):
    code, out, err = call(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def bad(capsys, *argv, code: int = 2) -> str:
    got, out, err = call(capsys, *argv)
    assert got == code, (out, err)
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_terminate_with_misused_money_prints_the_recovery(capsys, world):
    p = funded(world)
    reported(p, 200_000)
    body = ok(capsys, "project", "terminate", p.pk, "--comment", "技术路线无法实现", "--misused", "5万", "--as", world.officer.username)
    assert body["project"]["state"] == "terminated"
    [r] = body["recoveries"]
    assert (r["unused"], r["misused"], r["amount_due"]) == (150_000, 50_000, 200_000)
    assert (body["ledger"]["paid"], body["ledger"]["stopped"], body["ledger"]["due_back"]) == (FIRST, 150_000, 200_000)


def test_terminate_refusals(capsys, world):
    p = funded(world)
    assert "--misused" in bad(capsys, "project", "terminate", p.pk, "--comment", "x", "--misused", "许多")
    assert "misused" in bad(capsys, "project", "terminate", p.pk, "--comment", "x", "--misused", "1")  # nothing reported spent
    assert "--comment" in bad(capsys, "project", "terminate", p.pk)
    bad(capsys, "project", "terminate", p.pk, "--comment", "x", "--lock-version", p.lock_version + 1)  # stale: a conflict
    bad(capsys, "project", "terminate", p.pk, "--comment", "x", "--as", world.org_admin.username)  # not the unit's to decide
    ok(capsys, "project", "terminate", p.pk, "--comment", "终止")
    assert "不能执行" in bad(capsys, "project", "terminate", p.pk, "--comment", "again", code=1)


def test_rescind_for_misconduct_prints_the_credit_records(capsys, world):
    p = funded(world)
    body = ok(capsys, "project", "rescind", p.pk, "--comment", "弄虚作假", "--misconduct", "--as", world.officer.username)
    assert body["project"]["state"] == "revoked"
    assert [r["amount_due"] for r in body["recoveries"]] == [FIRST]
    assert {c["consequence"] for c in body["credit_records"]} == {"revoked_misconduct", "revoked_misconduct_leader"}


def test_recover_lists_then_records_a_receipt(capsys, world):
    p = funded(world)
    ok(capsys, "project", "terminate", p.pk, "--comment", "终止")
    [r] = ok(capsys, "project", "recover", p.pk)["recoveries"]
    assert (r["amount_due"], r["left"]) == (FIRST, FIRST)
    today = timezone.localdate().isoformat()
    got = ok(
        capsys,
        "project", "recover", p.pk,
        "--recovery", r["id"], "--amount", "10万", "--received-on", today, "--voucher", "CLI-RET-1",
        "--as", world.finance.username,
    )  # fmt: skip
    assert (got["recovery"]["received"], got["recovery"]["left"], got["recovery"]["receipts"][0]["voucher"]) == (
        100_000,
        FIRST - 100_000,
        "CLI-RET-1",
    )
    assert "本次最多" in bad(  # a refusal of the rules: exit 1
        capsys,
        "project",
        "recover",
        p.pk,
        "--recovery",
        r["id"],
        "--amount",
        "30万",
        "--received-on",
        today,
        "--voucher",
        "CLI-RET-2",
        code=1,
    )
    bad(capsys, "project", "recover", p.pk, "--recovery", r["id"], "--amount", "1", "--received-on", today, "--voucher", "CLI-RET-1")
    assert "--received-on" in bad(capsys, "project", "recover", p.pk, "--recovery", r["id"], "--amount", "1", "--voucher", "V")
    assert "--received-on" in bad(
        capsys, "project", "recover", p.pk, "--recovery", r["id"], "--amount", "1", "--received-on", "明天", "--voucher", "V"
    )
    assert "--recovery" in bad(
        capsys, "project", "recover", p.pk, "--recovery", 424242, "--amount", "1", "--received-on", today, "--voucher", "V"
    )
    bad(
        capsys,
        "project", "recover", p.pk,
        "--recovery", r["id"], "--amount", "1", "--received-on", today, "--voucher", "CLI-RET-3",
        "--as", world.officer.username,
    )  # fmt: skip  # finance only
    assert RecoveryReceipt.objects.filter(recovery_id=r["id"]).count() == 1


def test_recover_overdue_lists_the_recoveries_past_due(capsys, world):
    p = funded(world)
    ok(capsys, "project", "terminate", p.pk, "--comment", "终止")
    assert ok(capsys, "project", "recover", "--overdue")["overdue"] == []
    Recovery.objects.filter(project=p).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    [late] = ok(capsys, "project", "recover", "--overdue", "--as", world.finance.username)["overdue"]
    assert (late["project"], late["overdue"]) == (p.pk, True)
    assert "project" in bad(capsys, "project", "recover")
    assert "--overdue" in bad(capsys, "project", "recover", p.pk, "--overdue")


def test_overdue_scan_records_the_unit_once(capsys, world):
    p = funded(world, paid=0)
    day = final_report_due(p.ends_on, postaward().final_report_months) + dt.timedelta(days=1)
    with time_machine.travel(beijing(day), tick=False):
        [found] = ok(capsys, "project", "overdue-scan", "--as", world.officer.username)["recorded"]
        assert (found["project"], found["credit_record"]["consequence"], found["credit_record"]["ends_on"]) == (
            p.pk,
            "acceptance_overdue",
            None,
        )
        assert ok(capsys, "project", "overdue-scan")["recorded"] == []
    assert ok(capsys, "project", "overdue-scan", "--now", f"{day.isoformat()}T09:00")["recorded"] == []
    assert "--now" in bad(capsys, "project", "overdue-scan", "--now", "yesterday")
    bad(capsys, "project", "overdue-scan", "--as", world.org_admin.username)

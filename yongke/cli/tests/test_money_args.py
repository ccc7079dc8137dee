"""Amounts typed on the command line read as people write them ("80万"), or are refused in one line."""

from __future__ import annotations

import json

import pytest

from yongke.applications.models import Call
from yongke.cli.main import run
from yongke.testing import make_guide

pytestmark = pytest.mark.django_db


def test_budgets_may_be_written_in_wan(capsys):
    make_guide()
    assert run(["call", "open", "--name", "预算", "--closes-at", "2099-06-30T17:00", "--budgets", '{"1": "2000万", "2": 5000000}']) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["budgets"] == {"1": 20_000_000, "2": 5_000_000}
    assert Call.objects.get(pk=body["id"]).budgets == {"1": 20_000_000, "2": 5_000_000}


@pytest.mark.parametrize("budget", ['"abc"', "1e30", "true", "12345678901234567890123456", '"0.5"'])
def test_a_budget_that_is_not_whole_yuan_within_bounds_is_refused_naming_it(capsys, budget):
    make_guide()
    code = run(["call", "open", "--name", "预算", "--closes-at", "2099-06-30T17:00", "--budgets", f'{{"1": {budget}}}'])
    err = capsys.readouterr().err
    assert code == 2
    assert "--budgets" in err
    assert err.count("\n") == 1
    assert not Call.objects.exists()


def test_an_amount_argument_is_read_like_a_money_field(capsys):
    code = run(["app", "transition", "1", "fund", "--amount", "九十万"])
    err = capsys.readouterr().err
    assert code == 2
    assert "无法识别的金额" in err
    assert err.count("\n") == 1


def test_a_claim_is_paid_from_the_console_only_with_a_voucher(capsys):
    """`yongke app transition ID pay` of a 后补助 claim in 公示: without `--voucher`, exit 2 naming it; with it, paid."""
    import datetime as dt

    from django.utils import timezone

    from yongke.applications.models import Application
    from yongke.awards.models import ClaimPayment
    from yongke.orgs.services import bank_account_set
    from yongke.testing import TEST, build_world, make_application_in, make_call

    world = build_world()
    bank_account_set(actor=TEST, organisation=world.org, bank="中国工商银行南宁分行", name=world.org.name, number="6222021001112223334")
    app = make_application_in("published", world=world, funding="post", call=make_call(directions=["35.1"]))
    Application.objects.filter(pk=app.pk).update(objection_ends_at=timezone.now() - dt.timedelta(minutes=1))
    code = run(["app", "transition", str(app.pk), "pay", "--as", world.finance.username])
    err = capsys.readouterr().err
    assert code == 2
    assert "voucher" in err
    assert err.count("\n") == 1
    assert Application.objects.get(pk=app.pk).state == "published"
    assert run(["app", "transition", str(app.pk), "pay", "--as", world.finance.username, "--voucher", "CLI-凭证-1"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "paid"
    assert ClaimPayment.objects.get(application=app).voucher == "CLI-凭证-1"

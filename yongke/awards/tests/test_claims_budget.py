"""A call's budget holds 后补助 money end to end: 择优 claims are checked within a bound, 公示 and
拨付 never take the claims past the budget, the allocation shares only what the budget has left,
and the payment's audit entry names the amount and the payee."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.audit.models import AuditEvent
from yongke.awards import services
from yongke.awards.models import ClaimPayment
from yongke.awards.tests.test_claims import claim, claims_setting
from yongke.core.errors import BadInput, Conflict, Refused
from yongke.orgs.services import bank_account_set
from yongke.testing import TEST, make_call, make_org, make_user

pytestmark = pytest.mark.django_db

MERIT = {"achievement_acquired_with_own_funds": True, "achievement_applied_with_benefit": True, "transfer_project_recognized": True}
INCUBATOR = {"carrier": "incubator", "public_funded": False}


@pytest.fixture
def setting():
    return {**claims_setting(directions=["29.1", "33.1"], budgets={"33.1": 2_500_000}), "finance": make_user("finance")}


def _incubator(setting, level: str, *, account: bool = True) -> Application:
    org = make_org()
    if account:
        bank_account_set(actor=TEST, organisation=org, bank="中国工商银行南宁分行", name=org.name, number="6222021001112223334")
    app = claim(setting, "33.1", {**INCUBATOR, "level": level}, org=org, user=make_user("applicant", organisation=org))
    app, _ = services.claim_check(actor=setting["officer"], application=app)
    return app


def _publish(setting, app: Application) -> Application:
    app, _ = apps.application_transition(actor=setting["officer"], application=app, action="publish", objection_days=1)
    return app


def _pay(setting, app: Application, voucher: str | None = None) -> Application:
    later = timezone.now() + dt.timedelta(days=30)  # the 公示 window over
    voucher = f"财拨-{app.pk}" if voucher is None else voucher
    app, _ = apps.application_transition(actor=setting["finance"], application=app, action="pay", now=later, voucher=voucher)
    return app


# --------------------------------------------------------------------------- 择优: no formula, no amount claimed


def test_a_merit_claim_without_an_amount_or_a_budget_is_not_checked_at_any_amount(setting):
    app = claim(setting, "29.1", MERIT)
    assert app.requested_amount == 0
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=setting["officer"], application=app, action="check", amount=1_000_000_000_000)
    assert e.value.code == "no_budget"
    assert Application.objects.get(pk=app.pk).state == "claimed"
    assert Application.objects.get(pk=app.pk).decided_amount is None


def test_a_merit_claim_is_checked_within_the_calls_budget(setting):
    setting["call"] = make_call(directions=["29.1"], budgets={"29.1": 500_000})
    app = claim(setting, "29.1", MERIT)
    with pytest.raises(BadInput) as e:
        apps.application_transition(actor=setting["officer"], application=app, action="check", amount=500_001)
    assert (e.value.detail["field"], e.value.detail["limit"]) == ("amount", 500_000)
    app, _ = apps.application_transition(actor=setting["officer"], application=app, action="check", amount=400_000)
    assert (app.state, app.decided_amount) == ("checked", 400_000)


# --------------------------------------------------------------------------- the budget across 公示 and 拨付


def test_publishing_claims_past_the_budget_is_refused_until_they_are_allocated(setting):
    first, second, third = _incubator(setting, "national"), _incubator(setting, "national"), _incubator(setting, "region")
    assert [c.decided_amount for c in (first, second, third)] == [2_000_000, 2_000_000, 1_000_000]
    first = _publish(setting, first)
    with pytest.raises(Refused) as e:
        _publish(setting, second)  # 200万 published + 200万 > 250万
    assert e.value.code == "over_budget"
    assert e.value.detail["used"] == 2_000_000
    assert Application.objects.get(pk=second.pk).state == "checked"

    ranked = services.claims_ranked(setting["officer"], setting["call"], "33.1")
    assert (ranked["left"], ranked["fits"]) == (500_000, False)
    shared = services.claims_allocate(actor=setting["officer"], call=setting["call"], direction="33.1")
    assert (shared["carried"], shared["left"]) == (2_000_000, 500_000)  # the published claim is not shared out again
    assert sorted(a["amount"] for a in shared["allocations"]) == [166_667, 333_333]
    for app in (second, third):
        _publish(setting, Application.objects.get(pk=app.pk))
    paid = [_pay(setting, Application.objects.get(pk=a.pk)) for a in (first, second, third)]
    assert sum(a.decided_amount for a in paid) == 2_500_000  # the budget, not the 500万 checked
    assert {a.state for a in paid} == {"paid"}


def test_a_claim_is_not_paid_past_a_budget_cut_after_its_publicity(setting):
    first = _publish(setting, _incubator(setting, "national"))
    Call = type(setting["call"])
    Call.objects.filter(pk=setting["call"].pk).update(budgets={"33.1": 1_500_000})  # the budget cut while in 公示
    with pytest.raises(Refused) as e:
        _pay(setting, first)
    assert (e.value.code, e.value.detail["budget"]) == ("over_budget", 1_500_000)
    assert Application.objects.get(pk=first.pk).state == "published"


def test_the_payment_of_a_claim_records_the_amount_and_the_payee(setting):
    app = _pay(setting, _publish(setting, _incubator(setting, "region")))
    entry = AuditEvent.objects.get(target_type="application", target_id=str(app.pk), action="pay")
    assert entry.data["amount"] == 1_000_000
    assert entry.data["payee"] == {"uscc": app.organisation.uscc, "name": app.organisation.name}
    assert entry.data["account"]["bank"] == "中国工商银行南宁分行"
    assert entry.data["account"]["number"].endswith("3334")
    assert "6222021001112223334" not in str(entry.data)  # the number masked
    assert entry.data["voucher"] == f"财拨-{app.pk}"
    paid = ClaimPayment.objects.get(application=app)
    assert (paid.amount, paid.voucher, paid.account_bank, paid.recorded_by) == (
        1_000_000,
        f"财拨-{app.pk}",
        "中国工商银行南宁分行",
        setting["finance"],
    )
    assert paid.account_masked.endswith("3334")
    assert "6222021001112223334" not in paid.account_masked


@pytest.mark.parametrize("voucher", ["", "   ", "凭" * 65])
def test_a_claim_is_paid_only_with_a_voucher_number(setting, voucher):
    app = _publish(setting, _incubator(setting, "region"))
    with pytest.raises(BadInput) as e:
        _pay(setting, app, voucher=voucher)
    assert e.value.detail == {"field": "voucher"}
    assert "凭证号" in e.value.message
    assert Application.objects.get(pk=app.pk).state == "published"
    assert not ClaimPayment.objects.exists()


def test_a_voucher_is_recorded_once_across_claims_and_project_payments(setting):
    first = _pay(setting, _publish(setting, _incubator(setting, "region")))
    second = _publish(setting, _incubator(setting, "region"))
    with pytest.raises(Conflict) as e:
        _pay(setting, second, voucher=ClaimPayment.objects.get(application=first).voucher)
    assert (e.value.code, e.value.detail["field"]) == ("voucher_used", "voucher")
    assert Application.objects.get(pk=second.pk).state == "published"
    assert ClaimPayment.objects.filter(application=second).count() == 0
    assert _pay(setting, second, voucher=f"财拨-{second.pk}-另").state == "paid"  # a voucher of its own


def test_a_claim_of_an_organisation_with_no_account_is_not_paid(setting):
    app = _publish(setting, _incubator(setting, "region", account=False))
    with pytest.raises(Refused) as e:
        _pay(setting, app)
    assert e.value.code == "no_bank_account"
    assert Application.objects.get(pk=app.pk).state == "published"
    assert not AuditEvent.objects.filter(target_type="application", target_id=str(app.pk), action="pay").exists()

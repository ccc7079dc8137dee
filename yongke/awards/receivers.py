"""What the awards room does when the applications below it announce a change (signals)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yongke.accounts.actors import user_of
from yongke.applications.models import Application
from yongke.awards.models import ClaimPayment
from yongke.core.errors import BadInput, Refused, YongkeError, voucher_used
from yongke.orgs.selectors import bank_account_of


def claim_quote_store(sender: Any = None, *, application: Application, **_: Any) -> int | None:
    """Keep a claim's quote on it for the lists (the `claim_saved` receiver): the amount it
    would receive now, or None while it cannot be quoted (a required fact not given, not
    eligible). A derived figure, not a decision: the check (`claim_check`) decides the amount."""
    from yongke.awards.services import claim_quote  # at call time: the services import the task runners, which import them

    try:
        quote = claim_quote(application)
    except YongkeError:
        amount = None
    else:
        amount = int(quote["amount"]) if quote.get("eligible") and quote.get("amount") is not None else None
    Application.objects.filter(pk=application.pk).update(quoted_amount=amount)
    application.quoted_amount = amount
    return amount


def check_claim_amount(sender: Any = None, *, application: Application, transition: Any, **_: Any) -> dict[str, Any]:
    """核查通过 of a 后补助 claim (the `transition_checking` receiver): the amount is the guide's.

    For a direction paid by formula the amount may not exceed what the guide's formula gives the
    claim now (with the caps and one-time rules over the organisation's other claims); the
    officer may check it lower (实际奖补按财政预算控制), never higher, and a claim the quote
    refuses is refused, not checked. A direction without a formula (择优) is checked at no more
    than the amount the claim requested, or, when it requested none, than the call's budget for
    it (实际奖补按财政预算控制); with neither there is nothing to bound the amount and the check
    is refused (`no_budget`). The quote is kept in the step's audit entry."""
    from yongke.awards.services import claim_quote

    if transition.action != "check" or application.funding != "post":
        return {}
    amount = application.decided_amount  # written by the step's needs (the amount the officer gave)
    try:
        quote = claim_quote(application)
    except BadInput:
        quote = None  # not a formula award
    if quote is None:
        limit = application.requested_amount
        if limit:
            if amount is not None and amount > limit:
                raise BadInput(
                    f"amount: 核定金额不能超过申领金额 {limit} 元 / exceeds the amount claimed", detail={"field": "amount", "limit": limit}
                )
            return {}
        key, budget = application.call.budget_for(application.direction)
        if budget is None:
            raise Refused(
                f"该方向择优补助、申领未填金额，须先在批次设置方向 {application.direction} 或项目 {key} 的预算，"
                "核定金额以预算为限 / set the call's budget first: nothing else bounds the amount",
                code="no_budget",
                detail={"field": "amount", "budget_key": key},
            )
        if amount is not None and amount > budget:
            raise BadInput(
                f"amount: 核定金额不能超过本批次「{key}」的预算 {budget} 元 / exceeds the call's budget",
                detail={"field": "amount", "limit": budget},
            )
        return {}
    if not quote["eligible"]:
        reasons = "；".join(r["message"] for r in quote["reasons"] if r["code"] != "to_verify") or "不符合条件"
        raise Refused(
            f"按指南测算该申领不符合条件，请「核查不通过」：{reasons} / the guide's quote refuses this claim",
            code="claim_not_eligible",
            detail={"reasons": quote["reasons"]},
        )
    limit = int(quote["amount"])
    if amount is not None and amount > limit:
        raise BadInput(
            f"amount: 核定金额不能超过按指南测算的补助金额 {limit} 元 / exceeds the guide's award",
            detail={"field": "amount", "limit": limit, "quoted": limit},
        )
    return {"quote": limit}


def claim_payment(sender: Any = None, *, application: Application, transition: Any, voucher: str = "", **_: Any) -> dict[str, Any]:
    """拨付 of a 后补助 claim (the `transition_checking` receiver): paid to the organisation's
    account in force, as a project's tranche is (none recorded: refused `no_bank_account`), with
    a voucher number no other payment of a claim has used (`voucher_used`; the projects room
    checks its own payments and receipts); the step's audit entry records the amount, the payee
    (统一社会信用代码 and name), the account (bank, name, number masked) and the voucher, so the
    payment is traced to all four."""
    if transition.action != "pay" or application.funding != "post":
        return {}
    org = application.organisation
    account = _account_in_force(org)
    if ClaimPayment.objects.filter(voucher=voucher).exists():
        raise voucher_used(voucher)
    return {
        "amount": application.decided_amount,
        "payee": {"uscc": org.uscc, "name": org.name},
        "account": {"bank": account.bank, "name": account.name, "number": account.number_masked},
        "voucher": voucher,
    }


def claim_paid(sender: Any = None, *, application: Application, transition: Any, actor: Any, now: Any, voucher: str = "", **_: Any) -> None:
    """拨付 of a 后补助 claim taken (the `transition_done` receiver): its payment record, with the
    account it went to and its voucher (unique: the same voucher recorded at the same moment by
    someone else is refused, and the step with it)."""
    if transition.action != "pay" or application.funding != "post":
        return
    account = _account_in_force(application.organisation)
    try:
        with transaction.atomic():
            ClaimPayment.objects.create(
                application=application,
                amount=int(application.decided_amount or 0),
                paid_on=timezone.localdate(now),
                voucher=voucher,
                **ClaimPayment.account_fields(account),
                recorded_by=user_of(actor),
                recorded_at=now,
            )
    except IntegrityError:
        raise voucher_used(voucher) from None


def _account_in_force(org: Any) -> Any:
    account = bank_account_of(org)
    if account is None:
        raise Refused(
            f"{org.name}尚未登记收款账户，不能拨付 / the organisation has no bank account recorded",
            code="no_bank_account",
            detail={"organisation": org.pk},
        )
    return account

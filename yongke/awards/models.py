"""What the awards room keeps of its own: a 后补助 claim's payment, traceable to its voucher."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from yongke.applications.models import Application


class PaymentRecord(models.Model):
    """Money paid to an organisation's account in force, recorded by finance: the amount, the day,
    the account as it stood (masked) and the voucher number, used once across the plan. A 后补助
    claim's 拨付 (`ClaimPayment`) and a project's tranche (`projects.Payment`) are both one."""

    amount = models.PositiveBigIntegerField("金额（元）")
    paid_on = models.DateField("拨付日期")
    voucher = models.CharField("凭证号", max_length=64, unique=True)
    account_masked = models.CharField("收款账户", max_length=64)
    account_bank = models.CharField("开户银行", max_length=200)
    account_name = models.CharField("户名", max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.voucher} {self.amount} 元"

    @staticmethod
    def account_fields(account: Any) -> dict[str, str]:
        """The account in force (an `orgs.BankAccount`) as a payment keeps it: masked."""
        return {"account_masked": account.number_masked, "account_bank": account.bank, "account_name": account.name}


class ClaimPayment(PaymentRecord):
    """拨付 of a 后补助 claim, recorded by finance with the step (`claim_paid`); its voucher is used
    once across every payment and receipt of the plan (a project's tranches and recoveries
    included: projects.closure)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="claim_payment")

    class Meta:
        verbose_name = "后补助拨付记录"
        verbose_name_plural = "后补助拨付记录"
        ordering = ["paid_on", "id"]

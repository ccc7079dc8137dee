"""What the awards room keeps of its own: a 后补助 claim's payment, traceable to its voucher."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yongke.applications.models import Application


class ClaimPayment(models.Model):
    """拨付 of a 后补助 claim, recorded by finance with the step (`claim_payment`): the amount, the
    account in force it went to and the voucher number, which is used once across every payment
    and receipt of the plan (a project's tranches and recoveries included: projects.closure)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="claim_payment")
    amount = models.PositiveBigIntegerField("金额（元）")
    paid_on = models.DateField("拨付日期")
    voucher = models.CharField("凭证号", max_length=64, unique=True)
    account_masked = models.CharField("收款账户", max_length=64)
    account_bank = models.CharField("开户银行", max_length=200)
    account_name = models.CharField("户名", max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "后补助拨付记录"
        verbose_name_plural = "后补助拨付记录"
        ordering = ["paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.voucher} {self.amount} 元"

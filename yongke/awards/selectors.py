"""Reads of the awards room, each knowing who asks."""

from __future__ import annotations

from yongke.accounts.actors import Viewer
from yongke.applications.models import Application
from yongke.applications.selectors import require_visible
from yongke.awards.models import ClaimPayment


def claim_payment_of(viewer: Viewer, application: Application) -> ClaimPayment | None:
    """The payment (拨付) of a 后补助 claim — amount, date, voucher, the account masked — for
    whoever may see the claim; None before it is paid."""
    if application.funding != "post" or application.state != "paid":
        return None
    require_visible(viewer, application)  # 404 for whoever may not see the claim (no query when read for them)
    return ClaimPayment.objects.filter(application_id=application.pk).first()

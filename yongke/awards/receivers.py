"""What the awards room does when the applications below it announce a change (signals)."""

from __future__ import annotations

from typing import Any

from yongke.applications.models import Application
from yongke.core.errors import YongkeError


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

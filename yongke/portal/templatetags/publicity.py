"""Filters of the 公示 pages: deadlines as people write them (a 24:00 one as "… 24:00") and the
working days left, on the State Council's calendar (yongke/core/workdays.py)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from yongke.core import workdays

register = template.Library()


@register.filter
def deadline(value: dt.datetime | None) -> str:
    """2026-10-13 00:00 Beijing time → "2026-10-12 24:00"."""
    return workdays.format_deadline(value) if value else "—"


@register.filter
def workdays_left(value: dt.datetime | None) -> int:
    return workdays.working_days_left(timezone.now(), value) if value else 0


@register.filter
def outcome_label(value: str) -> str:
    from yongke.portal.objection_forms import OUTCOME_LABELS

    labels = {str(k): v for k, v in OUTCOME_LABELS.items()}
    return str(labels.get(value, value))

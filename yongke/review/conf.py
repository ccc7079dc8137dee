"""The review's settings and their defaults: each round may override them with its own parameter.

settings.py reads them from the environment (YONGKE_REVIEW_AFFINITY_FLOOR,
YONGKE_REVIEW_FAIR_TIME_LIMIT); without them, the defaults here hold.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_AFFINITY_FLOOR = 0.0  # a pair at or below it is never assigned: 0 means "no fit at all"
DEFAULT_FAIR_TIME_LIMIT = 30.0  # seconds fair mode may search before returning its best with the gap


def affinity_floor() -> float:
    return float(getattr(settings, "YONGKE_REVIEW_AFFINITY_FLOOR", DEFAULT_AFFINITY_FLOOR))


def fair_time_limit() -> float:
    return float(getattr(settings, "YONGKE_REVIEW_FAIR_TIME_LIMIT", DEFAULT_FAIR_TIME_LIMIT))

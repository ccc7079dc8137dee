"""Shared test fixtures: the bundled guide, compiled once for the session."""

from __future__ import annotations

import pytest

from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import bundled_guide, load_guide
from yongke.guide.model import Guide


@pytest.fixture(scope="session")
def guide() -> Guide:
    return load_guide()


@pytest.fixture(scope="session")
def compiled() -> CompiledGuide:
    return bundled_guide()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off(settings):
    """The second factor and re-authentication are off unless a test turns them on (tests/test_mfa*)."""
    settings.YONGKE_MFA_REQUIRED = False
    settings.YONGKE_REAUTH_MINUTES = 0

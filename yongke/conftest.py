"""Shared test fixtures: the bundled guide, compiled once for the session."""

from __future__ import annotations

import pytest

from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import bundled_guide, load_guide
from yongke.guide.model import Guide


def pytest_collection_modifyitems(config, items) -> None:
    """`@pytest.mark.suite("postgresql")`: a test of one database's deployment (gunicorn on
    PostgreSQL, the embedded demo on SQLite) runs in that suite and is deselected in the other:
    `make test` runs both, so it still runs once."""
    from django.db import connection

    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        mark = item.get_closest_marker("suite")
        (drop if mark is not None and connection.vendor not in mark.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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

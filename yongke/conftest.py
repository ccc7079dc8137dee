"""Shared test fixtures: the bundled guide, compiled once for the session."""

from __future__ import annotations

import pytest

from yongke.guide.engine import CompiledGuide, bundled_guide
from yongke.guide.spec import Guide, load_guide


@pytest.fixture(scope="session")
def guide() -> Guide:
    return load_guide()


@pytest.fixture(scope="session")
def compiled() -> CompiledGuide:
    return bundled_guide()

"""The shared test world, by the name the test suites import it under; it lives in
`yongke/tests/world.py` (test data, with the directions it uses)."""

from typing import Any

from yongke.tests import world


def __getattr__(name: str) -> Any:
    return getattr(world, name)

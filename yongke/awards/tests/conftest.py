"""Helpers shared by the award tests: valid organisation codes and a quote shortcut."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from yongke.awards.quote import award_quote


def make_uscc(n: int) -> str:
    """A valid 统一社会信用代码 (check character computed), distinct for each n."""
    base = f"91450100MA{n:07d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture
def quote(compiled):
    def _quote(direction: str, facts: dict, **kw):
        return award_quote(compiled, direction=direction, facts=facts, **kw)

    return _quote

"""The management rules (data/rules.yaml) at their limits, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.projects.rules import add_months, budget_problem, extension_problem, parse_rules, rules

R = rules()
DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31))


def test_the_bundled_rules_say_one_extension_of_at_most_a_year_asked_three_months_ahead():
    assert (R.extension_max_times, R.extension_max_months, R.extension_min_months_before_end) == (1, 12, 3)
    assert R.sign_days == 30
    assert [(t.share_pct, t.condition) for t in R.tranches] == [(70, "signing"), (30, "acceptance")]


@given(ends_on=DAYS, early=st.integers(min_value=-200, max_value=200))
def test_an_extension_is_asked_for_on_or_before_three_months_ahead_of_the_end(ends_on, early):
    asked = add_months(ends_on, -3) + dt.timedelta(days=early)
    problem = extension_problem(R, ends_on=ends_on, new_ends_on=ends_on + dt.timedelta(days=30), requested_on=asked, used=0)
    assert (problem is None) == (early <= 0)


@given(ends_on=DAYS, days=st.integers(min_value=1, max_value=800))
def test_an_extension_reaches_at_most_twelve_months_beyond_the_end(ends_on, days):
    new_end = ends_on + dt.timedelta(days=days)
    problem = extension_problem(R, ends_on=ends_on, new_ends_on=new_end, requested_on=ends_on - dt.timedelta(days=400), used=0)
    assert (problem is None) == (new_end <= add_months(ends_on, 12))


def test_a_second_extension_is_refused_by_the_rule():
    end = dt.date(2028, 12, 31)
    assert "最多 1 次" in extension_problem(R, ends_on=end, new_ends_on=dt.date(2029, 3, 31), requested_on=dt.date(2028, 1, 1), used=1)


@pytest.mark.parametrize(
    ("day", "back"),
    [
        (dt.date(2028, 12, 31), dt.date(2028, 9, 30)),
        (dt.date(2028, 5, 31), dt.date(2028, 2, 29)),
        (dt.date(2027, 5, 31), dt.date(2027, 2, 28)),
    ],
)
def test_three_months_before_a_month_end_is_that_months_day_or_its_last(day, back):
    assert add_months(day, -3) == back


LABELS = {"equipment": "设备费", "materials": "材料费", "labour": "劳务费"}


@given(moved=st.integers(min_value=1, max_value=100_000))
def test_money_moved_between_lines_that_may_grow_is_allowed(moved):
    before = {"materials": (200_000, 0), "testing": (100_000, 0)}
    after = {"materials": (200_000 - moved, 0), "testing": (100_000 + moved, 0)}
    assert budget_problem(R, before=before, after=after, labels=LABELS) is None


@given(fiscal=st.integers(min_value=-1000, max_value=1000), own=st.integers(min_value=-1000, max_value=1000))
def test_a_line_that_may_not_grow_is_refused_when_either_part_grows(fiscal, own):
    before = {"equipment": (10_000, 10_000), "materials": (10_000, 10_000)}
    after = {"equipment": (10_000 + fiscal, 10_000 + own), "materials": (10_000 - fiscal, 10_000 - own)}
    problem = budget_problem(R, before=before, after=after, labels=LABELS)
    assert (problem is None) == (fiscal <= 0 and own <= 0)


def test_a_rules_file_whose_shares_do_not_add_up_is_refused():
    raw = {
        "signing": {"days": 30, "source": "x", "reminder_days": 7},
        "payments": {"tranches": [{"label": "a", "share_pct": 60, "condition": "signing"}], "source": "x"},
        "changes": {
            "extension": {"max_times": 1, "max_months": 12, "min_months_before_end": 3, "source": "x"},
            "budget": {"source": "x"},
            "targets": {"source": "x"},
        },
    }
    with pytest.raises(ValueError, match="add up to 100"):
        parse_rules(raw)

"""工作日 on the State Council's calendar: holidays skipped, 调休 Saturdays and Sundays counted,
the start day not counted, the period ending at 24:00 Beijing time of its last working day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.core import workdays

BEIJING = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=BEIJING)


def test_the_2026_national_day_make_up_saturday_is_a_working_day():
    # 国办发明电〔2025〕7号: 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班.
    assert workdays.is_working_day(dt.date(2026, 10, 10))
    assert workdays.is_working_day(dt.date(2026, 9, 20))
    assert not workdays.is_working_day(dt.date(2026, 10, 7))  # a Wednesday, off in exchange
    assert not workdays.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday


def test_a_publicity_spanning_national_day_counts_the_make_up_saturday():
    period = workdays.period_from(at(2026, 9, 29), 5)
    # 9-30 (1), 10-1..7 off, 10-8 (2), 10-9 (3), 10-10 Saturday 调休 (4), 10-12 (5).
    assert period.ends_on == dt.date(2026, 10, 12)
    assert workdays.working_days_between(dt.date(2026, 9, 29), dt.date(2026, 10, 12)) == 5


def test_the_period_ends_at_24_00_beijing_time_of_its_last_day():
    period = workdays.period_from(at(2026, 9, 29), 5)
    assert period.ends_at == dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING)
    assert workdays.format_deadline(period.ends_at) == "2026-10-12 24:00"
    assert workdays.last_day(period.ends_at) == dt.date(2026, 10, 12)


def test_the_2025_national_and_mid_autumn_holiday_counts_its_make_up_sunday():
    # 2025: 10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班.
    period = workdays.period_from(at(2025, 9, 26), 5)
    assert workdays.is_working_day(dt.date(2025, 9, 28))
    assert period.ends_on == dt.date(2025, 10, 10)


def test_the_spring_festival_2026_is_skipped_and_its_make_up_saturday_counted():
    # 2026: 2月15日至23日放假调休，2月14日（周六）、2月28日（周六）上班.
    assert workdays.add_working_days(dt.date(2026, 2, 13), 3) == dt.date(2026, 2, 25)
    assert workdays.holiday_name(dt.date(2026, 2, 17)) == "春节"


def test_the_start_day_is_not_counted():
    assert workdays.add_working_days(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 1)


def test_the_start_is_read_in_beijing_time():
    late_utc = dt.datetime(2026, 9, 28, 17, 0, tzinfo=dt.UTC)  # 2026-09-29 01:00 in Beijing
    assert workdays.period_from(late_utc, 5).starts_on == dt.date(2026, 9, 29)
    assert workdays.period_from(late_utc, 5).ends_on == dt.date(2026, 10, 12)


def test_working_days_left_skip_the_holiday():
    ends = workdays.period_from(at(2026, 9, 29), 5).ends_at
    assert workdays.working_days_left(at(2026, 10, 3), ends) == 4  # 10-8, 10-9, 10-10 (Saturday 调休), 10-12
    assert workdays.working_days_left(at(2026, 10, 12, 23), ends) == 1
    assert workdays.working_days_left(ends, ends) == 0


def test_working_days_left_count_today_while_it_is_a_working_day():
    ends = workdays.period_from(at(2026, 9, 29), 5).ends_at
    assert workdays.working_days_left(at(2026, 9, 30), ends) == 5


def test_a_period_is_provisional_exactly_when_a_year_it_reaches_is_not_announced():
    assert workdays.calendar_announced(2026)
    assert not workdays.period_from(at(2026, 9, 29), 5).provisional
    into_2027 = workdays.period_from(at(2026, 12, 28), 5)
    assert into_2027.ends_on.year == 2027
    assert into_2027.provisional is not workdays.calendar_announced(2027)


@pytest.mark.parametrize("n", [0, -1, 367, True, 2.5])
def test_a_count_out_of_range_is_refused(n):
    with pytest.raises(ValueError, match="working days"):
        workdays.add_working_days(dt.date(2026, 1, 5), n)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        workdays.period_from(dt.datetime(2026, 9, 29, 10), 5)


@given(
    start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 11, 30)),
    n=st.integers(min_value=1, max_value=30),
)
def test_the_last_day_is_the_nth_working_day_after_the_start(start, n):
    last = workdays.add_working_days(start, n)
    assert workdays.is_working_day(last)
    assert workdays.working_days_between(start, last) == n
    assert workdays.working_days_between(start, last - dt.timedelta(days=1)) == n - 1

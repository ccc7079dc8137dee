"""工作日 on the State Council's holiday calendar, 调休 make-up working days included.

A day is a working day unless it is a weekend or a holiday of the State Council's annual
arrangement (国务院办公厅关于放假安排的通知); a weekend day the arrangement turns into a
working day (调休上班) is one. The calendar is the `holidays` library's China calendar, which
carries every year's arrangement since 2001 and is updated when the next one is published —
not a list kept here.

Periods are counted as the Civil Code counts them (《民法典》第二百零一条、第二百零三条): the
day the period starts is not counted, counting starts the next day, and the period ends at
24:00 (Beijing time) of its last day. So "公示5个工作日" published on a Tuesday before 国庆
runs through the fifth working day after it, skipping the holiday and counting a 调休 Saturday.

For a year whose arrangement the library does not hold yet (the State Council publishes it
late in the year before), the calendar knows the statutory holidays and their legal 补假 but
not the swaps; `calendar_announced` tells, so a page can say the end date is provisional.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from holidays.countries.china import China, ChinaStaticHolidays

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366  # a period longer than a year of working days is a mistake, not a period


@functools.cache
def _calendar(year: int) -> China:
    return China(years=year)


def calendar_announced(year: int) -> bool:
    """Whether the library holds the State Council's arrangement (调休) for `year`."""
    return year in ChinaStaticHolidays.special_public_holidays


def is_working_day(day: dt.date) -> bool:
    """A weekday that is no holiday, or a weekend day made a working day by 调休."""
    return bool(_calendar(day.year).is_working_day(day))


def holiday_name(day: dt.date) -> str | None:
    """The holiday's Chinese name (e.g. 国庆节, 休息日（由 2026-10-10 调休）), or None."""
    name = _calendar(day.year).get(day)
    return str(name) if name is not None else None


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the start itself is not counted)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_DAYS:
        raise ValueError(f"working days must be 1 to {MAX_DAYS}, not {n!r}")
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The working days after `start`, up to and including `end` (0 when end <= start)."""
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        n += is_working_day(day)
    return n


def end_of_day(day: dt.date) -> dt.datetime:
    """24:00 Beijing time of `day`: the first instant of the next day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)


def last_day(ends_at: dt.datetime) -> dt.date:
    """The day a deadline falls on, a 24:00 deadline counting as its own day (not the next)."""
    local = ends_at.astimezone(BEIJING)
    return (local - dt.timedelta(microseconds=1)).date() if local.time() == dt.time(0) else local.date()


def format_deadline(ends_at: dt.datetime) -> str:
    """A deadline as people write it in Beijing time: a 24:00 one as "2026-10-12 24:00"."""
    local = ends_at.astimezone(BEIJING)
    if local.time() == dt.time(0):
        return f"{last_day(ends_at).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Period:
    """A period of working days: published on `starts_on`, open until `ends_at` (24:00 of `ends_on`)."""

    starts_on: dt.date
    ends_on: dt.date
    ends_at: dt.datetime
    working_days: int
    provisional: bool  # it reaches a year whose 调休 arrangement the calendar does not hold yet


def period_from(start: dt.datetime, n: int) -> Period:
    """A period of `n` working days starting at `start` (an aware time), ending at 24:00 Beijing time."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    first = start.astimezone(BEIJING).date()
    last = add_working_days(first, n)
    return Period(first, last, end_of_day(last), n, provisional=_provisional(first, last))


def period_of(start: dt.datetime, ends_at: dt.datetime) -> Period:
    """The period between a start and a recorded end, its working days counted."""
    first = start.astimezone(BEIJING).date()
    last = last_day(ends_at)
    return Period(first, last, ends_at, working_days_between(first, last), provisional=_provisional(first, last))


def working_days_left(now: dt.datetime, ends_at: dt.datetime) -> int:
    """Working days still open before a deadline: today counts while it is a working day."""
    if now >= ends_at:
        return 0
    today = now.astimezone(BEIJING).date()
    return int(is_working_day(today)) + working_days_between(today, last_day(ends_at))


def _provisional(first: dt.date, last: dt.date) -> bool:
    return not all(calendar_announced(y) for y in range(first.year, last.year + 1))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

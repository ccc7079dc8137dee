"""Amounts as people type them (yongke.core.money): read exactly, or refused with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.core.money import MAX_AMOUNT, MAX_COUNT, MoneyError, check_amount, format_wan, parse_count, parse_yuan


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("5000万", 50_000_000),
        ("5,000万元", 50_000_000),
        ("5000 万元", 50_000_000),
        ("50000000", 50_000_000),
        ("49,999,999", 49_999_999),
        ("5000.5万", 50_005_000),
        ("1.2亿", 120_000_000),
        ("3千万", 30_000_000),
        ("80万元", 800_000),
        ("800,000元", 800_000),
        ("１２３４", 1234),  # full-width digits
        ("５，０００万元", 50_000_000),  # full-width digits and comma
        ("１．５万", 15_000),  # full-width point
        ("￥5,000", 5000),
        ("  120万  ", 1_200_000),
        ("100.00", 100),  # a whole number written with decimals is still whole
        ("0", 0),
    ],
)
def test_amounts_people_type_are_read_exactly(typed, yuan):
    assert parse_yuan(typed) == yuan


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("五千万", "format"),  # Chinese numerals are not read
        ("5e7", "format"),
        ("abc", "format"),
        ("5,00万", "format"),  # thousands separators must group by three
        ("50,0000", "format"),
        ("5000万美元", "format"),
        ("万", "format"),
        ("5.", "format"),
        ("1万亿", "format"),
        ("-5万", "negative"),
        ("0.5", "fraction"),  # a fraction of a yuan is refused, not rounded
        ("1.00001万", "fraction"),
        ("12345678901234567890123456", "too_large"),  # the 26 digits that once gave an HTTP 500
        ("10001亿", "too_large"),
        ("9" * 80, "too_long"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed, code):
    with pytest.raises(MoneyError) as refused:
        parse_yuan(typed)
    assert refused.value.code == code
    assert refused.value.message  # Chinese, for people


def test_a_trillion_yuan_is_the_largest_amount():
    assert parse_yuan("10000亿") == MAX_AMOUNT == 10**12
    with pytest.raises(MoneyError) as refused:
        parse_yuan(str(MAX_AMOUNT + 1))
    assert refused.value.limit == MAX_AMOUNT


def test_a_smaller_bound_can_be_asked_for():
    assert parse_yuan("30万", maximum=300_000) == 300_000
    with pytest.raises(MoneyError):
        parse_yuan("30.0001万", maximum=300_000)


@given(st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_every_amount_reads_back_from_its_grouped_and_its_wan_forms(yuan):
    assert parse_yuan(f"{yuan:,}") == yuan
    assert parse_yuan(f"{yuan}元") == yuan
    wan = format_wan(yuan).removesuffix(" 万元")
    assert parse_yuan(f"{wan}万") == yuan  # exact: 1,234.5678万 is 12,345,678 元


@given(st.decimals(min_value=0, max_value=10**8, places=4, allow_nan=False, allow_infinity=False))
def test_wan_with_up_to_four_decimals_is_whole_yuan(wan):
    assert parse_yuan(f"{wan}万") == int(Decimal(wan) * 10_000)


@given(st.integers(min_value=1, max_value=9999))
def test_a_fraction_of_a_yuan_in_wan_is_refused(ten_thousandths_of_a_yuan):
    text = f"1.{ten_thousandths_of_a_yuan:04d}1万"  # five decimals of 万: a tenth of a yuan at least
    with pytest.raises(MoneyError) as refused:
        parse_yuan(text)
    assert refused.value.code == "fraction"


@pytest.mark.parametrize(("typed", "count"), [("3", 3), ("1,200", 1200), ("１２", 12), (str(MAX_COUNT), MAX_COUNT)])
def test_counts_are_whole_numbers_up_to_a_million(typed, count):
    assert parse_count(typed) == count


@pytest.mark.parametrize(
    ("typed", "code"),
    [("1" * 26, "too_large"), (str(MAX_COUNT + 1), "too_large"), ("-1", "negative"), ("1.5", "format"), ("3件", "format"), ("", "empty")],
)
def test_counts_beyond_a_million_or_not_whole_are_refused(typed, code):
    with pytest.raises(MoneyError) as refused:
        parse_count(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("value", "code"), [(True, "format"), ("100", "format"), (100.0, "format"), (-1, "negative"), (10**25, "too_large")]
)
def test_an_amount_given_as_data_must_be_whole_yuan_within_bounds(value, code):
    with pytest.raises(MoneyError) as refused:
        check_amount(value)
    assert refused.value.code == code


def test_wan_is_exact():
    assert format_wan(12_345_678) == "1,234.5678 万元"
    assert format_wan(50_000_000) == "5,000 万元"
    assert format_wan(0) == "0 万元"

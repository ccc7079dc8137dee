"""Identifier validation: 统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643-1999).

Pure functions, no Django. python-stdnum computes the check characters; its USCC
`validate` refuses codes whose characters 1–8 are not all digits, but GB 32100 allows
letters in positions 1–2 (registration authority and organisation category, e.g. "N1"
for farmers' cooperatives, "Y1" for trade unions), so the format is checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

from yongke.core.regions import NANNING_DISTRICTS, NANNING_ZONES, RECOMMENDING_UNITS

# The recommending units are re-exported for the registry's readers.
__all__ = [
    "NANNING_DISTRICTS",
    "NANNING_ZONES",
    "RECOMMENDING_UNITS",
    "USCC_ALPHABET",
    "Verdict",
    "check_id_number",
    "check_uscc",
    "clean_bank_account",
    "id_with_check",
    "mask_bank_account",
    "mask_id_number",
    "uscc_with_check",
]

_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Verdict:
    valid: bool
    value: str
    reason: str = ""
    code: str = ""

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"valid": self.valid, "value": self.value}
        if not self.valid:
            d.update(reason=self.reason, code=self.code)
        return d


def check_uscc(raw: str) -> Verdict:
    """Check a 统一社会信用代码; the verdict names the reason when it is not valid."""
    value = str(raw or "").strip().upper().replace(" ", "").replace("-", "")
    if len(value) != 18:
        return Verdict(False, value, f"长度应为18位，实际{len(value)}位 / wrong length", "wrong_length")
    bad = [c for c in value if c not in USCC_ALPHABET]
    if bad:
        return Verdict(
            False,
            value,
            f"含有不允许的字符 {''.join(dict.fromkeys(bad))}（不使用 I、O、Z、S、V）/ character outside the set",
            "bad_character",
        )
    if not value[2:8].isdigit():
        return Verdict(False, value, "第3至8位应为登记管理机关行政区划码（数字）/ positions 3-8 must be the area code", "bad_area_code")
    expected = _uscc.calc_check_digit(value[:17])
    if value[17] != expected:
        return Verdict(False, value, f"校验码错误，应为 {expected} / wrong check character", "wrong_check_character")
    return Verdict(True, value)


def uscc_with_check(first17: str) -> str:
    """The full code for 17 characters: used by the demo data and the tests."""
    return first17 + _uscc.calc_check_digit(first17)


def check_id_number(raw: str) -> Verdict:
    """Check an 18-digit 居民身份证号码: area, a real birth date not in the future, check digit."""
    value = str(raw or "").strip().upper()
    if len(value) != 18:
        return Verdict(False, value, f"长度应为18位，实际{len(value)}位 / wrong length", "wrong_length")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return Verdict(False, value, "前17位应为数字，末位为数字或X / bad format", "bad_character")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return Verdict(False, value, "出生日期不存在 / not a real birth date", "bad_birth_date")
    if birth > dt.date.today() or birth.year < 1900:
        return Verdict(False, value, "出生日期不合理 / birth date out of range", "bad_birth_date")
    if value[:2] not in _PROVINCES:
        return Verdict(False, value, "前两位不是有效的省级行政区划代码 / bad area code", "bad_area_code")
    # stdnum's own validate() also looks the county up in a table that lags behind GB/T 2260
    # (it refuses Nanning's 450102), so only its check-digit arithmetic is used here.
    if value[17] != _ric.calc_check_digit(value):
        return Verdict(False, value, "校验码错误 / wrong check digit", "wrong_check_digit")
    return Verdict(True, value)


def id_with_check(first17: str) -> str:
    return first17 + _ric.calc_check_digit(first17 + "0")  # stdnum expects a placeholder check digit


def mask_id_number(value: str) -> str:
    """`4501**********123X`: the first four and the last four characters."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def clean_bank_account(raw: str) -> str:
    """A bank account number as digits (spaces and dashes dropped): 8 to 30 of them."""
    value = re.sub(r"[\s\-－]", "", str(raw or ""))
    if not value.isdigit() or not 8 <= len(value) <= 30:
        raise ValueError("银行账号应为8至30位数字 / 8 to 30 digits")
    return value


def mask_bank_account(value: str) -> str:
    """`6222 **** **** 1234`-style: the first four and the last four digits."""
    return mask_id_number(value)

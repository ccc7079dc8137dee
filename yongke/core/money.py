"""Amounts and counts as people type them: "5000万", "5,000万元", "１．２亿", "49,999,999".

Pure (no Django): the portal's money fields, the CLI and the services share the parser and the
bounds. The value is exact — decimal arithmetic, never a float — and whole yuan: "5000.5万" is
50,005,000 元, while half a yuan or "1.00001万" (a fraction of a yuan) is refused, not rounded. A
refusal says why (`MoneyError.code` for a face to word it in its language, `.message` in
Chinese).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = 10**12  # a trillion yuan: above any budget, request or claim
MAX_COUNT = 10**6  # above any count of people, days, patents, sites or experts
# The bound of a guide fact that counts or measures (int, number): above any herd, flock, attendance,
# area in 亩 or m² a commitment states (10.1: 辐射区禽类50万羽 is a floor; 37.1: 不少于1000人次).
MAX_FACT = 10**9
MAX_TEXT = 64  # characters: nobody types a longer amount; a longer one is not read at all

# The multiplier of each unit word; "元" alone multiplies by one. Longest first for the pattern.
UNITS: dict[str, int] = {"千万": 10**7, "百万": 10**6, "亿": 10**8, "万": 10**4, "千": 10**3}
_NUMBER = r"(?P<sign>[-+])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d+))?"
_AMOUNT = re.compile(r"^[¥]?\s*" + _NUMBER + r"\s*(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")?\s*(?P<yuan>元|圆)?$")
_COUNT = re.compile(r"^(?P<sign>[-+])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)$")


class MoneyError(ValueError):
    """Not an amount (or a count) we accept: `code` is stable, `message` Chinese, `limit` the bound broken."""

    def __init__(self, code: str, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.limit = limit


def normalise(text: str) -> str:
    """Full-width digits, commas, points and spaces as their ASCII forms (NFKC), trimmed.

    "，" and "、" both separate thousands when people type them; "。" is not a decimal point.
    """
    folded = unicodedata.normalize("NFKC", text).replace("、", ",")
    return folded.strip()


def parse_yuan(text: str, *, maximum: int = MAX_AMOUNT) -> int:
    """Whole yuan from what a person typed; MoneyError with the reason otherwise."""
    raw = normalise(text)
    if not raw:
        raise MoneyError("empty", "请填写金额")
    if len(raw) > MAX_TEXT:
        raise MoneyError("too_long", f"金额过长（最多 {MAX_TEXT} 个字符）", limit=maximum)
    m = _AMOUNT.match(raw)
    if m is None or (m["int"] is None and m["frac"] is None):
        raise MoneyError("format", "无法识别的金额：请填写数字，可带单位“万”“亿”“元”，如 5000万、5,000万元、50000000")
    if m["sign"] == "-":
        raise MoneyError("negative", "金额不能为负数")
    number = Decimal((m["int"] or "0").replace(",", "") + ("." + m["frac"] if m["frac"] else ""))
    value = number * UNITS.get(m["unit"] or "", 1)
    return _whole(value, maximum)


def _whole(value: Decimal, maximum: int) -> int:
    if value > maximum:
        raise MoneyError("too_large", f"金额超过上限 {format_yuan(maximum)}", limit=maximum)
    try:
        whole = value.to_integral_exact()
    except InvalidOperation:  # pragma: no cover - a bounded decimal always has an integral part
        raise MoneyError("format", "无法识别的金额") from None
    if whole != value:
        raise MoneyError("fraction", "金额须为整数元，不能有角、分（不足一元的部分）")
    return int(whole)


def parse_count(text: str, *, maximum: int = MAX_COUNT) -> int:
    """A whole count (件, 项, 人, 天 …) from what a person typed; MoneyError with the reason otherwise."""
    raw = normalise(text)
    if not raw:
        raise MoneyError("empty", "请填写数量")
    if len(raw) > MAX_TEXT:
        raise MoneyError("too_long", f"数量过长（最多 {MAX_TEXT} 个字符）", limit=maximum)
    m = _COUNT.match(raw)
    if m is None:
        raise MoneyError("format", "应为整数，如 3 或 1,200")
    if m["sign"] == "-":
        raise MoneyError("negative", "不能为负数")
    value = int(m["int"].replace(",", ""))
    if value > maximum:
        raise MoneyError("too_large", f"超过上限 {maximum:,}", limit=maximum)
    return value


def check_amount(value: object, *, maximum: int = MAX_AMOUNT) -> int:
    """An amount already a number (JSON, a service argument): whole yuan, not a flag, within the bound."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError("format", "金额应为整数（元）")
    if value < 0:
        raise MoneyError("negative", "金额不能为负数")
    if value > maximum:
        raise MoneyError("too_large", f"金额超过上限 {format_yuan(maximum)}", limit=maximum)
    return value


def format_yuan(value: int) -> str:
    """50000000 → "50,000,000 元" """
    return f"{value:,} 元"


def wan_number(value: int) -> str:
    """50000000 → "5,000"; 12345678 → "1,234.5678": the amount in 万 (ten thousands), exact."""
    text = f"{Decimal(value) / 10_000:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_wan(value: int) -> str:
    """50000000 → "5,000 万元"; 12345678 → "1,234.5678 万元" (exact, no rounding)."""
    return f"{wan_number(value)} 万元"

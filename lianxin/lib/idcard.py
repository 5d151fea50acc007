"""Citizen ID numbers (GB 11643-1999, 18 characters)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

from lianxin.lib.errors import InvalidValue

# Full-width ASCII block (U+FF01–U+FF5E) maps onto U+0021–U+007E at a fixed offset.
_HALFWIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
# Invisible characters that survive copy-paste from Word/Excel but are not str.isspace().
_INVISIBLE = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None})

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# The weighted sum over the ASCII codes of 17 digits is the sum over the digits plus this.
_CODE_OFFSET = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"
_LAST_CHARS = frozenset("0123456789X")
_MIN_BIRTH = date(1900, 1, 1)
_DIGITS17 = re.compile(r"[0-9]{17}")


def to_halfwidth(value: str) -> str:
    """Convert full-width ASCII characters (digits, letters, punctuation) to half-width."""
    return value.translate(_HALFWIDTH)


def strip_spaces(value: str) -> str:
    """Remove all whitespace (including the full-width space) and zero-width characters."""
    return "".join(value.translate(_INVISIBLE).split())


def normalize(value: str) -> str:
    """Strip whitespace, convert full-width characters and upper-case a trailing x."""
    value = to_halfwidth(strip_spaces(value))
    if value.endswith("x"):
        value = value[:-1] + "X"
    return value


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if not _DIGITS17.fullmatch(first17):
        raise InvalidValue("身份证号前17位应为17位数字")
    return _check_char(first17)


def _check_char(first17: str) -> str:
    # An import parses one number per row: the sum runs over the bytes in C, no int() per digit.
    return _CHECK_CHARS[(sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _CODE_OFFSET) % 11]


@dataclass(frozen=True)
class IdCard:
    """A validated citizen ID number and what it encodes."""

    number: str
    region_code: str
    birth_date: date
    sex: str  # 'M' or 'F'


def parse(value: str, *, today: date | None = None) -> IdCard:
    """Normalize and validate an ID number; raise InvalidValue with a Chinese reason."""
    if (
        len(value) == 18
        and value.isascii()
        and value[:17].isdigit()
        and value[17] in "0123456789Xx"
    ):
        # The usual cell: already 18 half-width characters, nothing to normalize.
        number = value if value[17] != "x" else value[:17] + "X"
    else:
        number = normalize(value)
        if not number:
            raise InvalidValue("身份证号不能为空")
        if len(number) == 15 and number.isdigit():
            raise InvalidValue("15位旧身份证号请换成18位")
        if len(number) != 18:
            raise InvalidValue(f"身份证号应为18位，现为{len(number)}位")
        for pos, ch in enumerate(number[:17], start=1):
            if not ("0" <= ch <= "9"):
                raise InvalidValue(f"身份证号第{pos}位应为数字，现为“{ch}”")
        if number[17] not in _LAST_CHARS:
            raise InvalidValue(f"身份证号最后一位应为数字或X，现为“{number[17]}”")

    if number[0] == "0":
        raise InvalidValue(f"身份证号地区码无效：{number[:6]}")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth < _MIN_BIRTH or birth > (today or date.today()):
        shown = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        if birth is None:
            raise InvalidValue(f"出生日期不存在：{shown}")
        if birth < _MIN_BIRTH:
            raise InvalidValue(f"出生日期早于1900年：{shown}")
        raise InvalidValue(f"出生日期在未来：{shown}")

    expected = _check_char(number[:17])
    if number[17] != expected:
        raise InvalidValue(f"校验位错误，应为 {expected}")
    return IdCard(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        sex="M" if number[16] in "13579" else "F",
    )


def is_valid(value: str, *, today: date | None = None) -> bool:
    """True if ``value`` parses as a valid ID number."""
    try:
        parse(value, today=today)
    except InvalidValue:
        return False
    return True


def compose(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid number from its parts (sequence 0–999; odd = male), for demo and test data."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)

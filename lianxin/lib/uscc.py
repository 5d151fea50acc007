"""Unified social credit codes (GB 32100-2015, 18 characters)."""

from __future__ import annotations

from lianxin.lib.errors import InvalidValue
from lianxin.lib.idcard import strip_spaces, to_halfwidth

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize(value: str) -> str:
    """Strip whitespace, convert full-width characters and upper-case."""
    return to_halfwidth(strip_spaces(value)).upper()


def check_char(first17: str) -> str:
    """Check character for the first 17 characters (mod 31 over the code alphabet)."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise InvalidValue("统一社会信用代码前17位应为17个合法字符")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(value: str) -> str:
    """Return the normalized code or raise InvalidValue with a Chinese reason."""
    code = normalize(value)
    if not code:
        raise InvalidValue("统一社会信用代码不能为空")
    if len(code) != 18:
        raise InvalidValue(f"统一社会信用代码应为18位，现为{len(code)}位")
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise InvalidValue(
                f"统一社会信用代码第{pos}位含非法字符“{ch}”（只能是数字和除 I、O、S、V、Z 外的大写字母）"
            )
    expected = check_char(code[:17])
    if code[17] != expected:
        raise InvalidValue(f"统一社会信用代码校验位错误，应为 {expected}")
    return code


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid unified social credit code."""
    try:
        validate(value)
    except InvalidValue:
        return False
    return True

"""Mainland China mobile numbers."""

from __future__ import annotations

import re

from lianxin.lib.errors import InvalidValue
from lianxin.lib.idcard import strip_spaces, to_halfwidth

_SEPARATORS = str.maketrans({"-": None, "\u2010": None, "\u2013": None, "\u2014": None})
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DIGITS = re.compile(r"[0-9]+")


def normalize_mobile(value: str) -> str:
    """Return the 11-digit mobile number or raise InvalidValue with a Chinese reason."""
    if len(value) == 11 and value.isascii() and value.isdigit() and _MOBILE.fullmatch(value):
        # The usual cell: nothing to normalize.
        return value
    text = to_halfwidth(strip_spaces(value)).translate(_SEPARATORS)
    if not text:
        raise InvalidValue("手机号不能为空")
    if text.startswith("+86"):
        text = text[3:]
    elif len(text) == 15 and text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not _DIGITS.fullmatch(text):
        raise InvalidValue("手机号应为11位数字，不能包含其他字符")
    if len(text) != 11:
        raise InvalidValue(f"手机号应为11位数字，现为{len(text)}位")
    if not _MOBILE.fullmatch(text):
        raise InvalidValue("手机号应以13–19开头")
    return text


def is_valid(value: str) -> bool:
    """True if ``value`` is a mainland mobile number."""
    try:
        normalize_mobile(value)
    except InvalidValue:
        return False
    return True

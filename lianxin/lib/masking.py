"""Masking of ID numbers and mobile numbers for display, logs and audit values."""

from __future__ import annotations

import re

_SPACING = re.compile(r"[\s\-]")

# \d (not [0-9]) so full-width digits in free text are caught too; lookarounds rather than \b
# because Chinese characters count as word characters. An ID number may be typed in groups
# ("510184 19800101 002X"), which the search box accepts.
_SENSITIVE = re.compile(
    r"(?P<id>(?<!\d)\d{6}[ \-]?\d{8}[ \-]?\d{3}(?:\d(?!\d)|[Xx]))"
    r"|(?P<phone>(?<!\d)(?:\+86[ \-]?)?[1１][3-9３-９]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})(?!\d))"
)


def mask_id_number(value: str) -> str:
    """Keep the region code and the last four characters: '510184********1234'."""
    value = _SPACING.sub("", value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """Hide the four digits before the last four: '138****1234' (or '+86138****1234')."""
    value = _SPACING.sub("", value)
    if len(value) < 11:
        return "*" * len(value)
    return value[:-8] + "****" + value[-4:]


def _replace(match: re.Match[str]) -> str:
    if match.group("id") is not None:
        return mask_id_number(match.group("id"))
    return mask_phone(match.group("phone"))


def scrub(text: str) -> str:
    """Mask every ID-number-like token and mainland mobile number inside free text."""
    return _SENSITIVE.sub(_replace, text)


def contains_sensitive(text: str) -> bool:
    """Whether free text holds something that looks like an ID number or a mobile number.

    An 18-character all-digit token that is a valid unified social credit code (GB 32100) and not
    a valid ID number is an enterprise's public code, not a person's: it does not count, so an
    enterprise can still be looked up by its code in a link."""
    from lianxin.lib import idcard, uscc

    for match in _SENSITIVE.finditer(text):
        token = match.group("id")
        if token is None or idcard.is_valid(token) or not uscc.is_valid(token):
            return True
    return False

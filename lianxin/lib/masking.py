"""Masking of ID numbers and mobile numbers for display, logs and audit values."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

# Characters that do not show, typed or pasted inside a number: left in, they would carry it
# past every pattern below while the search (lib/idcard.normalize) still finds the person.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Everything a person (or an input method) types between digit groups: spaces, the full-width
# space, and the hyphen and dash variants that lib/phone accepts.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d"
_SEP = f"[ \u3000{_DASHES}]"
_SPACING = re.compile(rf"[\s{_DASHES}]")
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}

# \d (not [0-9]) so full-width digits in free text are caught too; lookarounds rather than \b
# because Chinese characters count as word characters. An ID number may be typed in groups
# ("510184 19800101 002X"), which the search box accepts.
_SENSITIVE = re.compile(
    rf"(?P<id>(?<!\d)\d{{6}}{_SEP}?\d{{8}}{_SEP}?\d{{3}}(?:\d(?!\d)|[XxＸｘ]))"
    rf"|(?P<phone>(?<!\d)(?:[+＋]86{_SEP}?)?[1１][3-9３-９]\d(?:\d{{8}}|{_SEP}\d{{4}}{_SEP}\d{{4}})(?!\d))"
)


def visible(text: str) -> str:
    """The text without the characters that do not show (zero-width spaces, soft hyphens)."""
    return text.translate(_INVISIBLE)


def compact(text: str) -> str:
    """The text as the search reads a typed number: nothing invisible, no spaces or dashes,
    half-width. For short values (a query parameter, a username), not free text."""
    return _SPACING.sub("", visible(text)).translate(_FULL_WIDTH)


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
    return _SENSITIVE.sub(_replace, visible(text))


def contains_sensitive(text: str) -> bool:
    """Whether a short value holds something that looks like an ID number or a mobile number,
    as typed (in groups, with dashes) or as the search would read it (see compact).

    An 18-character all-digit token that is a valid unified social credit code (GB 32100) and not
    a valid ID number is an enterprise's public code, not a person's: it does not count, so an
    enterprise can still be looked up by its code in a link."""
    from lianxin.lib import idcard, uscc

    for form in {visible(text), compact(text)}:
        for match in _SENSITIVE.finditer(form):
            token = match.group("id")
            if token is None:
                return True
            token = compact(token)
            if idcard.is_valid(token) or not uscc.is_valid(token):
                return True
    return False


def query_has_sensitive(query: str) -> bool:
    """Whether any name or value of a URL query string holds an ID number or a mobile number."""
    return any(
        contains_sensitive(text)
        for pair in parse_qsl(query, keep_blank_values=True)
        for text in pair
    )

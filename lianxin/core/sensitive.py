"""Sealing sensitive values for storage: ciphertext, keyed hash for exact search, masked copy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from lianxin.lib import idcard, phone
from lianxin.lib.crypto import FieldCipher
from lianxin.lib.masking import mask_id_number, mask_phone


@cache
def cipher() -> FieldCipher:
    """The process-wide cipher built from the key outside the database."""
    return FieldCipher(settings.FIELD_KEY)


@dataclass(frozen=True)
class Sealed:
    enc: str
    hash: str
    masked: str


def seal_id_number(value: str) -> tuple[Sealed, idcard.IdCard]:
    """Validate an ID number and seal it; raises InvalidValue with a Chinese reason."""
    card = idcard.parse(value)
    c = cipher()
    return Sealed(c.encrypt(card.number), c.hash(card.number), mask_id_number(card.number)), card


def seal_phone(value: str) -> Sealed:
    """Validate a mainland mobile number and seal it; empty stays empty."""
    if not value or not value.strip():
        return Sealed("", "", "")
    number = phone.normalize_mobile(value)
    c = cipher()
    return Sealed(c.encrypt(number), c.hash(number), mask_phone(number))


def clear_birth_year(birth: dt.date, registered: dt.date) -> int:
    """The birth year kept in clear for the age rules: no later than the year before
    registration. The registration time is in clear too (created_at, the audit row), so the
    true year of a baby registered in its own birth year would narrow its birth date to the days
    before registration — a baby registered on 3 January to one or two ID numbers. Filed under
    the year before, every resident's birth date stays spread over at least 365 days."""
    return min(birth.year, registered.year - 1)


def id_number_hash(value: str) -> str | None:
    """The search hash of a typed ID number, or None when it is not a valid one."""
    try:
        card = idcard.parse(value)
    except ValueError:
        return None
    return cipher().hash(card.number)


def phone_hash(value: str) -> str | None:
    try:
        return cipher().hash(phone.normalize_mobile(value))
    except ValueError:
        return None


def unseal(enc: str) -> str:
    return cipher().decrypt(enc) if enc else ""

"""Sealing sensitive values for storage: ciphertext, keyed hash for exact search, masked copy.

Every sealed value is bound to its column and its row (the row's `seal_ref`, see
core.models.SealedRow): `label` names the column ("people.resident.phone"), `ref` the row."""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.conf import settings
from django.db import models

from lianxin.lib import idcard, phone
from lianxin.lib.crypto import Keyring, LookupHasher
from lianxin.lib.sealing import Sealed as Sealed
from lianxin.lib.sealing import seal_id_number as _seal_id_number
from lianxin.lib.sealing import seal_phone as _seal_phone


@cache
def keyring() -> Keyring:
    """The process-wide keyring built from the keys outside the database."""
    return Keyring(settings.FIELD_KEY, settings.FIELD_KEYS_OLD)


@cache
def hasher() -> LookupHasher:
    return LookupHasher(settings.LOOKUP_KEY)


def forget_keys() -> None:
    """Drop the cached keyring and hasher (after the settings changed: tests, key rotation)."""
    keyring.cache_clear()
    hasher.cache_clear()


def seal(value: str, *, label: str, ref: str) -> str:
    return keyring().encrypt(value, label=label, ref=ref)


def seal_id_number(value: str, *, label: str, ref: str) -> tuple[Sealed, idcard.IdCard]:
    """Validate an ID number and seal it; raises InvalidValue with a Chinese reason."""
    return _seal_id_number(keyring(), hasher(), value, label=label, ref=ref)


def seal_phone(value: str, *, label: str, ref: str) -> Sealed:
    """Validate a mainland mobile number and seal it; empty stays empty."""
    return _seal_phone(keyring(), hasher(), value, label=label, ref=ref)


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
    return hasher().hash(card.number)


def phone_hash(value: str) -> str | None:
    try:
        return hasher().hash(phone.normalize_mobile(value))
    except ValueError:
        return None


def unseal(enc: str, *, label: str, ref: str) -> str:
    return keyring().decrypt(enc, label=label, ref=ref) if enc else ""


def reseal(enc: str, *, label: str, ref: str, to_ref: str) -> str:
    """`enc`, sealed for row `ref`, sealed again for row `to_ref` (under the current key)."""
    return seal(unseal(enc, label=label, ref=ref), label=label, ref=to_ref) if enc else ""


def unseal_field(obj: models.Model, field: str) -> str:
    """The plaintext of `obj`'s sealed `field` (a SealedRow's), "" when it has none."""
    return unseal(
        getattr(obj, f"{field}_enc"),
        label=obj.seal_label(field),  # type: ignore[attr-defined]
        ref=obj.seal_ref,  # type: ignore[attr-defined]
    )

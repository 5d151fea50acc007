"""Sealing a person's ID number and mobile number (validated, encrypted, hashed, masked), and
the pinyin initials of the name: the per-row work of an import, batch by batch.

Django-free, so that an import can run it in a worker process of its own (started with
`spawn`, given the keys) while its own process checks and writes the previous batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from lianxin.lib import idcard, phone
from lianxin.lib.crypto import Keyring, LookupHasher
from lianxin.lib.errors import InvalidValue
from lianxin.lib.masking import mask_id_number, mask_phone
from lianxin.lib.pinyin import initials

# Chinese names repeat a great deal across a county (276,000 distinct names among 670,000
# residents): pinyin is worth caching for the length of an import, bounded (some 250 bytes a
# name) so that memory stays flat however long the file is.
NAMES_CACHED = 131072


class Sealed(NamedTuple):
    """A sealed value: its token, its lookup hash, its masked form. A tuple (not a dataclass),
    so that an import's batches go to and from its worker and its spool without a Python
    call per value."""

    enc: str
    hash: str
    masked: str


NOTHING = Sealed("", "", "")


def seal_id_number(
    ring: Keyring, hasher: LookupHasher, value: str, *, label: str, ref: str
) -> tuple[Sealed, idcard.IdCard]:
    """Validate an ID number and seal it; raises InvalidValue with a Chinese reason."""
    card = idcard.parse(value)
    enc = ring.encrypt(card.number, label=label, ref=ref)
    return Sealed(enc, hasher.hash(card.number), mask_id_number(card.number)), card


def seal_phone(ring: Keyring, hasher: LookupHasher, value: str, *, label: str, ref: str) -> Sealed:
    """Validate a mainland mobile number and seal it; empty stays empty."""
    if not value or not value.strip():
        return NOTHING
    number = phone.normalize_mobile(value)
    return Sealed(
        ring.encrypt(number, label=label, ref=ref), hasher.hash(number), mask_phone(number)
    )


# One row to seal: (ID number cell, phone cell, name, the row's seal reference).
PersonCells = tuple[str, str, str, str]
# Its result: the seal reference, the sealed ID number or why it is refused, the card's sex and
# birth date (or None), the sealed phone or why it is refused, the name's initials.
SealedPerson = tuple[str, Sealed | str, str, dt.date | None, Sealed | str, str]


class PersonSealer:
    """Seals rows of PersonCells with a keyring and a lookup hasher, for the given columns."""

    def __init__(
        self, ring: Keyring, hasher: LookupHasher, *, id_label: str, phone_label: str
    ) -> None:
        self.ring = ring
        self.hasher = hasher
        self.id_label = id_label
        self.phone_label = phone_label
        self.initials = lru_cache(maxsize=NAMES_CACHED)(initials)

    def __repr__(self) -> str:
        return f"PersonSealer({self.id_label}, {self.phone_label})"

    def seal(self, rows: Sequence[PersonCells | None]) -> list[SealedPerson | None]:
        """Each row sealed, in order; None stays None (a row not to seal)."""
        out: list[SealedPerson | None] = []
        ring, hasher = self.ring, self.hasher
        for row in rows:
            if row is None:
                out.append(None)
                continue
            id_text, phone_text, name, ref = row
            sealed_id: Sealed | str
            sex, birth = "", None
            try:
                sealed_id, card = seal_id_number(
                    ring, hasher, id_text, label=self.id_label, ref=ref
                )
                sex, birth = card.sex, card.birth_date
            except InvalidValue as exc:
                sealed_id = str(exc)
            sealed_phone: Sealed | str
            try:
                sealed_phone = seal_phone(ring, hasher, phone_text, label=self.phone_label, ref=ref)
            except InvalidValue as exc:
                sealed_phone = str(exc)
            out.append((ref, sealed_id, sex, birth, sealed_phone, self.initials(name)))
        return out


# The worker process's sealer (one per process, made by start_worker).
_worker: PersonSealer | None = None


def start_worker(
    field_key: str, old_field_keys: Sequence[str], lookup_key: str, id_label: str, phone_label: str
) -> None:
    """A worker process's initializer: its sealer, under the keys its parent passed."""
    global _worker
    _worker = PersonSealer(
        Keyring(field_key, old_field_keys),
        LookupHasher(lookup_key),
        id_label=id_label,
        phone_label=phone_label,
    )


def seal_in_worker(rows: Sequence[PersonCells | None]) -> list[SealedPerson | None]:
    assert _worker is not None, "start_worker first"
    return _worker.seal(rows)

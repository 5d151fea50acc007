"""Version 1 sealed values (one key, bound to nothing) sealed again as version 2 (key id, bound
to column and row), for the migrations that gave each sealed row its seal reference
(people 0005, org 0003). Every row gets a reference of its own: AddField's default gives all
existing rows the same one."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from lianxin.lib.crypto import Keyring, decrypt_v1, encrypt_v1

from .models import new_seal_ref

BATCH = 2000


def _batches(model: Any):
    """The historical `model`'s rows, BATCH at a time in pk order."""
    last = 0
    while rows := list(model.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        yield rows
        last = rows[-1].pk


def reseal_model(model: Any, label_prefix: str, fields: tuple[str, ...]) -> int:
    """Give every row of the historical `model` a seal reference and seal its `fields` as v2.
    A database with sealed rows needs the key they were sealed with (LIANXIN_FIELD_KEY)."""
    ring = Keyring(settings.FIELD_KEY, settings.FIELD_KEYS_OLD)
    old_keys = [settings.FIELD_KEY, *settings.FIELD_KEYS_OLD]
    columns = [f"{field}_enc" for field in fields]
    done = 0
    for rows in _batches(model):
        for row in rows:
            row.seal_ref = new_seal_ref()
            for field, column in zip(fields, columns, strict=True):
                if token := getattr(row, column):
                    label = f"{label_prefix}.{field}"
                    value = _open_v1(old_keys, token)
                    setattr(row, column, ring.encrypt(value, label=label, ref=row.seal_ref))
        model.objects.bulk_update(rows, ["seal_ref", *columns])
        done += len(rows)
    return done


def unbind_model(model: Any, label_prefix: str, fields: tuple[str, ...]) -> int:
    """The reverse: seal `fields` as version 1 again under the current field key (the old schema
    had no seal reference and no keyring), for a migration back past people 0005 / org 0003."""
    ring = Keyring(settings.FIELD_KEY, settings.FIELD_KEYS_OLD)
    columns = [f"{field}_enc" for field in fields]
    done = 0
    for rows in _batches(model):
        for row in rows:
            for field, column in zip(fields, columns, strict=True):
                if token := getattr(row, column):
                    label = f"{label_prefix}.{field}"
                    value = ring.decrypt(token, label=label, ref=row.seal_ref)
                    setattr(row, column, encrypt_v1(settings.FIELD_KEY, value))
        model.objects.bulk_update(rows, columns)
        done += len(rows)
    return done


def _open_v1(keys: list[str], token: str) -> str:
    error: Exception | None = None
    for key in keys:
        try:
            return decrypt_v1(key, token)
        except ValueError as exc:
            error = exc
    raise RuntimeError(f"无法解密已有数据：{error}（LIANXIN_FIELD_KEY 是否为原来的密钥？）")

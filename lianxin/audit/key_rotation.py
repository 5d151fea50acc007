"""Rotating the field key and changing the lookup key, over every sealed row (core.models
.SealedRow), in short batches (docs/operations.md, "Keys").

Both are idempotent, so resumable: a row already sealed under the current key (its token starts
with the key's id) or already hashed with the current lookup key is read and left alone, and a
run stopped half-way continues from there when run again. Each batch reads its rows inside its
own write transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite's immediate transactions take
the write lock first), so an edit made meanwhile is never overwritten with the older value.

The field key rotates online: put the old key in LIANXIN_FIELD_KEYS_OLD and the new one in
LIANXIN_FIELD_KEY, restart, run `lianxin rotate-field-key`, then drop the old key. A new lookup
key needs the services stopped while `lianxin rehash-lookups` runs: searches would miss the rows
not yet hashed again. The audit key is not rotated: it signs history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import transaction

from lianxin.core.access import check_console
from lianxin.core.keys import sealed_models, write_canaries
from lianxin.core.sensitive import forget_keys, hasher, keyring, seal, unseal

from .services import record

BATCH = 2000
CONSOLE_ONLY = "密钥只能由运维人员在服务器上轮换"

Progress = Callable[[int], Any] | None


def _each_batch(
    model: Any, columns: list[str], batch: int, work: Callable[[list], int], progress: Progress
) -> None:
    """`work(rows)` on each batch of `model`'s rows, read and locked for writing inside the
    batch's own transaction; `progress(rows)` after each batch has committed."""
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                model.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "county_id", "seal_ref", *columns)[:batch]
            )
            if not rows:
                return
            work(rows)
        last = rows[-1].pk
        if progress:
            progress(len(rows))


def sealed_rows() -> int:
    return sum(m.objects.count() for m in sealed_models())


def _rewrite(
    read: Callable[[str], list[str]],
    renew: Callable[[Any, str, Any], list[str]],
    batch: int,
    progress: Progress,
) -> Counter[int]:
    """Over every sealed field of every sealed model, batch by batch: `read(field)` names the
    columns to load, `renew(model, field, row)` sets what is stale on the row and names the
    columns it changed. Returns the rows changed per county."""
    changed: Counter[int] = Counter()
    for model in sealed_models():
        fields = model.sealed_fields

        def work(rows: list, model=model, fields=fields) -> int:
            dirty, touched = [], set()
            for row in rows:
                columns = [c for field in fields for c in renew(model, field, row)]
                if columns:
                    dirty.append(row)
                    touched.update(columns)
            if dirty:
                model.objects.bulk_update(dirty, sorted(touched))
            changed.update(row.county_id for row in dirty)
            return len(dirty)

        _each_batch(model, [c for f in fields for c in read(f)], batch, work, progress)
    return changed


def _finish(purpose: str, action: str, label: str, changed: Counter[int], **extra: Any) -> None:
    """The purpose's canary from the current key, and one audit row per county changed."""
    with transaction.atomic():
        write_canaries(purposes=[purpose])
        for county_id, rows_changed in sorted(changed.items()):
            record(
                actor=None,
                action=action,
                county_id=county_id,
                target_type="core.keycanary",
                target_label=label,
                changes={**{k: [None, v] for k, v in extra.items()}, "rows": [None, rows_changed]},
            )


def do_rotate_field_key(
    *, acting_user: Any = None, batch: int = BATCH, progress: Progress = None
) -> dict[int, int]:
    """Seal every sealed value again under the current field key; returns rows changed per
    county. Ends by sealing the field key's canary under the current key."""
    check_console(acting_user, CONSOLE_ONLY)
    forget_keys()
    ring = keyring()

    def reseal(model: Any, field: str, row: Any) -> list[str]:
        column = f"{field}_enc"
        token = getattr(row, column)
        if not token or token.startswith(ring.prefix):
            return []
        label = model.seal_label(field)
        value = unseal(token, label=label, ref=row.seal_ref)
        setattr(row, column, seal(value, label=label, ref=row.seal_ref))
        return [column]

    changed = _rewrite(lambda f: [f"{f}_enc"], reseal, batch, progress)
    _finish("field", "轮换字段加密密钥", "字段加密密钥", changed, key_id=ring.current)
    return dict(changed)


def do_rehash_lookups(
    *, acting_user: Any = None, batch: int = BATCH, progress: Progress = None
) -> dict[int, int]:
    """Make every lookup hash again with the current lookup key; returns rows changed per
    county. Ends by writing the lookup key's canary."""
    check_console(acting_user, CONSOLE_ONLY)
    forget_keys()
    lookup = hasher()

    def rehash(model: Any, field: str, row: Any) -> list[str]:
        token = getattr(row, f"{field}_enc")
        if not token:
            return []
        digest = lookup.hash(unseal(token, label=model.seal_label(field), ref=row.seal_ref))
        if digest == getattr(row, f"{field}_hash"):
            return []
        setattr(row, f"{field}_hash", digest)
        return [f"{field}_hash"]

    changed = _rewrite(lambda f: [f"{f}_enc", f"{f}_hash"], rehash, batch, progress)
    _finish("lookup", "更换查找散列密钥", "查找散列密钥", changed)
    return dict(changed)

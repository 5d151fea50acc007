"""The audit hash chain: each county's rows are linked by a keyed hash over their content.

A row's hash is HMAC-SHA256 over a canonical serialisation of its content, its sequence number in
the county's chain and the previous row's hash. The key is derived from the audit key
(LIANXIN_AUDIT_KEY), which never lives in the database: whoever can write the database but not
read the server's key cannot re-chain the rows after changing one. It is a key of its own, not the
field key, so rotating the field key leaves the chain as it was (an installation from before the
keys were separate sets its audit key to its old field key: the derived chain key is the same).
Django-free apart from reading settings.AUDIT_KEY, so the backfill migration and the verify
command use exactly the same code.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lianxin.lib.crypto import derive_subkey

# Bumped if the canonical form ever changes; part of every hashed document.
VERSION = "lianxin-audit-chain/v1"
_KEY_INFO = b"lianxin/audit-chain/hmac-sha256/v1"
GENESIS = ""  # prev_hash of a county's first row

# The content fields, in the order of the values tuples below (id and the chain columns aside).
CONTENT_FIELDS = (
    "county_id",
    "at",
    "actor_id",
    "actor_label",
    "source",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
    "reason",
)
# What verify reads per row: id, seq, the content, prev_hash, row_hash.
VERIFY_FIELDS = ("id", "seq", *CONTENT_FIELDS, "prev_hash", "row_hash")


@functools.lru_cache(maxsize=4)
def _key(audit_key: str) -> bytes:
    return derive_subkey(audit_key, _KEY_INFO)


def chain_key() -> bytes:
    from django.conf import settings

    return _key(settings.AUDIT_KEY)


def _plain(value: Any) -> Any:
    """JSON values as both databases give them back: PostgreSQL's jsonb turns 1e+20 into
    100000000000000000000 and 2.0 may come back as 2, so whole floats are hashed as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(
        _plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def canonical_time(at: dt.datetime) -> str:
    """UTC with exactly six fractional digits: SQLite keeps text, PostgreSQL microseconds."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    key: bytes,
    *,
    seq: int,
    prev_hash: str,
    county_id: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    source: str,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    changes: Any,
    reason: str,
) -> str:
    document = [
        VERSION,
        county_id,
        seq,
        canonical_time(at),
        actor_id,
        actor_label,
        source,
        action,
        target_type,
        target_id,
        target_label,
        _plain(changes),
        reason,
        prev_hash,
    ]
    return hmac.new(key, canonical_json(document).encode("utf-8"), hashlib.sha256).hexdigest()


class BreakKind(StrEnum):
    CONTENT = "content"
    MISSING = "missing"
    ORDER = "order"


BREAK_LABELS = {
    BreakKind.CONTENT: "内容被改动",
    BreakKind.MISSING: "记录缺失",
    BreakKind.ORDER: "顺序被打乱",
}


@dataclass(frozen=True)
class Break:
    """The first broken link of a county's chain."""

    county_id: int
    kind: BreakKind
    entry_id: int | None
    seq: int | None
    at: dt.datetime | None
    detail: str

    @property
    def label(self) -> str:
        return BREAK_LABELS[self.kind]

    @property
    def place(self) -> str:
        """Where: "记录 #12（第5号，时间 2026-12-01 22:13:18）"."""
        where = f"记录 #{self.entry_id}" if self.entry_id is not None else "链首"
        parts = [f"第{self.seq}号"] if self.seq else []
        if self.at is not None:
            from django.utils import timezone

            parts.append(f"时间 {timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}")
        return where + (f"（{'，'.join(parts)}）" if parts else "")

    def __str__(self) -> str:
        return f"审计链断裂（{self.label}）于{self.place}：{self.detail}"


@dataclass(frozen=True)
class Result:
    county_id: int
    rows: int
    broken: Break | None
    # The last row's hash when the chain verified: kept outside the database (the command
    # prints it), it shows later whether rows were cut from the end and the head wound back.
    last_hash: str = ""


def walk(
    county_id: int,
    rows: Iterable[tuple],
    *,
    head: tuple[int, str] | None,
    find_hash: Callable[[str], tuple[int, int] | None],
    key: bytes,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Check one county's rows (VERIFY_FIELDS tuples in seq order) and stop at the first break.

    head is the chain head (last seq, last hash) or None; find_hash(h) gives (id, seq) of the
    county's row whose hash is h, to tell a reordered row from one whose predecessor is gone.
    """
    expected_seq, expected_prev = 1, GENESIS
    previous: tuple[int, dt.datetime] | None = None  # the last good row's id and time
    count = 0
    for entry_id, seq, *content, prev_hash, stored in _counted(rows, progress):
        fields = dict(zip(CONTENT_FIELDS, content, strict=True))
        count += 1
        fault = _fault(
            entry_id,
            seq,
            expected_seq,
            prev_hash,
            expected_prev,
            previous[0] if previous else None,
            find_hash,
        )
        if fault is None and row_hash(key, seq=seq, prev_hash=prev_hash, **fields) != stored:
            fault = BreakKind.CONTENT, "内容与其哈希不符：这条记录写入后被改动过"
        if fault is not None:
            return Result(
                county_id, count, Break(county_id, fault[0], entry_id, seq, fields["at"], fault[1])
            )
        expected_seq, expected_prev, previous = seq + 1, stored, (entry_id, fields["at"])
    last_seq = expected_seq - 1
    last_id, last_at = previous if previous else (None, None)
    if head is None:
        if not count:
            return Result(county_id, 0, None)
        detail = "本县审计链的链头缺失"
    elif (head[0], head[1]) == (last_seq, expected_prev):
        return Result(county_id, count, None, expected_prev)
    elif head[0] > last_seq:
        detail = f"链尾第{last_seq + 1}至{head[0]}号记录缺失（链头记到第{head[0]}号）"
    else:
        detail = f"链头（第{head[0]}号）与最后一条记录（第{last_seq}号）不符"
    return Result(
        county_id,
        count,
        Break(county_id, BreakKind.MISSING, last_id, last_seq or None, last_at, detail),
    )


def _fault(
    entry_id: int,
    seq: int,
    expected_seq: int,
    prev_hash: str,
    expected_prev: str,
    previous_id: int | None,
    find_hash: Callable[[str], tuple[int, int] | None],
) -> tuple[BreakKind, str] | None:
    """What is wrong with a row's place in the chain, if anything (its content aside)."""
    if seq != expected_seq:
        gap = f"第{expected_seq}号" if seq == expected_seq + 1 else f"第{expected_seq}至{seq - 1}号"
        return BreakKind.MISSING, f"{gap}记录缺失（在这条记录之前）"
    if prev_hash == expected_prev:
        return None
    found = find_hash(prev_hash) if prev_hash else None
    if found is not None:
        after = f"记录 #{previous_id}" if previous_id is not None else "链首"
        return BreakKind.ORDER, f"应接在{after}之后，却接在记录 #{found[0]}（第{found[1]}号）之后"
    before = f"记录 #{previous_id}" if previous_id is not None else "链首"
    return BreakKind.MISSING, f"所接的上一条记录已不存在或被改写（与{before}接不上）"


def _counted(rows: Iterable[tuple], progress: Callable[[int], None] | None) -> Iterator[tuple]:
    if progress is None:
        yield from rows
        return
    pending = 0
    try:
        for row in rows:
            yield row
            pending += 1
            if pending == 1000:
                progress(pending)
                pending = 0
    finally:  # also when the walk stops at a break
        if pending:
            progress(pending)

"""Writing the audit trail. Every do_* service calls record() inside its own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lianxin.core.access import check_actor
from lianxin.core.context import current_source
from lianxin.lib.masking import scrub

from . import chain, labels
from .models import AuditChain, AuditEntry

VERIFY_ACTION = "校验审计链"
VERIFY_RESULT = "校验结果"
VERIFY_ROWS = "校验记录数"
VERIFY_OK = "完整"

# Fields whose values never reach the audit log in full.
SENSITIVE_FIELDS = frozenset({"id_number", "phone", "password"})


def _clean(field: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if field in SENSITIVE_FIELDS:
        return "（已脱敏）" if field == "password" else scrub(str(value))
    if isinstance(value, models.Model):
        return str(value)
    return scrub(str(value))


def _scrubbed(value: Any) -> Any:
    """Every string inside a changes value masked, whatever the caller passed (a file name, a
    cell echoed in a message): the audit table must not hold a full ID number or phone."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed, masked."""
    return {
        k: [_clean(k, before.get(k)), _clean(k, after.get(k))]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _in_state_change_transaction() -> bool:
    """Whether an atomic block of the program's own is open. The test case's wrapping
    transaction does not count (as Django's durable check sees through it), so a service that
    forgets its transaction fails in tests as it would in production."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(
        not block._from_testcase for block in connection.atomic_blocks
    )


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    county_id: int | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one audit row; must run inside the caller's transaction."""
    if not _in_state_change_transaction():
        raise RuntimeError("audit.record() must run inside the state change's transaction")
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
        county_id = county_id or getattr(target, "county_id", None)
    if county_id is None and actor is not None:
        county_id = actor.county_id
    if county_id is None:
        raise RuntimeError("an audit row belongs to a county: pass county_id, a target or an actor")
    if settings.LIANXIN_AUDIT_LABELS_STRICT and (
        missing := labels.unlabelled(target_type, changes)
    ):
        raise RuntimeError(
            f"audit row without a Chinese name for {missing}: add it to audit/labels.py"
        )
    label = "系统" if actor is None else f"{actor}（{actor.username}）"
    fields = {
        "county_id": county_id,
        "at": timezone.now(),
        "actor_id": None if actor is None else actor.pk,
        "actor_label": label[:80],
        "source": current_source()[:80],
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": scrub(target_label)[:120],
        # Stored exactly as hashed: the canonical JSON read back, so both databases agree.
        "changes": json.loads(chain.canonical_json(_scrubbed(dict(changes or {})))),
        "reason": scrub(reason)[:200],
    }
    # A savepoint: the row and the chain head move together or not at all.
    with transaction.atomic():
        head = _lock_chain_head(county_id)
        seq = head.seq + 1
        digest = chain.row_hash(chain.chain_key(), seq=seq, prev_hash=head.last_hash, **fields)
        entry = AuditEntry.objects.create(
            **fields, seq=seq, prev_hash=head.last_hash, row_hash=digest
        )
        AuditChain.objects.filter(pk=head.pk).update(seq=seq, last_hash=digest)
    return entry


def _lock_chain_head(county_id: int) -> AuditChain:
    """The county's chain head, locked until the caller's transaction ends.

    Race: two transactions appending to one county would both read head N and both write N+1
    on the same predecessor, forking the chain. The row lock makes the second wait for the first
    to commit (PostgreSQL); SQLite's IMMEDIATE transactions already serialise all writers."""
    heads = AuditChain.objects.select_for_update()
    head = heads.filter(county_id=county_id).first()
    if head is None:
        # Race: the county's first two rows at once — the second insert waits on the primary
        # key, fails once the first commits, and then locks the head the first one made.
        try:
            with transaction.atomic():
                AuditChain.objects.create(county_id=county_id)
        except IntegrityError:
            pass
        head = heads.get(county_id=county_id)
    return head


def do_record_verification(result: chain.Result, *, acting_user: Any) -> AuditEntry:
    """Log one county's audit-verify result, so the audit administrator sees it on the log page.

    Run from the command line (acting_user None, the system); appended like any other row, so a
    broken chain stays broken and the report of it is itself chained."""
    check_actor(
        acting_user, "reads_audit", "只有审计管理员可以核验审计日志", county_id=result.county_id
    )
    outcome = VERIFY_OK if result.broken is None else str(result.broken)
    with transaction.atomic():
        return record(
            actor=acting_user,
            action=VERIFY_ACTION,
            county_id=result.county_id,
            target_type="audit.auditchain",
            target_label="审计链",
            changes={VERIFY_ROWS: [None, result.rows], VERIFY_RESULT: [None, outcome[:500]]},
        )

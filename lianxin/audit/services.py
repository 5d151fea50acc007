"""Writing the audit trail. Every do_* service calls record() inside its own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction

from lianxin.core.context import current_source
from lianxin.lib.masking import scrub

from .models import AuditEntry

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
    if not transaction.get_connection().in_atomic_block:
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
    label = "系统" if actor is None else f"{actor}（{actor.username}）"
    return AuditEntry.objects.create(
        county_id=county_id,
        actor=actor,
        actor_label=label[:80],
        source=current_source()[:80],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=scrub(target_label)[:120],
        changes=_scrubbed(dict(changes or {})),
        reason=scrub(reason)[:200],
    )

"""Answers that an ID number is registered outside the asking user's scope.

Refusing a duplicate ID number must say why (the office has to find the other registration
through a higher administrator), but the answer tells someone who cannot see that record that
the person exists in the county. So each account gets a daily budget of such answers
(settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY), every answer is audited with its count, and
once the budget is spent every further registration of a resident by that account that would
need a look outside its scope (a number it cannot see registered: registered elsewhere or new)
is refused for the rest of the day with LIMIT_MESSAGE: refused-or-accepted would otherwise
still tell a registered number from a fresh one. A number registered inside the account's scope
still gets its usual answer (the user sees that record anyway), so re-importing yesterday's
file keeps working. Those refusals are audited too (see docs/security.md, "Bulk import").
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record
from lianxin.core.errors import Refused

OUTSIDE_SCOPE_MESSAGE = "该身份证号已在其他辖区登记，请联系上级管理员核实"
# Past the budget, for every number the account cannot see registered (registered elsewhere or
# new, alike): says nothing about the number. The budget is the operator's setting, which the
# system administrator (who runs the deployment) can have raised.
LIMIT_MESSAGE = (
    "今日与其他辖区核对身份证号的次数已达上限，本账号今日不能再登记新的居民，"
    "请明天再试或联系系统管理员"
)
ANSWERED_ACTION = "答复身份证号已在辖区外登记"
LIMIT_ACTION = "辖区外核对达每日上限拒绝登记"
# A single registration while an import of the same account holds the budget's lock: it would
# otherwise wait for the whole import (minutes, past the web server's timeout).
BUSY_MESSAGE = "本账号有导入正在进行，请等其结束后再登记"
# How long a single registration waits for the lock: another registration of the account
# holds it for milliseconds, an import for its whole run.
BUSY_PATIENCE_SECONDS = 3.0
# How often an import waiting for the lock tries again and reports progress (its worker's
# heartbeat thread keeps the job alive meanwhile).
WAIT_POLL_SECONDS = 5.0


def remaining(
    acting_user: Any,
    *,
    patience: float | None = None,
    heartbeat: Callable[[], Any] | None = None,
) -> int | None:
    """How many answers the account may still be given today (Asia/Shanghai day); None for the
    system itself (no acting user), which is not budgeted.

    Call it inside the transaction that will give the answers and write them with
    record_answers: it serialises the account's answers until that transaction ends, so two
    imports (or workers, or processes) cannot both spend the last unit.

    The count is the sum of today's ANSWERED_ACTION audit rows of the account. Kept in the
    database rather than a cache (per process, reset by a restart, a get-then-set on the
    database cache), and read from the audit rows rather than a counter table: they already
    record every answer with its count, are never changed, and the account's rows of one day
    are few and found through the actor index. The lock is a PostgreSQL advisory lock keyed by
    the account rather than a lock on its user row, so a long all-or-nothing import does not
    hold up the account's login or password change; SQLite's IMMEDIATE transactions (settings)
    already let one writer at a time through.

    `patience` (a single registration on the form or the API, BUSY_PATIENCE_SECONDS): when the
    lock is still held after that long (an import of the account holds it for its whole run),
    refuse with BUSY_MESSAGE (409) rather than wait for the import's end. An import waits as
    long as it takes, calling `heartbeat` every WAIT_POLL_SECONDS so its job is not taken for
    dead meanwhile."""
    if acting_user is None:
        return None
    if not connection.in_atomic_block:
        # Outside a transaction the lock would end with this statement and count nothing.
        raise RuntimeError("disclosure.remaining() must run inside the answering transaction")
    if connection.vendor == "postgresql":
        _advisory_lock(acting_user.pk, patience=patience, heartbeat=heartbeat)
    elif connection.vendor != "sqlite":
        # Any other database: the account's row is the lock.
        list(get_user_model().objects.select_for_update().filter(pk=acting_user.pk).values("pk"))
    day = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    spent = AuditEntry.objects.filter(
        actor_id=acting_user.pk, action=ANSWERED_ACTION, at__gte=start
    ).aggregate(n=Sum(Cast(KT("changes__answers__1"), IntegerField())))["n"]
    return max(0, settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY - (spent or 0))


# The first key of the advisory lock: "LX" and 1, so no other advisory lock meets this one.
_LOCK_SPACE = 0x4C5801


# How often a registration tries the lock again within its patience.
_TRY_EVERY_SECONDS = 0.02


def _advisory_lock(
    user_id: int, *, patience: float | None, heartbeat: Callable[[], Any] | None
) -> None:
    """Tried rather than waited for (pg_try_advisory_xact_lock), so no lock_timeout is needed
    and a refusal leaves the transaction usable."""
    with connection.cursor() as cursor:
        if patience is None and heartbeat is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, user_id])
            return
        give_up = None if patience is None else time.monotonic() + patience
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, user_id])
            if cursor.fetchone()[0]:
                return
            if give_up is not None:
                if time.monotonic() >= give_up:
                    raise Refused(BUSY_MESSAGE, field="id_number", status=409)
                time.sleep(_TRY_EVERY_SECONDS)
                continue
            assert heartbeat is not None
            heartbeat()
            time.sleep(WAIT_POLL_SECONDS)


def record_answers(acting_user: Any, *, shown: int, label: str = "") -> None:
    """The audit row of `shown` answers, in the transaction that called remaining(): the row
    is the budget's count, so it must commit with the answers it counts."""
    if acting_user is None or not shown:
        return
    record(
        actor=acting_user,
        action=ANSWERED_ACTION,
        target_type="people.resident",
        target_label=label,
        changes={
            "answers": [None, shown],
            "daily_budget": [None, settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY],
        },
    )


def record_limit_refusals(acting_user: Any, *, refused: int, label: str = "") -> None:
    """The audit row of `refused` registrations turned away past the day's budget."""
    if acting_user is None or not refused:
        return
    record(
        actor=acting_user,
        action=LIMIT_ACTION,
        target_type="people.resident",
        target_label=label,
        changes={
            "refused": [None, refused],
            "daily_budget": [None, settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY],
        },
    )

"""Answers that an ID number is registered outside the asking user's scope.

Refusing a duplicate ID number must say why (the office has to find the other registration
through a higher administrator), but the answer tells someone who cannot see that record that
the person exists in the county. So each account gets a daily budget of such answers
(settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY); every answer is audited with its count, and
past the budget the row is still refused but the message no longer says the number is
registered, and that refusal is audited too (see docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record

OUTSIDE_SCOPE_MESSAGE = "该身份证号已在其他辖区登记，请联系上级管理员核实"
# Past the budget: refused, saying neither where nor whether the number is registered.
WITHHELD_MESSAGE = "该身份证号暂不能在此登记，请联系上级管理员核实"
ANSWERED_ACTION = "答复身份证号已在辖区外登记"
WITHHELD_ACTION = "辖区外登记答复超出每日限额"
# A day and a bit, so the counter outlives its own day wherever the cache's clock is.
_KEY_SECONDS = 26 * 3600


def _spend(user_id: int, wanted: int, budget: int) -> int:
    """How many of `wanted` answers the account may still be given today.

    The one place the counter is kept, so a store with atomic increments (issue 7) replaces
    only this function. Django's cache incr is atomic on the local-memory and Redis caches,
    a get-then-set on the database cache."""
    day = timezone.localdate().isoformat()
    key = f"outside-scope-answers:{user_id}:{day}"
    cache.add(key, 0, timeout=_KEY_SECONDS)
    try:
        after = cache.incr(key, wanted)
    except ValueError:  # evicted between add and incr
        cache.set(key, wanted, timeout=_KEY_SECONDS)
        after = wanted
    before = after - wanted
    return max(0, min(wanted, budget - before))


def spend(acting_user: Any, count: int) -> int:
    """Spend `count` answers of the user's daily budget; returns how many of them may say the
    number is registered elsewhere (the rest get WITHHELD_MESSAGE). Not audited: the caller
    records the figures with record_answers once its transaction is settled. The system
    itself (no acting user) is not budgeted."""
    if acting_user is None or count <= 0:
        return count
    return _spend(acting_user.pk, count, settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY)


def record_answers(acting_user: Any, *, shown: int, withheld: int, label: str = "") -> None:
    """The audit rows for answers given (and withheld past the budget), in their own
    transaction: called after the refusing transaction has ended, so they are not rolled back
    with it."""
    if acting_user is None or not (shown or withheld):
        return
    budget = settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY
    with transaction.atomic():
        if shown:
            record(
                actor=acting_user,
                action=ANSWERED_ACTION,
                target_type="people.resident",
                target_label=label,
                changes={"answers": [None, shown], "daily_budget": [None, budget]},
            )
        if withheld:
            record(
                actor=acting_user,
                action=WITHHELD_ACTION,
                target_type="people.resident",
                target_label=label,
                changes={"refused": [None, withheld], "daily_budget": [None, budget]},
            )


def answer_outside_scope(acting_user: Any, *, count: int = 1, label: str = "") -> int:
    """spend() and record_answers() together, for a single refusal outside any transaction."""
    shown = spend(acting_user, count)
    record_answers(acting_user, shown=shown, withheld=count - shown, label=label)
    return shown

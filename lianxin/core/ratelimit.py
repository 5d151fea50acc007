"""Request limits that hold across every process and app server: the public card page and log-in.

A client's window starts at its first request and lasts `window` seconds; each request counts,
allowed or not, and is allowed while the client made at most `limit` in the window. Counters live
in Redis when LIANXIN_REDIS_URL is set (one Lua script: increment and expiry together), otherwise
in the database table core_ratecounter (one conditional UPDATE inside a short transaction). Both
are atomic: N processes on one key allow exactly `limit` requests in total, never limit × N.

The key (a client address, a user name) is stored as a keyed hash: it is personal data, and the
counter table and Redis are read by people who may not read the audit trail.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import RateCounter

logger = logging.getLogger(__name__)

_HASH_SALT = "lianxin.core.ratelimit"
# Keys that exist without a TTL (written by hand, or by an interrupted older version) would
# count for ever: the script gives them the window too.
_REDIS_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
PURGE_BATCH = 5000


@dataclass(frozen=True)
class Verdict:
    """The answer to one counted request."""

    allowed: bool
    count: int
    retry_after: int  # seconds until the client's window ends


def hashed_key(scope: str, key: str) -> str:
    """The stored form of a client key: HMAC-SHA256 keyed from SECRET_KEY, 64 hex digits."""
    return salted_hmac(_HASH_SALT, f"{scope}\n{key}", algorithm="sha256").hexdigest()


def hit(scope: str, key: str, *, limit: int, window: int = 60) -> Verdict:
    """Count one request of `key` in `scope`; allowed while it is among the first `limit` of the
    key's window. A limit of 0 (or less) turns the limit off: nothing is counted."""
    if limit <= 0:
        return Verdict(True, 0, 0)
    digest = hashed_key(scope, key)
    counted: tuple[int, int] | None = None
    if settings.LIANXIN_REDIS_URL:
        try:
            counted = _redis_hit(settings.LIANXIN_REDIS_URL, scope, digest, window)
        except (redis.RedisError, ValueError) as exc:  # down, or a bad URL
            # The limit still holds, across processes, in the database meanwhile.
            logger.error("rate limit: Redis unavailable (%s), counting in the database", exc)
    count, retry_after = counted or _database_hit(scope, digest, window)
    return Verdict(count <= limit, count, max(1, retry_after))


def _database_hit(scope: str, digest: str, window: int) -> tuple[int, int]:
    now = timezone.now()
    ends = now + dt.timedelta(seconds=window)
    live = Q(expires_at__gt=now)
    # One UPDATE either counts in the live window or starts a new one: the database evaluates it
    # on the latest row under the row's write lock, so two processes never both read "5" and
    # both write "6" (the get-then-set of Django's database cache).
    bump = {
        "count": Case(When(live, then=F("count") + 1), default=Value(1)),
        "expires_at": Case(When(live, then=F("expires_at")), default=Value(ends)),
    }
    rows = RateCounter.objects.filter(scope=scope, key=digest)
    with transaction.atomic():
        if not rows.update(**bump):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(scope=scope, key=digest, count=1, expires_at=ends)
            except IntegrityError:
                # Another process made the row between our UPDATE and INSERT: count on it.
                rows.update(**bump)
        # Read back inside the transaction that holds the row's lock: the count is ours.
        count, expires_at = rows.values_list("count", "expires_at").get()
    return count, math.ceil((expires_at - now).total_seconds())


@functools.cache
def _redis_script(url: str) -> Any:
    # Short timeouts: a Redis that does not answer must not hold up the page.
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client.register_script(_REDIS_SCRIPT)


def _redis_hit(url: str, scope: str, digest: str, window: int) -> tuple[int, int]:
    count, ttl = _redis_script(url)(keys=[f"lianxin:ratelimit:{scope}:{digest}"], args=[window])
    return int(count), int(ttl)


def purge_expired_counters(now: dt.datetime | None = None, *, batch: int = PURGE_BATCH) -> int:
    """Delete the database counters whose window has ended; how many. Idempotent, safe to run
    beside requests (a counter a request has just renewed is no longer expired). Redis expires
    its own keys. In batches, so SQLite's write lock is held briefly each time."""
    now = now or timezone.now()
    deleted = 0
    while True:
        expired = RateCounter.objects.filter(expires_at__lte=now)
        pks = list(expired.values_list("pk", flat=True)[:batch])
        if not pks:
            return deleted
        # The window is checked again: a request may have renewed the row since it was listed.
        n, _ = expired.filter(pk__in=pks).delete()
        deleted += n


def wants_json(request: HttpRequest) -> bool:
    """API requests, and clients that ask for JSON rather than a page."""
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def too_many(
    request: HttpRequest,
    verdict: Verdict,
    *,
    message: str,
    template: str = "429.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The 429 answer past a limit: the Chinese page (the site's 429.html unless a page in
    another layout is named), or {detail, field} for the API; with Retry-After."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"detail": message, "field": "", "retry_after": verdict.retry_after}, status=429
        )
    else:
        page = {
            "code": 429,
            "message": message,
            "retry_after": verdict.retry_after,
            **(context or {}),
        }
        response = render(request, template, page, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response

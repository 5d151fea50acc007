"""A per-client request limit for pages anyone may open (the 连心卡 QR page), kept in Django's
cache. With several app servers the cache must be shared (see docs/cards.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def hit(scope: str, client: str, limit: int) -> Verdict:
    """Count one request; allowed while the client made at most `limit` in its current window.

    A window starts at the client's first request (not at the top of the minute), so a burst
    cannot straddle two windows to get twice the limit. The counter is incremented atomically.
    """
    now = int(time.time())
    start_key = f"ratelimit:{scope}:{client}:start"
    cache.add(start_key, now, timeout=WINDOW_SECONDS)
    start = cache.get(start_key, now)
    count_key = f"ratelimit:{scope}:{client}:{start}"
    cache.add(count_key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(count_key)
    except ValueError:  # evicted between add and incr
        cache.set(count_key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    return Verdict(count <= limit, max(1, start + WINDOW_SECONDS - now))

"""The rate-limit helper: one count across processes, in Redis or in the database; no lost
updates; windows that end and are purged; keys stored as keyed hashes, never in clear."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import threading
import uuid

import pytest
import redis
from django.db import connection
from django.utils import timezone

from lianxin.core import ratelimit
from lianxin.core.models import RateCounter
from tests.core.processes import in_processes

REDIS_URL = os.environ.get("LIANXIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PROCESSES = 6
HITS_EACH = 10
LIMIT = 25


@pytest.fixture
def redis_store(settings):
    """Counters in the test Redis database; only this test's keys are removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    settings.LIANXIN_REDIS_URL = REDIS_URL
    scope = f"t{uuid.uuid4().hex[:12]}"
    yield client, scope
    for key in client.scan_iter(f"lianxin:ratelimit:{scope}:*"):
        client.delete(key)


def _allowed_across_processes(scope: str) -> list[int]:
    def work(i: int) -> int:
        return sum(
            ratelimit.hit(scope, "203.0.113.7", limit=LIMIT).allowed for _ in range(HITS_EACH)
        )

    return in_processes(PROCESSES, work)


@pytest.mark.django_db(transaction=True)
def test_it_allows_exactly_the_limit_across_processes_in_the_database():
    allowed = _allowed_across_processes("card")
    assert sum(allowed) == LIMIT
    # Every request was counted, allowed or not: no process's increment was lost.
    assert RateCounter.objects.get(scope="card").count == PROCESSES * HITS_EACH


@pytest.mark.django_db(transaction=True)
def test_it_allows_exactly_the_limit_across_processes_in_redis(redis_store):
    client, scope = redis_store
    allowed = _allowed_across_processes(scope)
    assert sum(allowed) == LIMIT
    (key,) = client.keys(f"lianxin:ratelimit:{scope}:*")
    assert int(client.get(key)) == PROCESSES * HITS_EACH
    assert not RateCounter.objects.exists()  # Redis alone counted


@pytest.mark.django_db(transaction=True)
def test_it_loses_no_update_when_threads_count_on_their_own_connections():
    threads, hits = 8, 15
    barrier = threading.Barrier(threads)
    verdicts: list[ratelimit.Verdict] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(hits):
                verdict = ratelimit.hit("login-user", "wenjing", limit=1000)
                with lock:
                    verdicts.append(verdict)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert RateCounter.objects.get(scope="login-user").count == threads * hits
    # Each request saw its own place in the count: 1 … n, none twice.
    assert sorted(v.count for v in verdicts) == list(range(1, threads * hits + 1))


@pytest.mark.django_db
def test_it_refuses_past_the_limit_and_starts_again_when_the_window_ends():
    verdicts = [ratelimit.hit("card", "10.0.0.1", limit=2, window=60) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert ratelimit.hit("card", "10.0.0.2", limit=2).allowed  # another client
    RateCounter.objects.filter(scope="card").update(expires_at=timezone.now())
    again = ratelimit.hit("card", "10.0.0.1", limit=2)
    assert again.allowed and again.count == 1


@pytest.mark.django_db
def test_it_purges_only_expired_counters_and_can_run_twice():
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        ratelimit.hit("card", ip, limit=5)
    ratelimit.hit("login-ip", "10.0.0.1", limit=5)
    live = RateCounter.objects.get(key=ratelimit.hashed_key("login-ip", "10.0.0.1"))
    RateCounter.objects.filter(scope="card").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert ratelimit.purge_expired_counters() == 3
    assert ratelimit.purge_expired_counters() == 0
    assert list(RateCounter.objects.all()) == [live]


@pytest.mark.django_db
def test_it_purges_in_batches():
    for i in range(5):
        ratelimit.hit("card", f"10.0.1.{i}", limit=5)
    past = timezone.now() + dt.timedelta(minutes=2)
    assert ratelimit.purge_expired_counters(now=past, batch=2) == 5
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_it_stores_addresses_and_user_names_as_keyed_hashes(settings):
    ratelimit.hit("login-ip", "203.0.113.7", limit=5)
    ratelimit.hit("login-user", "wenjing", limit=5)
    stored = dict(RateCounter.objects.values_list("scope", "key"))
    for scope, clear in (("login-ip", "203.0.113.7"), ("login-user", "wenjing")):
        assert clear not in stored[scope]
        # HMAC-SHA256 under a key derived from SECRET_KEY (Django's salted_hmac).
        key = hashlib.sha256(("lianxin.core.ratelimit" + settings.SECRET_KEY).encode()).digest()
        expected = hmac.new(key, f"{scope}\n{clear}".encode(), hashlib.sha256).hexdigest()
        assert stored[scope] == expected
        # Not a plain hash anyone could recompute from a list of addresses or names.
        assert stored[scope] != hashlib.sha256(clear.encode()).hexdigest()
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert ratelimit.hashed_key("login-user", "wenjing") != stored["login-user"]


@pytest.mark.django_db
def test_it_stores_hashed_keys_in_redis_with_the_window_as_expiry(redis_store):
    client, scope = redis_store
    ratelimit.hit(scope, "203.0.113.7", limit=5, window=60)
    (key,) = client.keys(f"lianxin:ratelimit:{scope}:*")
    assert b"203.0.113.7" not in key
    assert key.decode().endswith(ratelimit.hashed_key(scope, "203.0.113.7"))
    assert 0 < client.ttl(key) <= 60


@pytest.mark.django_db
def test_it_counts_in_the_database_while_redis_is_down(settings, caplog):
    settings.LIANXIN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    verdicts = [ratelimit.hit("card", "10.0.0.1", limit=2) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert RateCounter.objects.get(scope="card").count == 3
    assert "Redis unavailable" in caplog.text


@pytest.mark.django_db
def test_it_counts_nothing_when_the_limit_is_off():
    assert all(ratelimit.hit("card", "10.0.0.1", limit=0).allowed for _ in range(50))
    assert not RateCounter.objects.exists()

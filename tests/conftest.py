import pytest
from django.core.cache import cache

from tests.factories import build_world


@pytest.fixture(autouse=True)
def _empty_cache():
    # Nothing carries over in Django's process-wide cache (rate limits keep their own store).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _close_queue_connection():
    # A periodic task's lock (huey's lock_task) opens the queue's own connection; on PostgreSQL
    # one left open keeps the test database busy and its teardown fails ("being accessed by
    # other users"). The queue reconnects when next used.
    yield
    from huey.contrib.djhuey import HUEY

    HUEY.storage.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs ~0.25 s per account; tests make dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """The personas and their county (see tests/factories.py)."""
    return build_world()


@pytest.fixture
def login(client):
    """Log a persona in on the test client and return it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login

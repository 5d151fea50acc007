import pytest

from tests.factories import build_world


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

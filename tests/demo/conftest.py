import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

# Small enough for a test run (about 460 households), large enough to have hardship households.
TINY = 0.002


def run_demo(*args: str) -> str:
    """Run `lianxin demo` quietly and return what it printed."""
    out = io.StringIO()
    call_command("demo", "--scale", str(TINY), *args, stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


@pytest.fixture(scope="module")
def built_demo(django_db_setup, django_db_blocker):
    """Build the demo once per module, inside a transaction rolled back when the module ends:
    each test then runs in a savepoint of it, so what one test changes the next never sees."""
    # The same fast hasher tests/conftest.py sets per test, so the demo password checks out.
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield run_demo()
        transaction.set_rollback(True)


@pytest.fixture
def demo(built_demo, db):
    """The demo county at a tiny scale; the value is what the command printed."""
    return built_demo

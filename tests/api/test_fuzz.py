"""A fuzz of the whole OpenAPI document: no operation answers 5xx, whatever it is sent.

schemathesis generates requests from /api/openapi.json (valid ones and ones that break the
schema: oversize strings, NUL characters, huge integers, wrong types) and sends them to the
WSGI application as a persona with wide rights, in a fresh world per operation (each test is
rolled back). LIANXIN_FUZZ_EXAMPLES bounds the examples per operation (default 50, which
keeps this file under a minute on two cores; raise it to dig deeper); the run is
derandomized, so CI sees the same requests every time.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from lianxin.audit.models import AuditEntry
from lianxin.core.models import today
from lianxin.pairing.services import do_pair, do_start_pairing_run
from lianxin.people.choices import Trade
from lianxin.people.services import do_create_enterprise
from lianxin.visits.services import Visited, do_record_visit
from tests.factories import build_world, credit_code

EXAMPLES = int(os.environ.get("LIANXIN_FUZZ_EXAMPLES", "50"))

# Django's WSGI handler, not lianxin.wsgi: that one checks the keys against the database when
# imported (lianxin.core.keys), and the test database is not there while tests are collected.
application = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
OPERATIONS = [
    pytest.param(result.ok(), id=f"{result.ok().method.upper()} {result.ok().path}")
    for result in SCHEMA.get_all_operations()
]


def _session(user) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a logged-in session with its CSRF token, as the pages' htmx
    sends them."""
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    # Django takes any 32 characters of its alphabet as a CSRF secret, sent back unmasked.
    token = "fuzz" * 8
    return {django_settings.SESSION_COOKIE_NAME: session, "csrftoken": token}, {
        "X-CSRFToken": token
    }


def _real_ids(world) -> dict[str, int]:
    """A path id of each kind that exists in the world and is in the personas' scope: some of
    the examples use them, so the fuzz reaches past the 404 into the endpoint itself."""
    enterprise = do_create_enterprise(
        county=world.county,
        name="崇州市测试企业",
        credit_code=credit_code(7),
        trade=Trade.C,
        region=world.group,
        acting_user=None,
    )
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin)
    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=None,
        valid_from=today() - dt.timedelta(days=30),
    )
    visit = do_record_visit(
        acting_user=world.cadre_user,
        households=[Visited(world.household)],
        occurred_on=today(),
        mode="in_person",
    ).visit
    return {
        "region_id": world.group.pk,
        "household_id": world.household.pk,
        "resident_id": world.household.members.first().pk,
        "enterprise_id": enterprise.pk,
        "unit_id": world.unit.pk,
        "cadre_id": world.cadre.pk,
        "run_id": run.pk,
        "entry_id": AuditEntry.objects.order_by("pk").first().pk,
        "visit_id": visit.pk,
    }


def _in_real_region(ids: dict[str, int]):
    """A case whose body's region_id (or visited households) is replaced by the world's."""

    def place(case):
        if isinstance(case.body, dict) and "region_id" in case.body:
            case.body = {**case.body, "region_id": ids["region_id"]}
        if isinstance(case.body, dict) and isinstance(case.body.get("households"), list):
            case.body = {
                **case.body,
                "households": [
                    {**h, "household_id": ids["household_id"]} if isinstance(h, dict) else h
                    for h in case.body["households"][:1]
                ],
            }
        return case

    return place


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS)
def test_it_answers_no_5xx(operation, settings_jobs_inline, connection_kept) -> None:
    world = build_world()
    # The audit trail answers only its own administrator, visits are recorded and corrected
    # by their cadre; everything else the city admin.
    user = world.audit_admin if operation.path.startswith("/api/audit") else world.city_admin
    if operation.path.startswith("/api/visits"):
        user = world.cadre_user
    cookies, headers = _session(user)
    ids = _real_ids(world)
    names = {p.name for p in operation.path_parameters}
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )
    if names:
        strategy |= operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters={n: ids[n] for n in names}
        )
    if operation.body:
        # Some bodies name a real region, so a create reaches its service's checks.
        strategy |= operation.as_strategy(GenerationMode.NEGATIVE).map(_in_real_region(ids))
        strategy |= operation.as_strategy(GenerationMode.POSITIVE).map(_in_real_region(ids))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case) -> None:
        response = case.call(cookies=cookies, headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
            f"{response.status_code} {response.content[:300]!r}"
        )

    fuzz()


@pytest.fixture
def settings_jobs_inline(settings):
    settings.LIANXIN_JOBS_INLINE = True
    return settings


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's test client keeps it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)

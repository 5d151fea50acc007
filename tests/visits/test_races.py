"""An offline outbox sending one visit from several connections at the same moment: exactly
one row, every answer 201 or 200 with that row's id — no duplicate, no 500 — on SQLite
(IMMEDIATE transactions queue the sends) and PostgreSQL (they pass the look together and
meet the unique key)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from lianxin.core.models import today
from lianxin.visits.models import Visit, VisitHousehold
from tests.core.test_integrity_races import clients, race

from .support import pair


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_row_when_one_key_is_sent_at_once_from_many_connections(world):
    pair(world, world.household, since=today() - dt.timedelta(days=10))
    key = str(uuid.uuid4())
    body = json.dumps(
        {
            "households": [{"household_id": world.household.pk}],
            "occurred_on": str(today()),
            "mode": "in_person",
        }
    )
    other = json.dumps({**json.loads(body), "mode": "phone"})
    senders = clients(world.cadre_user, 8)

    def send(client, payload):
        return lambda: client.post(
            "/api/visits",
            payload,
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    results = race([send(c, other if i == 7 else body) for i, c in enumerate(senders)])
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert crashed == [], crashed[:1]
    assert Visit.objects.count() == 1 and VisitHousehold.objects.count() == 1
    saved = Visit.objects.get()
    # Whichever body won, the sends of the other body are refused and the rest answer its id.
    for r, payload in zip(results, [body] * 7 + [other], strict=True):
        if json.loads(payload)["mode"] == saved.mode:
            assert r.status_code in (200, 201) and r.json()["id"] == saved.pk
        else:
            assert r.status_code == 422 and r.json()["field"] == "idempotency_key"
    assert sum(1 for r in results if r.status_code == 201) == 1

"""The visits API as each persona sees it (an outsider gets 404), idempotent replays over
HTTP, and the history list in a number of queries that does not grow with its rows."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.models import today
from lianxin.visits.models import Visit
from lianxin.visits.services import Need, Visited, do_record_visit
from tests.factories import household as make_household

from .support import pair

SEES = ("city_admin", "township_staff", "village_staff", "cadre_user", "info_group", "leader_user")
BLIND = ("outsider", "handler", "system_admin", "security_admin", "audit_admin")


@pytest.fixture
def recorded(world):
    pair(world, world.household, since=today() - dt.timedelta(days=30))
    return do_record_visit(
        acting_user=world.cadre_user,
        households=[Visited(world.household)],
        occurred_on=today(),
        mode="in_person",
        needs=[Need(world.household, "屋顶漏雨")],
    ).visit


@pytest.mark.parametrize("persona", SEES + BLIND)
def test_it_shows_a_visit_only_within_the_personas_scope(world, login, recorded, persona):
    client = login(getattr(world, persona))
    detail = client.get(f"/api/visits/{recorded.pk}")
    listed = client.get("/api/visits").json()
    if persona in SEES:
        assert detail.status_code == 200
        assert detail.json()["needs"][0]["text"] == "屋顶漏雨"
        assert [v["id"] for v in listed["items"]] == [recorded.pk]
    else:
        assert detail.status_code == 404 and "权限范围" in detail.json()["detail"]
        assert listed["count"] == 0


@pytest.mark.parametrize("persona", BLIND)
def test_it_gives_no_outsider_a_way_to_change_a_visit(world, login, recorded, persona):
    client = login(getattr(world, persona))
    body = json.dumps({"version": 1, "notes": "改"})
    answer = client.patch(f"/api/visits/{recorded.pk}", body, content_type="application/json")
    assert answer.status_code == 404
    answer = client.post(
        f"/api/visits/{recorded.pk}/withdraw", "{}", content_type="application/json"
    )
    assert answer.status_code == 404
    assert Visit.objects.get().version == 1


def test_it_sends_one_offline_visit_twice_and_keeps_one_row(world, login, recorded):
    client = login(world.cadre_user)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {
        "households": [{"household_id": world.household.pk}],
        "occurred_on": str(today()),
        "mode": "phone",
    }
    # The same body spelled differently (key order, whitespace) is the same request.
    first = client.post(
        "/api/visits", json.dumps(body), content_type="application/json", headers=key
    )
    spelled = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.post("/api/visits", spelled, content_type="application/json", headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.count() == 2
    other = client.post(
        "/api/visits",
        json.dumps({**body, "mode": "online"}),
        content_type="application/json",
        headers=key,
    )
    assert other.status_code == 422 and "幂等键" in other.json()["detail"]
    stale = client.patch(
        f"/api/visits/{recorded.pk}", json.dumps({"version": 9}), content_type="application/json"
    )
    assert stale.status_code == 409


def test_it_filters_the_history(world, login, recorded):
    client = login(world.township_staff)
    day = str(today())
    assert client.get("/api/visits", {"from": day, "to": day}).json()["count"] == 1
    assert client.get("/api/visits", {"mode": "phone"}).json()["count"] == 0
    assert client.get("/api/visits", {"cadre": world.cadre.pk}).json()["count"] == 1
    assert client.get("/api/visits", {"household": world.household2.pk}).json()["count"] == 0


def add_visits(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        h = make_household(world.county, world.group, f"510184110009{i:05d}", members=2)
        pair(world, h, since=today() - dt.timedelta(days=30))
        head = h.members.get(relation="head")
        do_record_visit(
            acting_user=world.cadre_user,
            households=[Visited(h, members=[head.pk])],
            occurred_on=today(),
            mode="in_person",
            needs=[Need(h, "修路")],
        )


@pytest.mark.parametrize("persona", ["city_admin", "village_staff", "cadre_user"])
@pytest.mark.parametrize("path", ["/api/visits", "/api/rates?level=household"])
def test_it_lists_3_or_30_visits_in_the_same_queries(world, login, persona, path):
    client = login(getattr(world, persona))
    add_visits(world, 3, 0)

    def queries():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path)
        assert answer.status_code == 200, answer.content
        return len(captured), answer.json()

    few, first = queries()
    add_visits(world, 27, 100)
    many, second = queries()
    assert second["count"] == first["count"] + 27
    assert many == few, path


def test_it_answers_rates_with_their_definitions_in_the_scope(world, login, recorded):
    answer = login(world.village_staff).get("/api/rates", {"level": "village"}).json()
    assert [r["name"] for r in answer["items"]] == ["大坪村"]
    assert answer["total"]["meeting_rate"]["percent"] == "100.0%"
    assert answer["definitions"]["dialogue_rate"].startswith("对话率")
    assert login(world.outsider).get("/api/rates").json()["total"]["households"] == 0

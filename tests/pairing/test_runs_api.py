"""/api/pairing: runs, their changes, apply, the policy, and a household's cadre on a day."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_pair
from tests.pairing.runs_support import build_county, dry_run, inline_runs  # noqa: F401

pytestmark = pytest.mark.usefixtures("inline_runs")


def test_it_starts_lists_and_applies_runs(world, login):
    build_county(world, households=24, cadres=6)
    client = login(world.city_admin)

    started = client.post("/api/pairing/runs", {"note": "接口"}, content_type="application/json")
    assert started.status_code == 201, started.content
    run = started.json()
    assert run["status"] == "previewed" and run["counts"]["new"] == 26 and run["note"] == "接口"
    assert not Pairing.objects.exists()

    listing = client.get("/api/pairing/runs").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == run["id"]

    detail = client.get(f"/api/pairing/runs/{run['id']}").json()
    assert detail["summary"]["status"] == "OPTIMAL"
    assert {u["name"] for u in detail["summary"]["units"]} >= {"测试单位1", "测试单位2"}
    assert "三龙村" in detail["summary"]["shortfalls"][0]["message_zh"]

    changes = client.get(f"/api/pairing/runs/{run['id']}/changes", {"kind": "new", "limit": 5})
    body = changes.json()
    assert body["count"] == 26 and len(body["items"]) == 5
    assert body["items"][0]["reason"] == "尚未结对"
    bad = client.get(f"/api/pairing/runs/{run['id']}/changes", {"kind": "both"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"

    applied = client.post(f"/api/pairing/runs/{run['id']}/apply")
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert Pairing.objects.count() == 26
    again = client.post(f"/api/pairing/runs/{run['id']}/apply")
    assert again.status_code == 409 and "已于" in again.json()["detail"]


def test_it_answers_409_for_a_stale_run(world, login):
    run = dry_run(world.county, world.city_admin)
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    response = login(world.city_admin).post(f"/api/pairing/runs/{run.pk}/apply")
    assert response.status_code == 409 and response.json()["field"] == "run"


def test_it_lets_leaders_read_and_hides_runs_from_others(world, login):
    run = dry_run(world.county, world.city_admin)
    leader = login(world.leader_user)
    assert leader.get(f"/api/pairing/runs/{run.pk}").status_code == 200
    assert leader.post(f"/api/pairing/runs/{run.pk}/apply").status_code == 404
    assert leader.post("/api/pairing/runs", {}, content_type="application/json").status_code == 404
    for persona in ("outsider", "township_staff", "cadre_user", "system_admin"):
        client = login(getattr(world, persona))
        assert client.get("/api/pairing/runs").status_code == 404
        assert client.get(f"/api/pairing/runs/{run.pk}").status_code == 404
        assert client.get(f"/api/pairing/runs/{run.pk}/changes").status_code == 404
        assert client.get("/api/pairing/policy").status_code == 404


def test_it_shows_the_policy(world, login):
    body = login(world.leader_user).get("/api/pairing/policy").json()
    assert body["coverage"] == "all" and body["min_load"] == 5 and body["max_load"] == 15
    assert body["exclude_city_leaders"] is True and body["unit_overrides"] == []


def test_it_answers_who_was_the_cadre_on_a_day(world, login):
    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=None,
        valid_from=dt.date(2025, 1, 1),
    )
    client = login(world.township_staff)
    url = f"/api/pairing/households/{world.household.pk}/cadre"
    body = client.get(url, {"on": "2025-03-01"}).json()
    assert body["cadre"]["name"] == "马林增" and body["unit"]["name"] == "中共崇州市委宣传部"
    assert client.get(url, {"on": "2024-03-01"}).json()["cadre"] is None
    # The outsider cannot see the household at all.
    assert login(world.outsider).get(url).status_code == 404

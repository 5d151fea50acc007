"""How long a pairing run may compute: the policy's default and maximum (city administrator,
audited, refused in Chinese beside the field, 4xx on the API), and a run's chosen budget,
which may not exceed the maximum and is kept in the run's params."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.pairing.models import PairingRun
from lianxin.pairing.policy import policy_for
from lianxin.pairing.services import do_set_run_budget, do_start_pairing_run
from tests.pairing.runs_support import FAST, inline_runs  # noqa: F401


def test_it_defaults_to_two_minutes_of_at_most_ten(world):
    policy = policy_for(world.county)
    assert (policy.run_budget, policy.run_budget_max) == (120, 600)


def test_it_sets_the_budget_with_an_audit_row(world):
    do_set_run_budget(
        county=world.county, acting_user=world.city_admin, run_budget=60, run_budget_max=300
    )
    policy = policy_for(world.county)
    assert (policy.run_budget, policy.run_budget_max) == (60, 300)
    entry = AuditEntry.objects.get(action="修改自动结对计算时限")
    assert entry.actor == world.city_admin
    assert entry.changes == {"run_budget": [120, 60], "run_budget_max": [600, 300]}

    # Saving the same values again changes nothing and records nothing.
    do_set_run_budget(
        county=world.county, acting_user=world.city_admin, run_budget=60, run_budget_max=300
    )
    assert AuditEntry.objects.filter(action="修改自动结对计算时限").count() == 1


@pytest.mark.parametrize(
    ("run_budget", "run_budget_max", "field", "words"),
    [
        (400, 300, "run_budget", "默认计算时限（400秒）不能大于计算时限上限（300秒）"),
        (5, 300, "run_budget", "默认计算时限须在10到1800秒之间"),
        (120, 3600, "run_budget_max", "计算时限上限须在10到1800秒之间"),
        (5, 8, "run_budget_max", "计算时限上限须在10到1800秒之间"),
    ],
)
def test_it_refuses_budgets_out_of_bounds(world, run_budget, run_budget_max, field, words):
    with pytest.raises(Refused) as refused:
        do_set_run_budget(
            county=world.county,
            acting_user=world.city_admin,
            run_budget=run_budget,
            run_budget_max=run_budget_max,
        )
    assert refused.value.field == field and refused.value.message == words
    assert refused.value.status == 400
    assert policy_for(world.county).run_budget == 120
    assert not AuditEntry.objects.filter(action="修改自动结对计算时限").exists()


def test_it_lets_only_the_city_administrator_set_it(world):
    with pytest.raises(Refused) as refused:
        do_set_run_budget(
            county=world.county, acting_user=world.leader_user, run_budget=60, run_budget_max=60
        )
    assert refused.value.status == 403


def test_it_sets_the_budget_on_the_policy_page(world, login):
    client = login(world.city_admin)
    page = client.get(reverse("pairing:policy")).content.decode()
    assert "计算时限" in page and "保存计算时限" in page

    response = client.post(
        reverse("pairing:policy_budget"), {"run_budget": "90", "run_budget_max": "900"}
    )
    assert response.status_code == 302
    assert policy_for(world.county).run_budget_max == 900

    wrong = client.post(
        reverse("pairing:policy_budget"), {"run_budget": "950", "run_budget_max": "900"}
    )
    assert wrong.status_code == 400
    assert "默认计算时限（950秒）不能大于计算时限上限（900秒）" in wrong.content.decode()
    assert policy_for(world.county).run_budget == 90


def test_it_shows_the_budget_read_only_to_leaders_and_hides_it_from_others(world, login):
    page = login(world.leader_user).get(reverse("pairing:policy")).content.decode()
    assert "默认计算时限" in page and "保存计算时限" not in page
    response = login(world.leader_user).post(
        reverse("pairing:policy_budget"), {"run_budget": "90", "run_budget_max": "900"}
    )
    assert response.status_code == 404
    assert policy_for(world.county).run_budget == 120


def test_it_sets_and_refuses_the_budget_on_the_api(world, login):
    client = login(world.city_admin)
    ok = client.put(
        "/api/pairing/policy/budget",
        {"run_budget": 30, "run_budget_max": 60},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["run_budget"], ok.json()["run_budget_max"]) == (30, 60)
    assert client.get("/api/pairing/policy").json()["run_budget_max"] == 60

    wrong = client.put(
        "/api/pairing/policy/budget",
        {"run_budget": 30, "run_budget_max": 4000},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "run_budget_max"
    assert wrong.json()["detail"] == "计算时限上限须在10到1800秒之间"
    too_big = client.put(
        "/api/pairing/policy/budget",
        {"run_budget": 2**40, "run_budget_max": 2**41},
        content_type="application/json",
    )
    assert too_big.status_code == 400  # never reaches the database's integer column
    assert policy_for(world.county).run_budget_max == 60


@pytest.mark.usefixtures("inline_runs")
def test_it_keeps_the_chosen_budget_in_the_runs_params(world):
    run = do_start_pairing_run(
        county=world.county, acting_user=world.city_admin, time_limit=FAST, budget=45
    )
    run.refresh_from_db()
    assert run.summary["params"]["budget_seconds"] == 45
    assert run.summary["budget"]["seconds"] == 45 and run.summary["budget"]["within"]
    started = AuditEntry.objects.get(action="计算自动结对预览")
    assert started.changes["budget_seconds"] == [None, 45]
    # Without a choice, the policy's default.
    do_set_run_budget(
        county=world.county, acting_user=world.city_admin, run_budget=30, run_budget_max=60
    )
    again = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    assert again.summary["params"]["budget_seconds"] == 30


def test_it_refuses_a_budget_above_the_policys_maximum(world):
    with pytest.raises(Refused) as refused:
        do_start_pairing_run(
            county=world.county, acting_user=world.city_admin, budget=601, start=False
        )
    assert refused.value.field == "budget"
    assert refused.value.message == "计算时限不能超过结对规则规定的上限600秒"
    with pytest.raises(Refused) as refused:
        do_start_pairing_run(county=world.county, acting_user=world.city_admin, budget=5)
    assert refused.value.message == "计算时限至少为10秒"
    assert not PairingRun.objects.exists()


@pytest.mark.usefixtures("inline_runs")
def test_it_offers_the_default_budget_and_refuses_more_than_the_maximum_on_the_page(world, login):
    client = login(world.city_admin)
    page = client.get(reverse("pairing:run_create")).content.decode()
    assert 'name="budget"' in page and 'value="120"' in page and "最多 600 秒" in page

    refused = client.post(reverse("pairing:run_create"), {"note": "", "budget": "700"})
    assert refused.status_code == 400
    assert "计算时限不能超过结对规则规定的上限600秒" in refused.content.decode()
    assert not PairingRun.objects.exists()

    started = client.post(reverse("pairing:run_create"), {"note": "", "budget": "60"})
    assert started.status_code == 302
    assert PairingRun.objects.get().summary["params"]["budget_seconds"] == 60


@pytest.mark.usefixtures("inline_runs")
def test_it_refuses_more_than_the_maximum_on_the_api(world, login):
    client = login(world.city_admin)
    refused = client.post(
        "/api/pairing/runs", {"budget_seconds": 601}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "budget"
    assert "上限600秒" in refused.json()["detail"]
    started = client.post(
        "/api/pairing/runs",
        {"budget_seconds": 30, "time_limit": FAST},
        content_type="application/json",
    )
    assert started.status_code == 201
    assert started.json()["budget_seconds"] == 30
    assert started.json()["unproven_components"] == 0
    assert started.json()["budget_exhausted"] is False

"""Cadre departures and transfers, household moves: the re-pairing offered after each, and the
stable optimiser moving only the households affected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.core.models import today
from lianxin.org.services import do_cadre_leaves, do_transfer_cadre
from lianxin.pairing import engine
from lianxin.pairing.models import Pairing, PairingRun
from lianxin.pairing.services import do_apply_pairing_run, do_pair
from lianxin.people.services import do_update_household
from tests.pairing.runs_support import (  # noqa: F401
    apply,
    build_county,
    current_cadre,
    dry_run,
    inline_runs,
)

pytestmark = pytest.mark.usefixtures("inline_runs")


@pytest.fixture
def paired(world):
    """The generated county, fully paired by one applied run."""
    c = build_county(world, units=3, households=60, cadres=10)
    apply(world.county, world.city_admin)
    return c


def changes(run):
    return {
        kind: {(ch.household_id, ch.cadre_id) for ch in run.changes.filter(kind=kind)}
        for kind in ("new", "ended")
    }


def test_it_moves_only_a_leaving_cadres_households_within_their_unit(world, paired):
    leaving = paired.cadres[0]
    theirs = set(Pairing.objects.filter(cadre=leaving).values_list("household_id", flat=True))
    assert theirs
    do_cadre_leaves(leaving, left_on=today(), acting_user=world.city_admin)

    run = dry_run(world.county, world.city_admin)

    got = changes(run)
    assert {h for h, _ in got["ended"]} == theirs
    assert {c for _, c in got["ended"]} == {leaving.pk}
    assert {h for h, _ in got["new"]} == theirs
    unit_of = {c.pk: c.unit_id for c in paired.cadres}
    assert {unit_of[c] for _, c in got["new"]} == {leaving.unit_id}
    assert set(run.changes.values_list("reason", flat=True)) == {
        engine.REASON_LEFT,
        engine.REPLACES + engine.REASON_LEFT,
    }
    assert run.summary["counts"]["kept"] == 62 - len(theirs)


def test_it_moves_only_a_transferred_cadres_households(world, paired):
    mover = paired.cadres[0]
    mine = list(Pairing.objects.filter(cadre=mover, valid_to__isnull=True))
    do_transfer_cadre(
        mover, unit=paired.units[1], acting_user=world.city_admin, effective_on=today()
    )

    run = dry_run(world.county, world.city_admin)

    got = changes(run)
    assert {h for h, _ in got["ended"]} == {p.household_id for p in mine}
    assert {h for h, _ in got["new"]} == {p.household_id for p in mine}
    unit_of = {c.pk: c.unit_id for c in paired.cadres}
    # Re-paired inside the zone's unit, which the mover has left.
    assert {unit_of[c] for _, c in got["new"]} == {paired.units[0].pk}
    assert mover.pk not in {c for _, c in got["new"]}


def test_it_ends_a_transferred_cadres_older_pairing_the_day_before_the_transfer(world):
    c = build_county(world, units=2, households=12, cadres=4)
    mover = c.cadres[0]
    household = next(h for h in c.households if h.village_id == c.villages[0].pk)
    since = today() - dt.timedelta(days=30)
    do_pair(cadre=mover, household=household, acting_user=None, valid_from=since)
    moved_on = today() - dt.timedelta(days=5)
    do_transfer_cadre(mover, unit=c.units[1], acting_user=world.city_admin, effective_on=moved_on)

    run = dry_run(world.county, world.city_admin)
    [ended] = run.changes.filter(kind="ended", household=household)
    assert ended.reason == engine.REASON_TRANSFERRED
    do_apply_pairing_run(run, acting_user=world.city_admin)

    old = Pairing.objects.get(household=household, cadre=mover)
    assert old.valid_to == moved_on - dt.timedelta(days=1)


def test_it_moves_only_a_household_that_moves_to_another_zone(world, paired):
    household = paired.households[0]
    before = current_cadre(household)
    # From 测试1甲村 (unit 1) to a group of 测试2甲村 (unit 2).
    elsewhere = next(g for g in paired.groups if g.parent_id == paired.villages[2].pk)
    do_update_household(household, region=elsewhere, acting_user=world.city_admin)

    run = dry_run(world.county, world.city_admin)

    got = changes(run)
    assert got["ended"] == {(household.pk, before)}
    [(h, cadre)] = got["new"]
    assert h == household.pk
    unit_of = {c.pk: c.unit_id for c in paired.cadres}
    assert unit_of[cadre] == paired.units[1].pk


def test_it_changes_nothing_when_a_household_moves_within_its_village(world, paired):
    household = paired.households[0]
    same_village = next(
        g
        for g in paired.groups
        if g.parent_id == household.village_id and g.pk != household.region_id
    )
    do_update_household(household, region=same_village, acting_user=world.city_admin)
    run = dry_run(world.county, world.city_admin)
    assert run.changes.count() == 0


# --- the offer on the pages ------------------------------------------------------------------


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_it_offers_a_repair_after_a_cadre_leaves(world, login):
    client = login(world.city_admin)
    response = client.post(
        reverse("org:cadre_leave", args=[world.cadre.pk]),
        {"left_on": today().isoformat(), "reason": "退休"},
        follow=True,
    )
    text = response.content.decode()
    assert "重新结对（预览）" in text
    # A real link (the message is marked safe, its parts escaped), not escaped markup.
    assert f'<a href="{reverse("pairing:run_create")}?note=' in text
    assert 'hx-post="/pairing/runs/new/"' in text
    assert any("马林增退出" in m for m in _messages(response))


def test_it_offers_a_repair_after_a_transfer(world, login):
    client = login(world.city_admin)
    response = client.post(
        reverse("org:cadre_transfer", args=[world.cadre.pk]),
        {
            "unit": world.other_unit.pk,
            "post": "",
            # After the world's cadre joined (today): the earliest day a transfer may take effect.
            "effective_on": (today() + dt.timedelta(days=1)).isoformat(),
        },
        follow=True,
    )
    assert any("马林增调动" in m and "重新结对（预览）" in m for m in _messages(response))


def test_it_offers_a_repair_after_a_household_moves_group(world, login):
    client = login(world.city_admin)
    url = reverse("people:household_edit", args=[world.household.pk])
    response = client.post(url, {"address": "", "region": world.group2.pk}, follow=True)
    assert any("51018411000000001迁组" in m for m in _messages(response))
    # Saving without moving offers nothing.
    response = client.post(url, {"address": "新住址", "region": world.group2.pk}, follow=True)
    assert not any("重新结对" in m for m in _messages(response))


def test_it_offers_nothing_to_staff_who_cannot_run_pairing(world, login):
    client = login(world.township_staff)
    url = reverse("people:household_edit", args=[world.household.pk])
    response = client.post(url, {"address": "", "region": world.group2.pk}, follow=True)
    assert response.status_code == 200
    assert not any("重新结对" in m for m in _messages(response))


def test_it_starts_the_offered_dry_run_in_one_click(world, login):
    client = login(world.city_admin)
    note = "马林增退出后重新结对"
    page = client.get(reverse("pairing:run_create"), {"note": note})
    assert page.status_code == 200 and note in page.content.decode()

    response = client.post(reverse("pairing:run_create"), {"note": note}, HTTP_HX_REQUEST="true")

    run = PairingRun.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("pairing:run_detail", args=[run.pk])
    assert run.summary["note"] == note
    assert not Pairing.objects.exists()

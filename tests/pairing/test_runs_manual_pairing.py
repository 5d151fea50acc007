"""Manual pairing on the household page: pair inside the zone, lock, unlock, end."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.org.services import do_create_cadre
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import (
    do_exclude_cadre,
    do_lock_pairing,
    do_pair,
    do_pair_manually,
)
from tests.pairing.runs_support import apply, inline_runs  # noqa: F401

pytestmark = pytest.mark.usefixtures("inline_runs")


def test_it_pairs_a_household_by_hand_locked(world, login):
    client = login(world.city_admin)
    url = reverse("pairing:manual", args=[world.household.pk])
    page = client.get(url).content.decode()
    # The unit's cadres are offered; the city leader is not (the policy keeps leaders out).
    assert "马林增（中共崇州市委宣传部，已联系0户）" in page and "李市长" not in page

    response = client.post(url, {"cadre": world.cadre.pk, "locked": "on"})

    assert response.status_code == 302
    p = Pairing.objects.get(household=world.household)
    assert p.cadre == world.cadre and p.locked and p.made_by == world.city_admin
    assert AuditEntry.objects.filter(action="结对", actor=world.city_admin).exists()
    # The automatic run leaves it alone.
    apply(world.county, world.city_admin)
    p.refresh_from_db()
    assert p.valid_to is None


def test_it_refuses_a_cadre_outside_the_zone_in_chinese(world, login):
    stranger = do_create_cadre(
        unit=world.other_unit, staff_no="C0900", name="周远", acting_user=None
    )
    client = login(world.city_admin)
    response = client.post(
        reverse("pairing:manual", args=[world.household.pk]), {"cadre": stranger.pk}
    )
    assert response.status_code == 400
    assert "责任区不含大坪村" in response.content.decode()
    assert not Pairing.objects.exists()


def test_it_refuses_leaders_and_excluded_cadres(world):
    with pytest.raises(Refused, match="市级领导"):
        do_pair_manually(
            household=world.household, cadre=world.leader, acting_user=world.city_admin
        )
    do_exclude_cadre(cadre=world.cadre, reason="病假", acting_user=world.city_admin)
    with pytest.raises(Refused, match="不参与结对"):
        do_pair_manually(household=world.household, cadre=world.cadre, acting_user=world.city_admin)


def test_it_replaces_a_cadre_keeping_history(world):
    first = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    second_cadre = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    do_pair_manually(household=world.household, cadre=second_cadre, acting_user=world.city_admin)
    first.refresh_from_db()
    # Made and replaced today: it ends today, never before it began.
    assert first.valid_to == first.valid_from == today()
    assert (
        Pairing.objects.get(household=world.household, valid_to__isnull=True).cadre == second_cadre
    )


def test_it_locks_unlocks_and_ends_from_the_household_page(world, login):
    p = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    page = client.get(reverse("people:household_detail", args=[world.household.pk]))
    assert "锁定结对" in page.content.decode()

    client.post(reverse("pairing:pairing_lock", args=[p.pk]))
    p.refresh_from_db()
    assert p.locked
    page = client.get(reverse("people:household_detail", args=[world.household.pk]))
    assert "解除锁定" in page.content.decode()
    client.post(reverse("pairing:pairing_unlock", args=[p.pk]))
    p.refresh_from_db()
    assert not p.locked
    assert AuditEntry.objects.filter(action__in=["锁定结对", "解除结对锁定"]).count() == 2

    response = client.post(
        reverse("pairing:pairing_end", args=[p.pk]), {"valid_to": today().isoformat()}, follow=True
    )
    p.refresh_from_db()
    assert p.valid_to == today()
    assert "重新结对（预览）" in response.content.decode()
    with pytest.raises(Refused, match="已结束"):
        do_lock_pairing(p, acting_user=world.city_admin)


def test_it_refuses_an_end_before_the_pairing_began(world, login):
    p = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    response = client.post(
        reverse("pairing:pairing_end", args=[p.pk]), {"valid_to": "2000-01-01"}, follow=True
    )
    assert "最后一天不能早于结对起始日期" in response.content.decode()
    p.refresh_from_db()
    assert p.valid_to is None


def test_it_shows_the_controls_to_the_city_administrator_only(world, login):
    p = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    url = reverse("people:household_detail", args=[world.household.pk])
    staff_page = login(world.township_staff).get(url).content.decode()
    assert "锁定结对" not in staff_page and "手工结对" not in staff_page
    client = login(world.township_staff)
    assert client.get(reverse("pairing:manual", args=[world.household.pk])).status_code == 404
    assert client.post(reverse("pairing:pairing_lock", args=[p.pk])).status_code == 404
    assert client.post(reverse("pairing:pairing_end", args=[p.pk])).status_code == 404
    outsider = login(world.outsider)
    assert outsider.get(reverse("pairing:manual", args=[world.household.pk])).status_code == 404

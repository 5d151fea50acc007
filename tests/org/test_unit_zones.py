import datetime as dt

from django.urls import reverse

from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region, do_end_region
from lianxin.org.models import ResponsibilityZone


def assign_url(unit):
    return reverse("org:unit_zone_assign", args=[unit.pk])


def test_it_assigns_a_current_village(world, login):
    response = login(world.city_admin).post(
        assign_url(world.unit), {"village": world.village2.pk, "valid_from": "2025-03-01"}
    )
    assert response.status_code == 302
    zone = ResponsibilityZone.objects.get(unit=world.unit, village=world.village2)
    assert zone.valid_from == dt.date(2025, 3, 1) and zone.valid_to is None


def test_it_offers_only_current_villages_not_yet_held(world, login):
    gone = do_create_region(
        county=world.county,
        level=Level.VILLAGE,
        name="旧村村民委员会",
        parent=world.township,
        valid_from=dt.date(2010, 1, 1),
    )
    do_end_region(gone, effective_on=dt.date(2020, 1, 1), acting_user=None)
    client = login(world.city_admin)
    page = client.get(assign_url(world.unit)).content.decode()
    assert "文井江镇 · 双河村" in page and "道明镇 · 三龙村" in page
    assert "旧村" not in page
    assert f'value="{world.village.pk}"' not in page  # already the unit's zone
    response = client.post(assign_url(world.unit), {"village": gone.pk, "valid_from": "2025-03-01"})
    assert response.status_code == 400
    assert not ResponsibilityZone.objects.filter(village=gone).exists()


def test_it_ends_a_zone_and_keeps_it(world, login):
    zone = ResponsibilityZone.objects.get(unit=world.unit, village=world.village)
    ResponsibilityZone.objects.filter(pk=zone.pk).update(valid_from=dt.date(2024, 1, 1))
    url = reverse("org:unit_zone_end", args=[world.unit.pk, zone.pk])
    response = login(world.city_admin).post(url, {"valid_to": "2025-06-30"})
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.valid_to == dt.date(2025, 6, 30)


def test_it_refuses_an_end_before_the_start_in_chinese(world, login):
    zone = ResponsibilityZone.objects.get(unit=world.unit, village=world.village)
    ResponsibilityZone.objects.filter(pk=zone.pk).update(valid_from=dt.date(2024, 1, 1))
    url = reverse("org:unit_zone_end", args=[world.unit.pk, zone.pk])
    response = login(world.city_admin).post(url, {"valid_to": "2023-12-31"})
    assert response.status_code == 400
    assert "终止日期不能早于起始日期2024-01-01" in response.content.decode()
    zone.refresh_from_db()
    assert zone.valid_to is None


def test_it_answers_404_for_another_units_zone_and_for_non_admins(world, login):
    other_zone = ResponsibilityZone.objects.get(unit=world.other_unit)
    url = reverse("org:unit_zone_end", args=[world.unit.pk, other_zone.pk])
    assert login(world.city_admin).post(url, {"valid_to": "2030-01-01"}).status_code == 404
    assert login(world.township_staff).get(assign_url(world.unit)).status_code == 404

import datetime as dt

from django.urls import reverse

from lianxin.core.models import today
from lianxin.org.models import ResponsibilityZone
from lianxin.org.services import do_end_zone
from lianxin.pairing.services import do_pair


def url(unit):
    return reverse("org:unit_detail", args=[unit.pk])


def test_it_shows_kind_zones_cadres_and_counts(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    page = login(world.city_admin).get(url(world.unit)).content.decode()
    assert "党委机关" in page
    assert "大坪村" in page and today().isoformat() in page
    assert "马林增" in page and "网信办干部" in page
    assert "139****0001" in page and "13900000001" not in page
    # 2 active cadres; 2 households in 大坪村, 1 of them paired with the unit's cadre.
    assert '<div class="num">2</div><div class="label">在册干部</div>' in page
    assert '<div class="num">2</div><div class="label">责任区户数</div>' in page
    assert '<div class="num">1</div><div class="label">本单位干部结对户</div>' in page


def test_it_keeps_ended_zones_as_history(world, login):
    zone = ResponsibilityZone.objects.get(unit=world.unit, village=world.village)
    ResponsibilityZone.objects.filter(pk=zone.pk).update(valid_from=dt.date(2024, 1, 1))
    do_end_zone(zone, valid_to=dt.date(2024, 12, 31), acting_user=None)
    page = login(world.city_admin).get(url(world.unit)).content.decode()
    assert "责任区历史" in page and "2024-01-01" in page and "2024-12-31" in page
    assert "尚未划定责任区" in page


def test_it_answers_404_outside_the_scope(world, login):
    assert login(world.outsider).get(url(world.unit)).status_code == 404
    assert login(world.outsider).get(url(world.other_unit)).status_code == 200
    assert login(world.cadre_user).get(url(world.other_unit)).status_code == 404
    assert login(world.cadre_user).get(url(world.unit)).status_code == 200
    assert login(world.audit_admin).get(url(world.unit)).status_code == 404


def test_it_offers_the_admin_forms_only_to_the_city_admin(world, login):
    assert "划定责任区" in login(world.city_admin).get(url(world.unit)).content.decode()
    assert "划定责任区" not in login(world.township_staff).get(url(world.unit)).content.decode()


def test_it_lists_the_zones_in_official_order(world, login):
    """Villages by Region.sort_key (八村 is 8, 七一村 is 71), not by id or character code."""
    from lianxin.geo.choices import Level
    from lianxin.geo.services import do_create_region
    from lianxin.org.services import do_assign_zone

    for name in ("七一村", "八村"):
        village = do_create_region(
            county=world.county, level=Level.VILLAGE, name=name, parent=world.township
        )
        do_assign_zone(unit=world.unit, village=village, acting_user=None)
    response = login(world.city_admin).get(url(world.unit))
    names = [z.village.short_name for z in response.context["zones"]]
    assert names == ["八村", "七一村", "大坪村"]

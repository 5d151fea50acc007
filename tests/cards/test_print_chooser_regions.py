"""The print chooser offers the villages the user may choose (the pickers' choosable_regions):
a cadre those holding their households, not the county's (issue 8 point 11)."""

from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.pairing.models import CardToken
from tests.cards.support import start_print


def chooser(client) -> str:
    html = client.get(reverse("cards:print")).content.decode()
    start = html.index("按村（社区）打印")
    return html[start : html.index("按单位打印", start)]


def test_it_offers_a_cadre_only_the_villages_of_their_households(cards_world, login):
    villages = chooser(login(cards_world.cadre_user))  # 12 households in 大坪村
    assert ">大坪村<" in villages
    for elsewhere in ("双河村", "三龙村", "道明镇"):
        assert elsewhere not in villages, elsewhere


def test_it_offers_the_county_user_every_village(cards_world, login):
    villages = chooser(login(cards_world.city_admin))
    for name in ("大坪村", "双河村", "三龙村", "道明镇"):
        assert name in villages, name


def test_it_offers_village_staff_their_village_alone(cards_world, login):
    villages = chooser(login(cards_world.village_staff))
    assert ">大坪村<" in villages and "双河村" not in villages and "三龙村" not in villages


def test_it_prints_nothing_for_a_cadre_of_a_village_outside_their_households(cards_world, login):
    w = cards_world
    client = login(w.cadre_user)
    page = client.get(reverse("cards:print"), {"kind": "region", "pk": w.other_village.pk})
    assert "马蓉" not in page.content.decode()
    assert "这个范围内没有可打印连心卡的户" in page.content.decode()
    response = start_print(client, "region", w.other_village.pk)
    assert response.status_code == 400
    assert not CardToken.objects.filter(household=w.other_household).exists()
    assert not AuditEntry.objects.filter(action="打印连心卡").exists()
    # Village staff do not see the village at all.
    page = login(w.village_staff).get(
        reverse("cards:print"), {"kind": "region", "pk": w.village2.pk}
    )
    assert page.status_code == 404

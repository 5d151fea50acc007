"""What a print covers, and who may print it: scope first, outsiders get 404."""

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.pairing.models import CardToken
from lianxin.pairing.services import do_pair
from tests.cards.support import download, pdf_bytes, qr_codes, reader


def test_it_prints_one_households_card(cards_world, login):
    w = cards_world
    response = download(login(w.village_staff), "household", w.household.pk)
    data = pdf_bytes(response)
    assert len(reader(data).pages) == 1
    token = CardToken.objects.get(household=w.household, revoked_at__isnull=True).token
    assert qr_codes(data) == [f"http://testserver/h/{token}"]
    assert response["X-Card-Count"] == "1"


def test_it_prints_a_cadres_current_households(cards_world, login):
    w = cards_world
    response = download(login(w.city_admin), "cadre", w.cadre.pk)
    assert response["X-Card-Count"] == "11"
    assert len(reader(pdf_bytes(response)).pages) == 2


def test_it_prints_the_households_paired_with_a_units_cadres(cards_world, login):
    w = cards_world
    do_pair(cadre=w.cadre2, household=w.other_household, acting_user=w.city_admin)
    client = login(w.city_admin)
    assert download(client, "unit", w.other_unit.pk)["X-Card-Count"] == "1"
    assert download(client, "unit", w.unit.pk)["X-Card-Count"] == "11"


def test_it_narrows_a_selection_to_the_households_the_user_sees(cards_world, login):
    w = cards_world
    # 马林增 also serves a household in 道明镇, which 文井江镇's staff may not see.
    do_pair(cadre=w.cadre, household=w.other_household, acting_user=w.city_admin)
    response = download(login(w.township_staff), "cadre", w.cadre.pk)
    assert response["X-Card-Count"] == "11"
    assert not CardToken.objects.filter(household=w.other_household).exists()


def test_it_lets_a_cadre_print_their_own_households(cards_world, login):
    w = cards_world
    client = login(w.cadre_user)
    chooser = client.get(reverse("cards:print"))
    assert f"?kind=cadre&amp;pk={w.cadre.pk}" in chooser.content.decode()
    assert download(client, "cadre", w.cadre.pk)["X-Card-Count"] == "11"


@pytest.mark.parametrize(
    "kind,target", [("household", "household"), ("region", "village"), ("cadre", "cadre")]
)
def test_it_answers_404_to_an_outsider(cards_world, login, kind, target):
    w = cards_world
    client = login(w.outsider)  # 道明镇's staff
    pk = getattr(w, target).pk
    assert client.get(reverse("cards:print"), {"kind": kind, "pk": pk}).status_code == 404
    assert download(client, kind, pk).status_code == 404
    assert not CardToken.objects.exists()
    assert not AuditEntry.objects.filter(action="打印连心卡").exists()


def test_it_answers_404_to_the_separated_administrators(cards_world, login):
    w = cards_world
    for admin in (w.system_admin, w.security_admin, w.audit_admin):
        assert download(login(admin), "household", w.household.pk).status_code == 404


def test_it_answers_404_to_an_unknown_kind_or_pk(cards_world, login):
    client = login(cards_world.city_admin)
    assert download(client, "county", cards_world.county.pk).status_code == 404
    assert download(client, "household", "abc").status_code == 404
    assert download(client, "household", 999999).status_code == 404


def test_it_requires_login(cards_world, client):
    response = download(client, "household", cards_world.household.pk)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_refuses_a_selection_without_households(cards_world, login):
    response = download(login(cards_world.township_staff), "region", cards_world.village2.pk)
    assert response.status_code == 400
    assert "没有可打印连心卡的户" in response.content.decode()


def test_it_shows_what_a_print_holds_before_the_download(
    cards_world, login, django_assert_max_num_queries
):
    w = cards_world
    client = login(w.township_staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cards:print"), {"kind": "region", "pk": w.village.pk})
    page = response.content.decode()
    assert response.status_code == 200
    for expected in ("村（社区）：大坪村", "12 张", "2 页", "尚未签发二维码</dt><dd>12 户"):
        assert expected in page, expected
    assert "暂未结对</dt><dd>1 户" in page
    assert 'name="kind" value="region"' in page


def test_it_offers_only_visible_villages_and_units_in_the_chooser(cards_world, login):
    w = cards_world
    page = login(w.outsider).get(reverse("cards:print")).content.decode()
    assert "三龙村" in page
    assert "大坪村" not in page and "双河村" not in page
    assert "中共崇州市委宣传部" not in page

"""The unit and liaison filters offer the townships the user may choose (the pickers'
choosable_regions): a cadre or a handler those holding their households, not the county's
(issue 8 point 11). A township chosen outside them by URL is refused and shows no rows."""

import pytest
from django.urls import reverse

from lianxin.pairing.services import do_pair

UNITS, LIAISONS = reverse("org:unit_list"), reverse("org:liaison_list")


def filter_form(client, url: str) -> str:
    html = client.get(url).content.decode()
    start = html.index('class="filters"')
    return html[start : html.index("</form>", start)]


@pytest.fixture
def paired(world):
    """马林增 (malin) is paired with one household of 大坪村 6组."""
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    return world


@pytest.mark.parametrize("url", [UNITS, LIAISONS])
def test_it_offers_a_cadre_only_the_townships_of_their_households(paired, login, url):
    form = filter_form(login(paired.cadre_user), url)
    assert ">文井江镇<" in form and "道明镇" not in form


@pytest.mark.parametrize("url", [UNITS, LIAISONS])
def test_it_offers_a_handler_only_the_townships_of_their_zone(paired, login, url):
    form = filter_form(login(paired.handler), url)  # 民政局's zone: 三龙村 in 道明镇
    assert ">道明镇<" in form and "文井江镇" not in form


@pytest.mark.parametrize("url", [UNITS, LIAISONS])
def test_it_offers_the_county_user_every_township(paired, login, url):
    form = filter_form(login(paired.city_admin), url)
    assert ">文井江镇<" in form and ">道明镇<" in form


@pytest.mark.parametrize("url", [UNITS, LIAISONS])
def test_it_offers_village_staff_no_township_of_another(paired, login, url):
    form = filter_form(login(paired.village_staff), url)
    assert "道明镇" not in form


def test_it_refuses_a_cadre_a_township_outside_their_households(paired, login):
    client = login(paired.cadre_user)
    page = client.get(UNITS, {"township": paired.other_township.pk})
    assert page.status_code == 400
    assert "所选乡镇不存在或不在您的权限范围内" in page.content.decode()
    assert "中共崇州市委宣传部" not in page.content.decode().split("</form>", 1)[1]
    liaisons = client.get(LIAISONS, {"township": paired.other_township.pk})
    assert liaisons.status_code == 400
    assert "<td>道明镇</td>" not in liaisons.content.decode()
    for path in ("/api/units", "/api/liaisons"):
        answer = client.get(path, {"township": paired.other_township.pk})
        assert answer.status_code == 422 and answer.json()["field"] == "township"


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc"])
def test_it_answers_a_junk_township_with_a_form_error(paired, login, value):
    client = login(paired.city_admin)
    assert client.get(UNITS, {"township": value}).status_code == 400
    assert client.get(LIAISONS, {"township": value}).status_code == 400

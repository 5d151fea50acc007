"""One household: region, members (masked), hardships, cadre and pairing history."""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_end_pairing
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.services import do_add_hardship, do_create_resident
from tests import factories


def _url(household) -> str:
    return reverse("people:household_detail", args=[household.pk])


@pytest.fixture
def known(world):
    """A member of 51018411000000002 whose full ID number and phone the test knows."""
    number = factories.id_number(dt.date(1988, 3, 9))
    resident = do_create_resident(
        household=world.household2,
        name="张小凡",
        id_number=number,
        relation=Relation.CHILD,
        phone="13912345678",
        acting_user=None,
    )
    return resident, number


def test_it_shows_members_masked(world, login, known):
    resident, number = known
    response = login(world.township_staff).get(_url(world.household2))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张小凡" in html and "户主" in html
    assert resident.id_number_masked in html and "139****5678" in html
    assert number not in html and "13912345678" not in html


def test_it_shows_the_api_members_masked(world, login, known):
    resident, number = known
    response = login(world.township_staff).get(f"/api/households/{world.household2.pk}")
    assert response.status_code == 200
    body = response.json()
    member = next(m for m in body["members"] if m["name"] == "张小凡")
    assert member["id_number_masked"] == resident.id_number_masked
    assert member["id_number_masked"].startswith("510184") and "*" in member["id_number_masked"]
    assert member["phone_masked"] == "139****5678"
    assert member["sex"] == "F" or member["sex"] == "M"
    assert number not in response.content.decode()
    assert "13912345678" not in response.content.decode()
    assert "birth_date" not in member


def test_it_shows_current_hardships_with_their_dates(world, login):
    do_add_hardship(
        world.household,
        kind=HardshipKind.DISABILITY,
        valid_from=dt.date(2024, 3, 1),
        acting_user=None,
    )
    response = login(world.township_staff).get(_url(world.household))
    assert [h.get_kind_display() for h in response.context["current_hardships"]] == ["残疾"]
    assert "2024-03-01" in response.content.decode()
    body = login(world.township_staff).get(f"/api/households/{world.household.pk}").json()
    assert [(h["label"], h["valid_from"]) for h in body["hardships"]] == [("残疾", "2024-03-01")]


def test_it_says_unpaired_when_there_is_no_cadre(world, login):
    response = login(world.township_staff).get(_url(world.household))
    assert response.context["current_pairing"] is None
    assert "未结对" in response.content.decode()
    assert (
        login(world.township_staff).get(f"/api/households/{world.household.pk}").json()["cadre"]
        is None
    )


def test_it_shows_the_current_cadre_and_the_pairing_history(world, login, paired):
    response = login(world.township_staff).get(_url(world.household))
    assert response.context["current_pairing"] == paired
    html = response.content.decode()
    assert "马林增" in html and "中共崇州市委宣传部" in html
    # Paired since last month, ended yesterday: history, not current.
    Pairing.objects.filter(pk=paired.pk).update(valid_from=dt.date.today() - dt.timedelta(days=30))
    do_end_pairing(paired, valid_to=dt.date.today() - dt.timedelta(days=1), acting_user=None)
    response = login(world.township_staff).get(_url(world.household))
    assert response.context["current_pairing"] is None
    assert list(response.context["pairings"]) == list(
        Pairing.objects.filter(household=world.household)
    )
    body = login(world.township_staff).get(f"/api/households/{world.household.pk}").json()
    assert body["cadre"] is None and body["pairings"][0]["cadre"]["name"] == "马林增"


@pytest.mark.parametrize(
    "persona, household",
    [
        ("outsider", "household"),
        ("township_staff", "other_household"),
        ("village_staff", "other_household"),
        ("cadre_user", "household2"),
        ("audit_admin", "household"),
        ("security_admin", "household"),
    ],
)
def test_it_answers_404_outside_the_scope(world, login, persona, household):
    client = login(getattr(world, persona))
    target = getattr(world, household)
    assert client.get(_url(target)).status_code == 404
    response = client.get(f"/api/households/{target.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或不在您的权限范围内"


def test_it_answers_404_to_a_village_staffer_for_another_village(world, login):
    other = factories.household(world.county, world.village2, "51018411002000001", head="刘德")
    assert login(world.township_staff).get(_url(other)).status_code == 200
    assert login(world.village_staff).get(_url(other)).status_code == 404


def test_it_shows_a_cadre_their_paired_household(world, login, paired):
    assert login(world.cadre_user).get(_url(world.household)).status_code == 200
    assert login(world.cadre_user).get(f"/api/households/{world.household.pk}").status_code == 200


def test_it_titles_the_page_with_the_heads_name_and_the_number(world, login):
    html = login(world.township_staff).get(_url(world.household)).content.decode()
    assert "<title>罗选志户 · 51018411000000001" in html
    assert "<h1>罗选志户 · 51018411000000001" in html


def test_it_says_so_in_the_title_when_no_head_is_registered(world, login):
    bare = factories.do_create_household(
        county=world.county, number="51018411001070009", region=world.group2, acting_user=None
    )
    html = login(world.township_staff).get(_url(bare)).content.decode()
    assert "<h1>户 · 51018411001070009（未登记户主）" in html


def test_it_shows_the_address_under_its_township(world, login):
    # Stored as typed, “大坪村6组12号”; shown with the township, computed from the regions.
    html = login(world.township_staff).get(_url(world.household)).content.decode()
    assert "<dd>文井江镇大坪村6组12号</dd>" in html
    world.household.refresh_from_db()
    assert world.household.address == "大坪村6组12号"


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("", "文井江镇大坪村6组"),
        ("12号", "文井江镇大坪村6组12号"),
        ("6组12号", "文井江镇大坪村6组12号"),
        ("文井江镇大坪村6组12号", "文井江镇大坪村6组12号"),
    ],
)
def test_it_completes_any_address_with_the_places_above_it(world, address, shown):
    world.household.address = address
    assert world.household.full_address == shown


def test_it_shows_full_addresses_in_search_results(world, login):
    client = login(world.city_admin)
    for number, shown in (
        ("51018411000000001", "文井江镇大坪村6组12号"),
        ("51018411000000002", "文井江镇大坪村7组"),  # no address stored: its places
        ("51018411000000101", "道明镇三龙村1组3号"),
    ):
        found = client.post(reverse("people:search"), {"q": number}, follow=True)
        assert f'<td class="hide-sm wrap-short">{shown}</td>' in found.content.decode()

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


"""The export form offers the regions the user may choose (the pickers' choosable_regions):
a cadre the few holding their households, not the county's (issue 8 point 11)."""

import pytest
from django.urls import reverse

from lianxin.pairing.services import do_pair
from lianxin.transfer.models import Job


def export_form(client, **params) -> str:
    html = client.get(reverse("transfer:index"), params).content.decode()
    start = html.index(f'action="{reverse("transfer:export")}"')
    return html[start : html.index("</form>", start)]


@pytest.fixture
def paired(world):
    """马林增 (malin) is paired with one household of 大坪村 6组."""
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    return world


def test_it_offers_a_cadre_only_the_regions_of_their_households(paired, login):
    form = export_form(login(paired.cadre_user))
    assert ">文井江镇<" in form and ">大坪村<" in form
    for elsewhere in ("道明镇", "三龙村", "双河村"):
        assert elsewhere not in form, elsewhere


def test_it_offers_the_county_user_every_township_and_village(paired, login):
    form = export_form(login(paired.city_admin))
    for name in ("文井江镇", "道明镇", "大坪村", "双河村", "三龙村"):
        assert f">{name}<" in form, name


def test_it_offers_village_staff_their_village_alone(paired, login):
    form = export_form(login(paired.village_staff))
    assert ">大坪村<" in form
    assert "道明镇" not in form and "三龙村" not in form and "双河村" not in form
    # A filter form leaves a single option at 全部 rather than choosing it unasked.
    assert "selected" not in form.split('name="village"', 1)[1].split("</select>", 1)[0]


def test_it_draws_the_chosen_townships_villages_when_sent_back(paired, login, inline_jobs):
    # Sent without a script with a bad value elsewhere: the villages follow the township.
    response = login(paired.city_admin).post(
        reverse("transfer:export"),
        {"data_kind": "nothing", "file_format": "csv", "township": paired.other_township.pk},
    )
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index('name="village"')
    villages = html[start : html.index("</select>", start)]
    assert ">三龙村<" in villages and "大坪村" not in villages


@pytest.mark.parametrize("field", ["township", "village"])
def test_it_refuses_a_cadre_a_region_outside_their_households(paired, login, inline_jobs, field):
    region = paired.other_township if field == "township" else paired.other_village
    response = login(paired.cadre_user).post(
        reverse("transfer:export"),
        {"data_kind": "residents", "file_format": "csv", field: region.pk},
    )
    assert response.status_code == 400
    assert "不在您的权限范围内" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc"])
def test_it_answers_a_form_error_to_a_junk_region_id(paired, login, inline_jobs, value):
    response = login(paired.city_admin).post(
        reverse("transfer:export"),
        {"data_kind": "residents", "file_format": "csv", "township": value, "village": value},
    )
    assert response.status_code == 400
    assert not Job.objects.exists()

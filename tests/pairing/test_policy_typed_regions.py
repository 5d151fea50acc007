"""The search picker's typed text (no script, or typed and not chosen) is resolved by exact
name or code, or refused with a field error naming it — never saved as nothing (issue 8
point 5). Ids past bigint's end are a form error, not a 500."""

import pytest
from django.urls import reverse

from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.pairing.models import CadreExclusion
from lianxin.pairing.policy import policy_for
from tests.pairing.test_policy_page import policy_post

URL = reverse("pairing:policy")


def regions_of(world):
    return set(policy_for(world.county).regions.all())


def test_it_resolves_a_typed_name(world, login):
    response = login(world.city_admin).post(
        URL, policy_post(coverage="regions", regions_text="大坪村")
    )
    assert response.status_code == 302
    assert regions_of(world) == {world.village}


def test_it_resolves_several_names_codes_and_labels_beside_chosen_ids(world, login):
    world.village2.code = "510184110201"
    world.village2.save(update_fields=["code"])
    response = login(world.city_admin).post(
        URL,
        policy_post(
            coverage="regions",
            regions=[world.group.pk],
            regions_text="三龙村村民委员会、道明镇 · 三龙村 · 1组，510184110201",
        ),
    )
    assert response.status_code == 302
    assert regions_of(world) == {
        world.group,
        world.other_village,
        world.other_group,
        world.village2,
    }


def test_it_names_a_typed_name_that_matches_nothing(world, login):
    response = login(world.city_admin).post(
        URL, policy_post(coverage="all", regions_text="大坪村、没有这个村")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["regions"]
    assert errors == ["找不到“没有这个村”：请输入全称、简称或区划代码，或从查找结果中选择"]
    assert regions_of(world) == set()
    # The text comes back in the box, to be corrected.
    assert 'value="大坪村、没有这个村"' in response.content.decode()


def test_it_names_a_typed_name_that_matches_many(world, login):
    do_create_region(county=world.county, level=Level.GROUP, name="6组", parent=world.village2)
    client = login(world.city_admin)
    response = client.post(URL, policy_post(coverage="regions", regions_text="6组"))
    assert response.status_code == 400
    (error,) = response.context["form"].errors["regions"]
    assert error.startswith("“6组”不止一处（如“文井江镇 · ")
    assert "“文井江镇 · 大坪村 · 6组”" in error and "“文井江镇 · 双河村 · 6组”" in error
    assert policy_for(world.county).coverage == "all"
    # Its village before it tells them apart.
    response = client.post(URL, policy_post(coverage="regions", regions_text="双河村 · 6组"))
    assert response.status_code == 302
    assert [r.parent_id for r in regions_of(world)] == [world.village2.pk]


def test_it_never_resolves_a_region_of_another_county(world, login):
    from lianxin.geo.services import do_create_county

    other = do_create_county(code="510185", name="别县")
    town = do_create_region(county=other, level=Level.TOWNSHIP, name="别镇")
    do_create_region(county=other, level=Level.VILLAGE, name="别村", parent=town)
    response = login(world.city_admin).post(
        URL, policy_post(coverage="regions", regions_text="别村")
    )
    assert response.status_code == 400 and "找不到“别村”" in response.content.decode()


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "1.5"])
def test_it_answers_a_form_error_to_an_id_that_cannot_be_one(world, login, value):
    response = login(world.city_admin).post(URL, policy_post(coverage="regions", regions=[value]))
    assert response.status_code == 400
    assert response.context["form"].errors["regions"] == [
        f"指定村（社区）或组：无法识别的选择“{value[:20]}”"
    ]


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc"])
def test_it_answers_a_form_error_to_a_cadre_id_that_cannot_be_one(world, login, value):
    client = login(world.city_admin)
    for data in ({"cadre": value}, {"cadre_text": value}):
        response = client.post(reverse("pairing:policy_exclusion"), {**data, "reason": "病假"})
        assert response.status_code == 400
        assert f"找不到人员编号或姓名为“{value}”的干部" in response.content.decode()
    assert not CadreExclusion.objects.exists()


def test_it_takes_a_cadres_staff_number_typed_without_a_script(world, login):
    response = login(world.city_admin).post(
        reverse("pairing:policy_exclusion"), {"cadre_text": "C0001", "reason": "病假"}
    )
    assert response.status_code == 302
    assert CadreExclusion.objects.get().cadre == world.cadre


def test_it_bounds_the_names_typed_at_once(world, login):
    response = login(world.city_admin).post(
        URL, policy_post(coverage="regions", regions_text="、".join(["大坪村"] * 51))
    )
    assert response.status_code == 400
    assert "一次最多输入 50 个名称" in response.content.decode()
    ok = login(world.city_admin).post(
        URL, policy_post(coverage="regions", regions_text="、".join(["大坪村"] * 50))
    )
    assert ok.status_code == 302 and regions_of(world) == {world.village}

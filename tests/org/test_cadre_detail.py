import datetime as dt

from django.urls import reverse

from lianxin.org.models import CadreAssignment
from lianxin.org.services import do_transfer_cadre
from lianxin.pairing.services import do_pair


def url(cadre):
    return reverse("org:cadre_detail", args=[cadre.pk])


def test_it_shows_unit_post_masked_phone_and_paired_households(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_pair(cadre=world.cadre, household=world.household2, acting_user=None)
    page = login(world.township_staff).get(url(world.cadre)).content.decode()
    assert "中共崇州市委宣传部" in page and "网信办干部" in page
    assert "139****0001" in page and "13900000001" not in page
    assert "2 户" in page


def test_it_shows_the_assignment_history(world, login):
    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=dt.date(2023, 1, 1))
    do_transfer_cadre(
        world.cadre, unit=world.other_unit, effective_on=dt.date(2024, 7, 1), acting_user=None
    )
    page = login(world.city_admin).get(url(world.cadre)).content.decode()
    assert "2023-01-01" in page and "2024-06-30" in page and "2024-07-01" in page
    assert "崇州市民政局" in page and "至今" in page


def test_it_shows_a_leaders_township_liaisons(world, login):
    page = login(world.city_admin).get(url(world.leader)).content.decode()
    assert "联系乡镇（街道）" in page and "文井江镇" in page


def test_it_offers_the_reveal_form_only_to_holders_of_the_permission(world, login):
    assert "查看完整电话" in login(world.township_staff).get(url(world.cadre)).content.decode()
    assert "查看完整电话" not in login(world.village_staff).get(url(world.cadre)).content.decode()


def test_it_answers_404_outside_the_scope(world, login):
    assert login(world.outsider).get(url(world.cadre)).status_code == 404
    assert login(world.handler).get(url(world.cadre)).status_code == 404
    assert login(world.system_admin).get(url(world.cadre)).status_code == 404
    assert login(world.cadre_user).get(url(world.leader)).status_code == 200

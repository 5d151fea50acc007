from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core.models import today
from lianxin.org.models import Cadre
from lianxin.org.services import do_cadre_leaves, do_create_cadre
from lianxin.pairing.services import do_pair

URL = reverse("org:cadre_list")


def test_it_lists_cadres_with_masked_phones_and_paired_counts(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    page = login(world.city_admin).get(URL).content.decode()
    assert "马林增" in page and "李市长" in page and "市级领导" in page
    assert "139****0001" in page and "13900000001" not in page
    assert '<td class="num">1</td>' in page


def test_it_shows_the_outsider_no_cadre_of_units_outside_their_township(world, login):
    do_create_cadre(unit=world.other_unit, staff_no="M0001", name="王民政", acting_user=None)
    page = login(world.outsider).get(URL).content.decode()
    assert "王民政" in page
    assert "马林增" not in page and "李市长" not in page


def test_it_shows_a_cadre_only_their_own_units_cadres(world, login):
    do_create_cadre(unit=world.other_unit, staff_no="M0001", name="王民政", acting_user=None)
    page = login(world.cadre_user).get(URL).content.decode()
    assert "马林增" in page and "王民政" not in page


def test_it_answers_404_to_the_separated_admins(world, login):
    for admin in (world.system_admin, world.security_admin, world.audit_admin):
        assert login(admin).get(URL).status_code == 404


def test_it_filters_by_unit_leader_status_and_initials(world, login):
    other = do_create_cadre(
        unit=world.other_unit, staff_no="M0001", name="王民政", acting_user=None
    )
    do_cadre_leaves(other, left_on=today(), acting_user=None)
    client = login(world.city_admin)
    page = client.get(URL).content.decode()
    assert "王民政" not in page  # active by default
    page = client.get(URL, {"status": "left"}).content.decode()
    assert "王民政" in page and "马林增" not in page
    page = client.get(URL, {"status": "all", "unit": world.other_unit.pk}).content.decode()
    assert "王民政" in page and "马林增" not in page
    page = client.get(URL, {"city_leader": "true"}).content.decode()
    assert "李市长" in page and "马林增" not in page
    page = client.get(URL, {"q": "mlz"}).content.decode()
    assert "马林增" in page and "李市长" not in page
    page = client.get(URL, {"q": "林增"}).content.decode()
    assert "马林增" in page and "李市长" not in page
    page = client.get(URL, {"q": "L0001"}).content.decode()
    assert "李市长" in page and "马林增" not in page


def test_it_refuses_a_bad_status_in_chinese(world, login):
    response = login(world.city_admin).get(URL, {"status": "gone"})
    assert response.status_code == 400
    assert "状态只能是" in response.content.decode()


def test_it_does_not_grow_queries_with_rows(world, login, grow, django_assert_max_num_queries):
    client = login(world.city_admin)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    grow(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.content.decode().count("干部甲") == 12
    assert Cadre.objects.count() == 26

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.org.services import do_assign_liaison, do_create_cadre

URL = reverse("org:liaison_list")


def test_it_pairs_townships_with_their_leaders_and_flags_gaps(world, login):
    page = login(world.city_admin).get(URL).content.decode()
    assert "李市长" in page and "副市长" in page
    # 道明镇 has no leader: highlighted.
    assert '<tr class="gap">\n  <td>道明镇</td>' in page
    assert "未安排领导联系" in page
    assert '<div class="num">1</div><div class="label">无领导联系</div>' in page


def test_it_lists_only_uncovered_townships_on_request(world, login):
    page = login(world.city_admin).get(URL, {"uncovered": "true"}).content.decode()
    assert "<td>道明镇</td>" in page and "<td>文井江镇</td>" not in page


def test_it_shows_township_staff_their_own_township(world, login):
    page = login(world.township_staff).get(URL).content.decode()
    assert "<td>文井江镇</td>" in page and "<td>道明镇</td>" not in page


def test_it_answers_404_to_the_separated_admins(world, login):
    assert login(world.audit_admin).get(URL).status_code == 404


def test_it_does_not_grow_queries_with_rows(world, login, django_assert_max_num_queries):
    client = login(world.city_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(6):
        township = do_create_region(
            county=world.county, level=Level.TOWNSHIP, name=f"测试{i}镇人民政府"
        )
        leader = do_create_cadre(
            unit=world.unit,
            staff_no=f"L9{i}",
            name=f"领导{i}",
            is_city_leader=True,
            acting_user=None,
        )
        do_assign_liaison(leader=leader, township=township, acting_user=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.content.decode().count("领导5") >= 1

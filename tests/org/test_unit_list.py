from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

URL = reverse("org:unit_list")


def test_it_lists_every_unit_for_the_city_admin(world, login):
    page = login(world.city_admin).get(URL).content.decode()
    assert "中共崇州市委宣传部" in page and "崇州市民政局" in page
    assert "大坪村" in page and "三龙村" in page  # current zones in the list


def test_it_shows_the_outsider_only_units_serving_their_township(world, login):
    # 道明镇 staff: 民政局 serves 三龙村 in 道明镇; 宣传部 serves only 大坪村 in 文井江镇.
    page = login(world.outsider).get(URL).content.decode()
    assert "崇州市民政局" in page
    assert "中共崇州市委宣传部" not in page


def test_it_shows_township_staff_the_units_serving_their_township(world, login):
    page = login(world.township_staff).get(URL).content.decode()
    assert "中共崇州市委宣传部" in page
    assert "崇州市民政局" not in page


def test_it_shows_a_cadre_only_their_own_unit(world, login):
    page = login(world.cadre_user).get(URL).content.decode()
    assert "中共崇州市委宣传部" in page
    assert "崇州市民政局" not in page


def test_it_answers_404_to_the_separated_admins(world, login):
    for admin in (world.system_admin, world.security_admin, world.audit_admin):
        assert login(admin).get(URL).status_code == 404


def test_it_filters_by_kind_handles_demands_township_and_name(world, login):
    client = login(world.city_admin)
    page = client.get(URL, {"kind": "city_department"}).content.decode()
    assert "崇州市民政局" in page and "中共崇州市委宣传部" not in page
    page = client.get(URL, {"handles_demands": "false"}).content.decode()
    assert "中共崇州市委宣传部" in page and "崇州市民政局" not in page
    page = client.get(URL, {"township": world.other_township.pk}).content.decode()
    assert "崇州市民政局" in page and "中共崇州市委宣传部" not in page
    page = client.get(URL, {"name": "宣传"}).content.decode()
    assert "中共崇州市委宣传部" in page and "崇州市民政局" not in page


def test_it_refuses_a_township_outside_the_scope_in_chinese(world, login):
    response = login(world.township_staff).get(URL, {"township": world.other_township.pk})
    assert response.status_code == 400
    assert "所选乡镇不存在或不在您的权限范围内" in response.content.decode()
    assert "崇州市民政局" not in response.content.decode()


def test_it_does_not_grow_queries_with_rows(world, login, grow, django_assert_max_num_queries):
    client = login(world.city_admin)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    grow(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.content.decode().count("测试单位") == 10

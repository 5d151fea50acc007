from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.choices import Role
from tests.factories import user

URL = reverse("accounts:user_list")


def test_it_lists_accounts_for_the_system_and_security_admins(world, login):
    for admin in (world.system_admin, world.security_admin):
        page = login(admin).get(URL).content.decode()
        assert "wenjing" in page and "auditor" in page
    assert "新建账号" in login(world.system_admin).get(URL).content.decode()
    assert "新建账号" not in login(world.security_admin).get(URL).content.decode()
    assert "授予查看权限" in login(world.security_admin).get(URL).content.decode()


def test_it_answers_404_to_everyone_else(world, login):
    for persona in (world.township_staff, world.city_admin, world.audit_admin, world.cadre_user):
        assert login(persona).get(URL).status_code == 404


def test_it_filters_by_role_status_and_name(world, login):
    client = login(world.system_admin)
    page = client.get(URL, {"role": "township_staff"}).content.decode()
    assert "wenjing" in page and "daoming" in page and "daping" not in page
    page = client.get(URL, {"q": "dao"}).content.decode()
    assert "daoming" in page and "wenjing" not in page
    page = client.get(URL, {"active": "false"}).content.decode()
    assert "wenjing" not in page


def test_it_does_not_grow_queries_with_rows(world, login, django_assert_max_num_queries):
    client = login(world.system_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(10):
        user(world.county, Role.VILLAGE_STAFF, f"v{i}", region=world.village)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)

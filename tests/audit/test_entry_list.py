import datetime as dt
import zoneinfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.org.services import do_create_cadre
from lianxin.people.services import do_reveal

URL = reverse("audit:entry_list")
UTC = dt.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_it_is_at_the_audit_root(world):
    assert URL == "/audit/"


def test_it_answers_404_to_everyone_but_the_audit_admin(world, login):
    for persona in (
        world.city_admin,
        world.township_staff,
        world.village_staff,
        world.outsider,
        world.cadre_user,
        world.handler,
        world.info_group,
        world.leader_user,
        world.system_admin,
        world.security_admin,
    ):
        assert login(persona).get(URL).status_code == 404, persona.role
    assert login(world.audit_admin).get(URL).status_code == 200


def test_it_shows_time_actor_source_action_target_reason_and_masked_changes(world, login, entry_at):
    entry_at(
        dt.datetime(2025, 3, 1, 16, 30, tzinfo=UTC),  # 2025-03-02 00:30 in Shanghai
        action="查看完整信息",
        target=world.cadre,
        reason="核实联系方式",
        changes={"phone": ["139****0001", None]},
    )
    page = login(world.audit_admin).get(URL, {"action": "查看完整信息"}).content.decode()
    assert "2025-03-02 00:30:00" in page
    assert "city（city）" in page and "10.1.2.3" in page
    assert "干部职工" in page and "马林增" in page and "核实联系方式" in page
    assert "139****0001" in page


def test_it_never_shows_full_phone_numbers(world, login):
    do_create_cadre(
        unit=world.unit, staff_no="C0009", name="赵六", phone="13712345678", acting_user=None
    )
    do_reveal(world.cadre, "phone", acting_user=world.city_admin, reason="核实联系方式")
    page = login(world.audit_admin).get(URL, {"page_size": 500}).content.decode()
    assert "137****5678" in page
    assert "13712345678" not in page and "13900000001" not in page


def test_it_filters_by_action_actor_target_type_dates_and_text(world, login, entry_at):
    entry_at(dt.datetime(2025, 1, 10, 2, tzinfo=UTC), action="甲操作", reason="一月事由")
    entry_at(
        dt.datetime(2025, 2, 10, 2, tzinfo=UTC),
        action="乙操作",
        actor=world.township_staff,
        target=world.unit,
    )
    client = login(world.audit_admin)
    page = client.get(URL, {"action": "甲操作"}).content.decode()
    assert "一月事由" in page and "乙操作</td>" not in page
    page = client.get(URL, {"actor": "wenjing", "date_from": "2025-02-01"}).content.decode()
    assert "乙操作</td>" in page and "甲操作</td>" not in page
    page = client.get(URL, {"target_type": "org.unit", "date_to": "2025-02-28"}).content.decode()
    assert "乙操作</td>" in page and "甲操作</td>" not in page
    page = client.get(URL, {"date_from": "2025-01-01", "date_to": "2025-01-31"}).content.decode()
    assert "甲操作</td>" in page and "乙操作</td>" not in page
    page = client.get(URL, {"q": "一月"}).content.decode()
    assert "甲操作</td>" in page and "乙操作</td>" not in page


def test_it_reads_dates_as_shanghai_days(world, login, entry_at):
    # 2025-01-31 17:00 UTC is 2025-02-01 01:00 in Shanghai: a February row.
    entry_at(dt.datetime(2025, 1, 31, 17, tzinfo=UTC), action="跨日操作")
    client = login(world.audit_admin)
    assert "跨日操作</td>" in client.get(URL, {"date_from": "2025-02-01"}).content.decode()
    assert "跨日操作</td>" not in client.get(URL, {"date_to": "2025-01-31"}).content.decode()


def test_it_searches_changes_in_chinese(world, login):
    page = login(world.audit_admin).get(URL, {"q": "网信办"}).content.decode()
    assert "新建干部</td>" in page


def test_it_refuses_a_reversed_date_range_in_chinese(world, login):
    response = login(world.audit_admin).get(
        URL, {"date_from": "2025-02-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 400
    assert "终止日期不能早于起始日期" in response.content.decode()


def test_it_paginates(world, login, settings):
    settings.LIANXIN_PAGE_SIZE = 5
    page = login(world.audit_admin).get(URL).content.decode()
    assert "第 1/" in page and "下一页" in page


def test_it_does_not_grow_queries_with_rows(world, login, entry_at, django_assert_max_num_queries):
    client = login(world.audit_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(30):
        entry_at(dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(hours=i), target=world.cadre)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_it_keeps_the_chosen_dates_in_its_date_pickers(world, login):
    """<input type=date> reads only ISO values: the locale's 2026/12/01 showed an empty field."""
    page = login(world.audit_admin).get(URL, {"date_from": "2026-12-01", "date_to": "2026-12-03"})
    html = page.content.decode()
    assert 'value="2026-12-01"' in html and 'value="2026-12-03"' in html

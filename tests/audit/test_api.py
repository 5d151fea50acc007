import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.audit.models import AuditEntry


def test_it_lists_entries_for_the_audit_admin(world, login):
    body = login(world.audit_admin).get("/api/audit", {"action": "新建干部"}).json()
    assert body["count"] == 2
    item = body["items"][0]
    assert item["target_type"] == "org.cadre" and item["target_type_label"] == "干部职工"
    assert item["at"].endswith("+08:00")
    assert item["changes"]["phone"][1] in ("139****0001", "")


def test_it_filters_by_dates_actor_and_text(world, login, entry_at):
    entry_at(dt.datetime(2025, 1, 10, 2, tzinfo=dt.UTC), action="甲操作", reason="一月事由")
    client = login(world.audit_admin)
    body = client.get("/api/audit", {"date_from": "2025-01-10", "date_to": "2025-01-10"}).json()
    assert [e["action"] for e in body["items"]] == ["甲操作"]
    assert client.get("/api/audit", {"q": "一月事由"}).json()["count"] == 1
    assert client.get("/api/audit", {"actor": "city"}).json()["count"] >= 1


def test_it_gives_one_entry(world, login):
    entry = AuditEntry.objects.filter(action="新建单位").first()
    body = login(world.audit_admin).get(f"/api/audit/{entry.pk}").json()
    assert body["id"] == entry.pk and body["action"] == "新建单位"


def test_it_answers_404_to_everyone_else(world, login):
    entry = AuditEntry.objects.first()
    for persona in (world.city_admin, world.system_admin, world.security_admin, world.cadre_user):
        client = login(persona)
        assert client.get("/api/audit").status_code == 404
        response = client.get(f"/api/audit/{entry.pk}")
        assert response.status_code == 404
        assert response.json()["detail"] == "对象不存在或不在您的权限范围内"


def test_it_refuses_a_reversed_range_with_422(world, login):
    response = login(world.audit_admin).get(
        "/api/audit", {"date_from": "2025-02-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "date_to"


def test_it_does_not_grow_queries_with_rows(world, login, entry_at, django_assert_max_num_queries):
    client = login(world.audit_admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/audit")
    for i in range(30):
        entry_at(dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/audit")

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.audit.models import AuditEntry
from lianxin.org.models import CadreAssignment
from lianxin.org.services import do_create_cadre, do_transfer_cadre


def test_it_lists_cadres_with_the_pages_filters(world, login):
    client = login(world.city_admin)
    names = lambda params: [c["name"] for c in client.get("/api/cadres", params).json()["items"]]  # noqa: E731
    assert sorted(names({})) == ["李市长", "马林增"]
    assert names({"city_leader": "true"}) == ["李市长"]
    assert names({"q": "mlz"}) == ["马林增"]
    assert names({"unit": world.other_unit.pk}) == []
    assert names({"status": "left"}) == []
    body = client.get("/api/cadres", {"q": "mlz"}).json()
    assert body["count"] == 1 and body["items"][0]["phone_masked"] == "139****0001"
    assert "13900000001" not in str(body)


def test_it_scopes_the_list_and_the_detail(world, login):
    do_create_cadre(unit=world.other_unit, staff_no="M0001", name="王民政", acting_user=None)
    client = login(world.outsider)
    assert [c["name"] for c in client.get("/api/cadres").json()["items"]] == ["王民政"]
    assert client.get(f"/api/cadres/{world.cadre.pk}").status_code == 404
    client = login(world.cadre_user)
    assert sorted(c["name"] for c in client.get("/api/cadres").json()["items"]) == [
        "李市长",
        "马林增",
    ]
    assert login(world.security_admin).get(f"/api/cadres/{world.cadre.pk}").status_code == 404


def test_it_gives_history_liaisons_and_paired_count(world, login):
    CadreAssignment.objects.filter(cadre=world.leader).update(valid_from=dt.date(2023, 1, 1))
    do_transfer_cadre(
        world.leader, unit=world.other_unit, effective_on=dt.date(2024, 1, 1), acting_user=None
    )
    body = login(world.city_admin).get(f"/api/cadres/{world.leader.pk}").json()
    assert [(a["unit"]["name"], a["valid_from"], a["valid_to"]) for a in body["assignments"]] == [
        ("中共崇州市委宣传部", "2023-01-01", "2023-12-31"),
        ("崇州市民政局", "2024-01-01", None),
    ]
    assert [x["township"]["name"] for x in body["liaisons"]] == ["文井江镇"]
    assert body["paired_households"] == 0 and body["is_city_leader"]


def test_it_reveals_the_phone_with_a_reason(world, login):
    client = login(world.township_staff)
    response = client.post(
        f"/api/cadres/{world.cadre.pk}/reveal",
        {"field": "phone", "reason": "核实联系方式"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": "13900000001"}
    assert AuditEntry.objects.get(action="查看完整信息").reason == "核实联系方式"


def test_it_refuses_reveal_without_permission_reason_or_scope(world, login):
    url = f"/api/cadres/{world.cadre.pk}/reveal"
    body = {"field": "phone", "reason": "核实联系方式"}
    response = login(world.village_staff).post(url, body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有查看完整信息的权限"
    response = login(world.township_staff).post(
        url, {"field": "phone", "reason": " "}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "reason"
    response = login(world.township_staff).post(
        url, {"field": "name", "reason": "核实"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "field"
    response = login(world.outsider).post(url, body, content_type="application/json")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="查看完整信息").exists()


def test_it_does_not_grow_queries_with_rows(world, login, grow, django_assert_max_num_queries):
    client = login(world.city_admin)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/cadres")
    grow(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/cadres").json()["count"] == 22

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.pairing.services import do_pair


def test_it_lists_units_paginated(world, login):
    body = login(world.city_admin).get("/api/units", {"limit": 1}).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    first = body["items"][0]
    assert set(first) >= {"id", "name", "kind", "kind_label", "handles_demands", "zones"}
    second = login(world.city_admin).get("/api/units", {"limit": 1, "offset": 1}).json()
    assert {first["name"], second["items"][0]["name"]} == {"中共崇州市委宣传部", "崇州市民政局"}


def test_it_filters_like_the_page(world, login):
    client = login(world.city_admin)
    names = lambda params: [u["name"] for u in client.get("/api/units", params).json()["items"]]  # noqa: E731
    assert names({"kind": "city_department"}) == ["崇州市民政局"]
    assert names({"handles_demands": "false"}) == ["中共崇州市委宣传部"]
    assert names({"township": world.other_township.pk}) == ["崇州市民政局"]
    assert names({"name": "宣传"}) == ["中共崇州市委宣传部"]


def test_it_answers_422_in_chinese_for_a_bad_filter(world, login):
    response = login(world.township_staff).get("/api/units", {"township": world.other_township.pk})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "乡镇（街道）：所选乡镇不存在或不在您的权限范围内",
        "field": "township",
    }
    response = login(world.city_admin).get("/api/units", {"kind": "nope"})
    assert response.status_code == 422 and response.json()["field"] == "kind"


def test_it_scopes_the_list_and_the_detail(world, login):
    client = login(world.outsider)
    assert [u["name"] for u in client.get("/api/units").json()["items"]] == ["崇州市民政局"]
    response = client.get(f"/api/units/{world.unit.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或不在您的权限范围内"
    assert client.get(f"/api/units/{world.other_unit.pk}").status_code == 200
    client = login(world.cadre_user)
    assert [u["name"] for u in client.get("/api/units").json()["items"]] == ["中共崇州市委宣传部"]
    assert client.get(f"/api/units/{world.other_unit.pk}").status_code == 404
    assert login(world.audit_admin).get("/api/units").status_code == 404


def test_it_gives_a_units_zones_cadres_and_counts_with_masked_phones(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    body = login(world.city_admin).get(f"/api/units/{world.unit.pk}").json()
    assert [z["village"]["name"] for z in body["zones"]] == ["大坪村"]
    assert body["zones"][0]["township"]["name"] == "文井江镇" and body["zones"][0]["current"]
    assert body["counts"]["paired_households"] == 1 and body["counts"]["zone_households"] == 2
    cadre = next(c for c in body["cadres"] if c["name"] == "马林增")
    assert cadre["phone_masked"] == "139****0001" and cadre["paired_households"] == 1
    assert "13900000001" not in str(body)


def test_it_needs_a_login(world, client):
    response = client.get("/api/units")
    assert response.status_code == 401 and response.json()["detail"] == "请先登录"


def test_it_does_not_grow_queries_with_rows(world, login, grow, django_assert_max_num_queries):
    client = login(world.city_admin)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/units")
    grow(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/units").json()["count"] == 12

"""Input no database column can take answers 400 in Chinese, naming the field, before any
view sees it (InputGuardMiddleware), on SQLite as on PostgreSQL — where each of these was a
500 (DataError, or psycopg unable to encode the text). Found by tests/api/test_fuzz.py."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from lianxin.people.models import Household, Resident
from tests.factories import id_number


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_it_refuses_a_nul_in_a_json_body(world, login):
    client = login(world.township_staff)

    response = _post(client, "/api/search", json.dumps({"q": "张\u0000"}))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "“q”中含有空字符（\\0），无法保存或查找，请删去后重试",
        "field": "q",
    }


def test_it_refuses_a_nul_in_a_query_string(world, login):
    client = login(world.township_staff)

    response = client.get("/api/residents", {"name": "张\x00"})

    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert "空字符" in response.json()["detail"]


def test_it_refuses_a_nul_in_a_page_form(world, login):
    client = login(world.township_staff)
    before = Resident.objects.count()

    # As a browser posts a form: urlencoded (a multipart one reaches the form, whose text
    # fields refuse a NUL themselves).
    response = client.post(
        reverse("people:resident_create", args=[world.household.pk]),
        urlencode({"name": "张三", "id_number": id_number(), "relation": "child", "phone": "\x00"}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "“phone”中含有空字符" in response.content.decode()
    assert Resident.objects.count() == before


def test_it_refuses_a_lone_surrogate_in_a_json_body(world, login):
    client = login(world.township_staff)
    # json.dumps would refuse to write a lone surrogate; a client can still send one.
    body = json.dumps({"number": "51018411000009002", "region_id": world.group.pk, "address": "@"})
    body = body.replace('"@"', '"\\ud800"')

    response = _post(client, "/api/households", body)

    assert response.status_code == 400
    assert response.json()["field"] == "address"
    assert "无效的字符" in response.json()["detail"]
    assert not Household.objects.filter(number="51018411000009002").exists()


def test_it_refuses_an_integer_past_64_bits_in_a_json_body(world, login):
    client = login(world.city_admin)

    response = _post(client, "/api/pairing/runs", json.dumps({"budget_seconds": 10**20}))

    assert response.status_code == 400
    assert response.json()["field"] == "budget_seconds"
    assert "超出范围" in response.json()["detail"]


def test_it_answers_an_offset_past_bigint_with_422(world, login):
    # PostgreSQL's OFFSET is a bigint: past it, a 500 (bigint out of range).
    client = login(world.city_admin)

    response = client.get("/api/pairing/runs", {"offset": 10**25})

    assert response.status_code == 422
    assert response.json()["field"] == "offset"


def test_it_answers_an_overflowing_path_id_with_404(world, login):
    client = login(world.city_admin)

    response = client.get(f"/api/households/{10**20}")

    assert response.status_code == 404


def test_it_answers_a_body_that_is_not_json_in_chinese(world, login):
    client = login(world.township_staff)

    response = client.post("/api/search", "q=张", content_type="text/plain")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("请求体无法解析")


@pytest.mark.parametrize("param", ["household", "village", "township", "group"])
def test_it_answers_422_for_a_filter_id_past_bigint(world, login, param):
    # SQLite cannot bind an integer past 2**63 - 1 (a 500 the fuzz found on GET /api/residents).
    response = login(world.city_admin).get("/api/residents", {param: 9620905872935630848})
    assert response.status_code == 422

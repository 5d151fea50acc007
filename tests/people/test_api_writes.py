"""Registry writes through the API: same services, same refusals, JSON errors."""

import datetime as dt

from lianxin.people.models import Enterprise, Household, Resident
from tests import factories


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_it_creates_a_household(world, login):
    response = _post(
        login(world.township_staff),
        "/api/households",
        {
            "number": "51018411000000020",
            "region_id": world.group2.pk,
            "address": "7组2号",
            "hardships": ["alone"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "51018411000000020" and body["region"]["id"] == world.group2.pk
    assert [h["kind"] for h in body["hardships"]] == ["alone"]
    assert body["members"] == []


def test_it_refuses_a_duplicate_household_number(world, login):
    response = _post(
        login(world.township_staff),
        "/api/households",
        {"number": "51018411000000001", "region_id": world.group.pk},
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "户号“51018411000000001”已登记", "field": "number"}


def test_it_answers_404_for_a_region_outside_the_scope(world, login):
    response = _post(
        login(world.outsider),
        "/api/households",
        {"number": "51018411000000021", "region_id": world.group.pk},
    )
    assert response.status_code == 404
    assert response.json()["field"] == "region_id"
    assert not Household.objects.filter(number="51018411000000021").exists()


def test_it_refuses_writes_to_readers(world, login):
    client = login(world.leader_user)
    response = _post(
        client, "/api/households", {"number": "51018411000000022", "region_id": world.group.pk}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有登记或修改户籍信息的权限"
    response = _post(
        client,
        f"/api/households/{world.household.pk}/residents",
        {"name": "罗某", "id_number": factories.id_number(), "relation": "child"},
    )
    assert response.status_code == 404


def test_it_reports_a_malformed_body_in_chinese(world, login):
    response = _post(
        login(world.township_staff), "/api/households", {"number": "51018411000000023"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("参数错误：")


def test_it_registers_a_member_masked(world, login):
    number = factories.id_number(dt.date(1995, 6, 6))
    response = _post(
        login(world.village_staff),
        f"/api/households/{world.household2.pk}/residents",
        {"name": "张小龙", "id_number": number, "relation": "child", "phone": "13655556666"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["household_number"] == "51018411000000002"
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert body["phone_masked"] == "136****6666"
    assert number not in response.content.decode()


def test_it_refuses_an_invalid_id_number_with_its_reason(world, login):
    before = Resident.objects.count()
    response = _post(
        login(world.township_staff),
        f"/api/households/{world.household.pk}/residents",
        {"name": "罗错", "id_number": "510184199013011234", "relation": "child"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "身份证号：出生日期不存在：1990-13-01",
        "field": "id_number",
    }
    assert Resident.objects.count() == before


def test_it_names_a_duplicate_only_inside_the_scope(world, login):
    number = factories.id_number()
    _post(
        login(world.township_staff),
        f"/api/households/{world.household.pk}/residents",
        {"name": "罗一", "id_number": number, "relation": "spouse"},
    )
    inside = _post(
        login(world.township_staff),
        f"/api/households/{world.household2.pk}/residents",
        {"name": "罗一", "id_number": number, "relation": "spouse"},
    )
    assert inside.status_code == 409 and "罗一（户号 51018411000000001" in inside.json()["detail"]
    outside = _post(
        login(world.outsider),
        f"/api/households/{world.other_household.pk}/residents",
        {"name": "罗一", "id_number": number, "relation": "spouse"},
    )
    assert outside.status_code == 409
    assert (
        "51018411000000001" not in outside.json()["detail"]
        and "罗一" not in outside.json()["detail"]
    )
    assert number not in outside.content.decode()


def test_it_answers_404_to_the_outsider_adding_to_another_township(world, login):
    response = _post(
        login(world.outsider),
        f"/api/households/{world.household.pk}/residents",
        {"name": "马某", "id_number": factories.id_number(), "relation": "child"},
    )
    assert response.status_code == 404


def test_it_registers_an_enterprise(world, login):
    code = factories.credit_code(55)
    client = login(world.township_staff)
    body = {"name": "双河竹编厂", "credit_code": code, "trade": "C", "region_id": world.village2.pk}
    response = _post(client, "/api/enterprises", body)
    assert response.status_code == 201
    assert response.json()["credit_code"] == code
    again = _post(client, "/api/enterprises", body)
    assert again.status_code == 409 and again.json()["field"] == "credit_code"
    bad = _post(client, "/api/enterprises", {**body, "trade": "Z"})
    assert bad.status_code == 400 and bad.json()["field"] == "trade"
    assert Enterprise.objects.count() == 1

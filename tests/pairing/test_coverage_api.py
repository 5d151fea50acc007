"""/api/coverage: the page's figures and lists as data, with the same filters and scope."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core.models import today
from lianxin.org.services import do_create_cadre
from lianxin.pairing.services import do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.factories import household

PAGE = reverse("pairing:coverage")
_seq = itertools.count(1)


def listed_numbers(html: str) -> list[str]:
    """户号 of the household gap list on the page."""
    return re.findall(r'<a href="/people/households/\d+/">([^<]+)</a>', html)


def test_it_gives_the_four_layers_with_their_definitions(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    body = login(world.city_admin).get("/api/coverage").json()
    assert body["on"] == today().isoformat()
    assert body["policy"] == {"coverage": "all", "label": "全部户", "min_load": 5, "max_load": 15}
    assert {k: (body[k]["covered"], body[k]["total"]) for k in ("households", "cadres")} == {
        "households": (1, 3),
        "cadres": (1, 1),
    }
    assert body["villages"]["percent"] == "66.6%" and body["townships"]["gaps"] == 1
    assert "须覆盖" in body["households"]["definition"]
    assert body["loads"]["under_min"] == 1 and body["loads"]["avg"] == 1.0


def test_it_equals_the_page(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_add_hardship(world.other_household, kind=HardshipKind.DISABILITY, acting_user=None)
    client = login(world.city_admin)
    for params in ({}, {"township": world.township.pk}, {"hardship_only": "true"}):
        html = client.get(PAGE, params).content.decode()
        api = client.get("/api/coverage/households", params).json()
        assert [h["number"] for h in api["items"]] == listed_numbers(html)
        summary = client.get("/api/coverage", params).json()
        for layer in ("households", "cadres", "villages", "townships"):
            figure = f"{summary[layer]['covered']} / {summary[layer]['total']} "
            assert figure in html and summary[layer]["percent"] in html


def test_it_describes_households_without_a_cadre(world, login):
    do_add_hardship(world.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    items = login(world.city_admin).get("/api/coverage/households").json()["items"]
    h2 = next(h for h in items if h["number"] == "51018411000000002")
    assert h2["village"]["name"] == "大坪村" and h2["group"]["name"] == "7组"
    assert h2["head_name"] == "张三丰" and "****" in h2["head_phone_masked"]
    assert h2["hardships"] == ["低保"] and h2["note"] == ""
    assert "id_number" not in str(items)


def test_it_pages_with_limit_and_offset(world, login):
    client = login(world.city_admin)
    first = client.get("/api/coverage/households", {"limit": 1}).json()
    second = client.get("/api/coverage/households", {"limit": 1, "offset": 1}).json()
    assert first["count"] == second["count"] == 3
    assert first["items"][0]["number"] != second["items"][0]["number"]
    units = client.get("/api/coverage/units", {"limit": 1}).json()
    assert units["count"] == 2 and len(units["items"]) == 1


def test_it_lists_cadres_by_load(world, login):
    idle = do_create_cadre(unit=world.other_unit, staff_no="C0002", name="周闲", acting_user=None)
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    items = client.get("/api/coverage/cadres").json()["items"]
    assert [c["name"] for c in items] == [idle.name]
    assert items[0]["unit"]["name"] == "崇州市民政局" and items[0]["load"] == 0
    items = client.get("/api/coverage/cadres", {"load": "under"}).json()["items"]
    assert [(c["name"], c["load"], c["min_load"]) for c in items] == [("马林增", 1, 5)]
    response = client.get("/api/coverage/cadres", {"load": "many"})
    assert response.status_code == 400 and response.json()["field"] == "load"


def test_it_lists_villages_townships_regions_and_units(world, login):
    client = login(world.city_admin)
    villages = client.get("/api/coverage/villages").json()
    assert [v["name"] for v in villages["items"]] == ["双河村"]
    assert villages["items"][0]["township"]["name"] == "文井江镇"
    townships = client.get("/api/coverage/townships").json()
    assert [(t["name"], t["villages"]) for t in townships["items"]] == [("道明镇", 1)]
    regions = client.get("/api/coverage/regions").json()["items"]
    assert [(r["name"], r["leaders"]) for r in regions] == [
        ("文井江镇", ["李市长"]),
        ("道明镇", []),
    ]
    assert {v["name"]: v["units"] for v in regions[0]["villages"]} == {
        "大坪村": ["中共崇州市委宣传部"],
        "双河村": [],
    }
    units = client.get("/api/coverage/units").json()["items"]
    propaganda = next(u for u in units if u["unit"]["name"] == "中共崇州市委宣传部")
    assert [v["name"] for v in propaganda["zone"]] == ["大坪村"]
    assert propaganda["zone_households"]["total"] == 2 and propaganda["cadres"]["total"] == 1


def test_it_answers_as_of_a_day(world, login):
    day = today()
    old = do_create_cadre(
        unit=world.unit,
        staff_no="C0009",
        name="老干部",
        joined_on=dt.date(2020, 1, 1),
        acting_user=None,
    )
    do_pair(cadre=old, household=world.household, acting_user=None, valid_from=day)
    client = login(world.city_admin)
    yesterday = (day - dt.timedelta(1)).isoformat()
    assert client.get("/api/coverage").json()["households"]["covered"] == 1
    body = client.get("/api/coverage", {"on": yesterday}).json()
    assert body["on"] == yesterday and body["households"]["covered"] == 0


def test_it_refuses_bad_dates_in_chinese(world, login):
    client = login(world.city_admin)
    response = client.get("/api/coverage", {"on": "yesterday"})
    assert response.status_code == 422 and response.json()["field"] == "on"
    response = client.get("/api/coverage", {"on": (today() + dt.timedelta(1)).isoformat()})
    assert response.status_code == 400
    assert response.json() == {"detail": "查询日期不能晚于今天", "field": "on"}


def test_it_scopes_every_answer(world, login):
    client = login(world.outsider)
    assert [h["number"] for h in client.get("/api/coverage/households").json()["items"]] == [
        "51018411000000101"
    ]
    for path in ("", "/households", "/cadres", "/villages", "/townships", "/regions", "/units"):
        for param, value in (
            ("township", world.township.pk),
            ("village", world.village.pk),
            ("unit", world.unit.pk),
        ):
            response = client.get(f"/api/coverage{path}", {param: value})
            assert response.status_code == 404, (path, param)
            assert response.json()["detail"] == "对象不存在或不在您的权限范围内"
    assert login(world.system_admin).get("/api/coverage").status_code == 404
    assert login(world.audit_admin).get("/api/coverage/households").status_code == 404


def test_it_asks_for_a_login(client, world):
    response = client.get("/api/coverage")
    assert response.status_code == 401 and response.json()["detail"] == "请先登录"


def test_it_documents_the_endpoints(world, login):
    schema = login(world.city_admin).get("/api/openapi.json").json()
    for path in ("", "/households", "/cadres", "/villages", "/townships", "/regions", "/units"):
        operation = schema["paths"][f"/api/coverage{path}"]["get"]
        assert {"200", "404", "422"} <= set(operation["responses"])


def test_it_does_not_grow_queries_with_rows(world, login, django_assert_max_num_queries):
    def grow(n):
        for _ in range(n):
            seq = next(_seq)
            h = household(world.county, world.group, f"510184260000{seq:05d}")
            if seq % 2:
                do_pair(cadre=world.cadre, household=h, acting_user=None)
            do_create_cadre(
                unit=world.other_unit, staff_no=f"A{seq:05d}", name=f"甲{seq}", acting_user=None
            )

    client = login(world.city_admin)
    paths = ("", "/households", "/cadres", "/villages", "/townships", "/regions", "/units")
    grow(3)
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as few:
            client.get(f"/api/coverage{path}")
        counts[path] = len(few.captured_queries)
    grow(30)
    for path in paths:
        with django_assert_max_num_queries(counts[path]):
            assert client.get(f"/api/coverage{path}").status_code == 200

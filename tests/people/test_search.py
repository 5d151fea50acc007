"""The search box: names, pinyin initials, full ID numbers and phones by hash, 户号."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.lib.idcard import check_char
from lianxin.people.choices import Relation, Trade
from lianxin.people.services import do_create_enterprise, do_create_resident
from tests import factories
from tests.people.support import add_households, count_queries

URL = reverse("people:search")
PHONE = "13987654321"


@pytest.fixture
def known(world):
    number = factories.id_number(dt.date(1979, 11, 30))
    resident = do_create_resident(
        household=world.household2,
        name="张小凡",
        id_number=number,
        relation=Relation.CHILD,
        phone=PHONE,
        acting_user=None,
    )
    return resident, number


def _found(client, q) -> dict[str, list[str]]:
    # The form POSTs and lands on a GET (?q= for names, ?t=<token> for an ID number or phone);
    # the API's POST takes any query, its GET only those fit for a URL.
    response = client.post(URL, {"q": q}, follow=True)
    assert response.status_code == 200
    results = response.context["results"]
    api = client.post("/api/search", {"q": q}, content_type="application/json")
    assert api.status_code == 200
    body = api.json()
    page = {
        "residents": sorted(r.name for r in results.residents),
        "households": sorted(h.number for h in results.households),
        "enterprises": sorted(e.name for e in results.enterprises),
    }
    assert page == {
        "residents": sorted(r["name"] for r in body["residents"]),
        "households": sorted(h["number"] for h in body["households"]),
        "enterprises": sorted(e["name"] for e in body["enterprises"]),
    }
    return page


def test_it_finds_by_name(world, login):
    assert _found(login(world.township_staff), "罗选")["residents"] == ["罗选志"]


def test_it_finds_by_pinyin_initials(world, login, known):
    do_create_enterprise(
        county=world.county,
        name="张三丰农家乐",
        credit_code=factories.credit_code(5),
        trade=Trade.H,
        region=world.group,
        acting_user=None,
    )
    found = _found(login(world.township_staff), "zsf")
    assert found["residents"] == ["张三丰"]
    assert found["enterprises"] == ["张三丰农家乐"]
    assert _found(login(world.township_staff), "ZX")["residents"] == ["张小凡"]


def test_it_finds_by_full_id_number_through_the_hash(world, login, known):
    resident, number = known
    client = login(world.township_staff)
    with CaptureQueriesContext(connection) as ctx:
        found = _found(client, number)
    assert found["residents"] == ["张小凡"]
    # Matched by the keyed hash: the number itself never reaches the database.
    assert not any(number in q["sql"] for q in ctx.captured_queries)
    api = client.post("/api/search", {"q": number}, content_type="application/json")
    assert number not in api.content.decode()
    assert resident.id_number_masked in api.content.decode()
    page = client.post(URL, {"q": number}, follow=True)
    assert number not in page.content.decode()
    assert number not in page.redirect_chain[-1][0]


def test_it_finds_an_id_number_typed_with_a_lower_case_x_and_spaces(world, login):
    first17 = "51018419800101002"
    number = first17 + check_char(first17)
    do_create_resident(
        household=world.household,
        name="罗艾克斯",
        id_number=number,
        relation=Relation.OTHER,
        acting_user=None,
    )
    typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert _found(login(world.city_admin), typed)["residents"] == ["罗艾克斯"]


def test_it_finds_by_phone(world, login, known):
    client = login(world.township_staff)
    assert _found(client, PHONE)["residents"] == ["张小凡"]
    assert _found(client, "139-8765-4321")["residents"] == ["张小凡"]
    api = client.post("/api/search", {"q": PHONE}, content_type="application/json")
    assert PHONE not in api.content.decode()


def test_it_finds_by_household_number(world, login):
    client = login(world.city_admin)
    assert _found(client, "51018411000000002")["households"] == ["51018411000000002"]
    assert _found(client, "5101841100000000")["households"] == [
        "51018411000000001",
        "51018411000000002",
    ]


def test_it_explains_an_invalid_id_number(world, login, known):
    _, number = known
    wrong = number[:17] + next(c for c in "0123456789X" if c != number[17])
    response = login(world.township_staff).post(URL, {"q": wrong}, follow=True)
    assert "这不是有效的身份证号：校验位错误" in response.content.decode()
    assert response.context["results"].empty


def test_it_searches_only_inside_the_scope(world, login, known):
    _, number = known
    outsider = login(world.outsider)
    assert _found(outsider, number) == {"residents": [], "households": [], "enterprises": []}
    assert _found(outsider, "zsf")["residents"] == []
    assert _found(outsider, "51018411000000001")["households"] == []
    assert _found(outsider, "马蓉")["residents"] == ["马蓉"]
    assert _found(login(world.audit_admin), "马蓉")["residents"] == []


def test_it_shows_a_cadre_only_their_households(world, login, paired):
    client = login(world.cadre_user)
    assert _found(client, "5101841100000000")["households"] == ["51018411000000001"]
    assert _found(client, "zsf")["residents"] == []


def test_it_shows_an_empty_form_without_a_query(world, login):
    response = login(world.township_staff).get(URL)
    assert response.status_code == 200
    assert response.context["results"].empty


def test_it_runs_the_same_queries_for_3_or_30_matches(world, login):
    # Rows of every kind on both sides: the added households are headed by 王小明, numbered X….
    add_households(world, 3)
    client = login(world.city_admin)
    url, api = f"{URL}?q=王", "/api/search?q=5101842700000"
    few = count_queries(client, url), count_queries(client, api)
    add_households(world, 27)
    assert (count_queries(client, url), count_queries(client, api)) == few

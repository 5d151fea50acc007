"""Enterprises: list with filters, detail, registration — page and API."""

import pytest
from django.urls import reverse

from lianxin.people.choices import Trade
from lianxin.people.models import Enterprise
from lianxin.people.services import do_create_enterprise
from tests import factories
from tests.people.support import add_enterprises, add_households, count_queries

URL = reverse("people:enterprise_list")


@pytest.fixture
def firms(world):
    """A farm co-op in 大坪村6组, a tea factory in 双河村, a shop in 道明镇."""
    make = lambda name, seed, trade, region: do_create_enterprise(  # noqa: E731
        county=world.county,
        name=name,
        credit_code=factories.credit_code(seed),
        trade=trade,
        region=region,
        acting_user=None,
    )
    return {
        "coop": make("崇州市大坪种植专业合作社", 1, Trade.A, world.group),
        "tea": make("四川双河茶业有限公司", 2, Trade.C, world.village2),
        "shop": make("道明竹编商店", 3, Trade.F, world.other_group),
    }


def _page_names(client, params=None) -> list[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return sorted(e.name for e in response.context["page"])


def _api_names(client, params=None) -> list[str]:
    response = client.get("/api/enterprises", params or {})
    assert response.status_code == 200, response.content
    return sorted(e["name"] for e in response.json()["items"])


def test_it_lists_enterprises_in_scope(world, login, firms):
    township = login(world.township_staff)
    assert _page_names(township) == ["四川双河茶业有限公司", "崇州市大坪种植专业合作社"]
    assert _api_names(township) == _page_names(township)
    assert _page_names(login(world.village_staff)) == ["崇州市大坪种植专业合作社"]
    assert _page_names(login(world.outsider)) == ["道明竹编商店"]
    assert _api_names(login(world.outsider)) == ["道明竹编商店"]
    assert _page_names(login(world.audit_admin)) == []
    assert _api_names(login(world.audit_admin)) == []


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"trade": "C"}, ["四川双河茶业有限公司"]),
        ({"q": "合作社"}, ["崇州市大坪种植专业合作社"]),
        ({"q": "scsh"}, ["四川双河茶业有限公司"]),
        ({"village": "V2"}, ["四川双河茶业有限公司"]),
        ({"township": "OT"}, ["道明竹编商店"]),
        ({"credit_code": "CODE3"}, ["道明竹编商店"]),
    ],
)
def test_it_filters_the_same_on_the_page_and_the_api(world, login, firms, params, expected):
    values = {
        "V2": world.village2.pk,
        "OT": world.other_township.pk,
        "CODE3": factories.credit_code(3).lower(),
    }
    params = {k: values.get(v, v) for k, v in params.items()}
    client = login(world.city_admin)
    assert _page_names(client, params) == expected
    assert _api_names(client, params) == expected


def test_it_shows_an_enterprise(world, login, firms):
    coop = firms["coop"]
    client = login(world.village_staff)
    response = client.get(reverse("people:enterprise_detail", args=[coop.pk]))
    assert response.status_code == 200
    assert coop.credit_code in response.content.decode()
    body = client.get(f"/api/enterprises/{coop.pk}").json()
    assert body["trade_label"] == "农、林、牧、渔业"
    assert body["region"]["short_name"] == "6组"


@pytest.mark.parametrize(
    "persona, firm", [("outsider", "coop"), ("village_staff", "tea"), ("audit_admin", "coop")]
)
def test_it_answers_404_outside_the_scope(world, login, firms, persona, firm):
    client = login(getattr(world, persona))
    pk = firms[firm].pk
    assert client.get(reverse("people:enterprise_detail", args=[pk])).status_code == 404
    assert client.get(f"/api/enterprises/{pk}").status_code == 404


def test_it_registers_an_enterprise(world, login):
    code = factories.credit_code(77)
    response = login(world.township_staff).post(
        reverse("people:enterprise_create"),
        {
            "name": "文井江民宿",
            "credit_code": code.lower(),
            "trade": "H",
            "region": world.village2.pk,
        },
    )
    enterprise = Enterprise.objects.get(credit_code=code)
    assert response.status_code == 302
    assert (enterprise.name_initials, enterprise.village_id) == ("wjjms", world.village2.pk)


def test_it_refuses_a_bad_credit_code_beside_the_field(world, login):
    code = factories.credit_code(78)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = login(world.township_staff).post(
        reverse("people:enterprise_create"),
        {"name": "文井江民宿", "credit_code": bad, "trade": "H", "region": world.village2.pk},
    )
    assert response.status_code == 400
    [message] = response.context["form"].errors["credit_code"]
    assert message.startswith("统一社会信用代码：")
    assert not Enterprise.objects.exists()


def test_it_refuses_registration_to_readers(world, login):
    assert login(world.cadre_user).get(reverse("people:enterprise_create")).status_code == 403


def test_it_runs_the_same_queries_for_3_or_30_rows(world, login, firms):
    client = login(world.city_admin)
    page_few, api_few = count_queries(client, URL), count_queries(client, "/api/enterprises")
    add_enterprises(world, 27)
    add_households(world, 27)
    assert count_queries(client, URL) == page_few
    assert count_queries(client, "/api/enterprises") == api_few

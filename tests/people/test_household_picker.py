"""The household search picker: by 户号 or the head's name or initials, inside the scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

HOUSEHOLDS = reverse("people:picker_households")


@pytest.mark.parametrize("q", ["51018411000000001", "5101841100", "罗选", "lxz"])
def test_it_finds_a_household_by_number_or_head(world, login, q):
    items = login(world.township_staff).get(HOUSEHOLDS, {"q": q}).json()["items"]
    assert world.household.pk in [i["id"] for i in items]
    found = next(i for i in items if i["id"] == world.household.pk)
    assert found["label"] == f"{world.household.number} 罗选志" and "大坪村" in found["detail"]


def test_it_never_finds_households_outside_the_scope(world, login):
    assert login(world.outsider).get(HOUSEHOLDS, {"q": "lxz"}).json()["items"] == []
    assert login(world.audit_admin).get(HOUSEHOLDS, {"q": "510184"}).json()["items"] == []


def test_it_refuses_a_phone_number_in_the_url(world, login):
    # A mobile number never travels in a URL: refused (in Chinese) before any search runs.
    answer = login(world.city_admin).get(HOUSEHOLDS, {"q": "13800138000"})
    assert answer.status_code == 400
    assert world.household.number not in answer.content.decode()


def test_it_answers_in_a_fixed_number_of_queries(world, login):
    client = login(world.city_admin)
    client.get(HOUSEHOLDS, {"q": "510184"})
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(HOUSEHOLDS, {"q": "510184"}).json()
    assert len(body["items"]) == 3 and body["more"] is False
    assert len(ctx.captured_queries) <= 4  # session, user, the search

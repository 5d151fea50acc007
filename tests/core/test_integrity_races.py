"""Simultaneous writes of the same value: one is saved, every other answers 409 in Chinese.

Real threads, each on its own database connection, released together by a barrier. On
PostgreSQL the requests pass the services' duplicate look together and meet the constraint;
on SQLite the IMMEDIATE transactions queue them and the look answers. Either way: no 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.people.choices import HardshipKind
from lianxin.people.models import Enterprise, Household, HouseholdHardship, Resident
from tests import factories

THREADS = 12


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, one thread and one connection each; a call's answer,
    or the exception it raised, in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # a 500 arrives here as the view's exception
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def clients(user, n: int = THREADS) -> list[Client]:
    made = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        made.append(client)
    return made


def post_json(client: Client, url: str, body: dict) -> Callable[[], Any]:
    return lambda: client.post(url, body, content_type="application/json")


def assert_one_saved(results: list[Any], ok: int, messages: set[str], field: str) -> None:
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert crashed == [], crashed[:1]
    statuses = sorted(r.status_code for r in results)
    assert statuses == [ok] + [409] * (len(results) - 1)
    for r in results:
        if r.status_code == 409:
            if r.headers["Content-Type"].startswith("application/json"):
                assert r.json()["detail"] in messages and r.json()["field"] == field
            else:
                errors = r.context["form"].errors
                assert set(errors[field]) <= messages, errors


@pytest.mark.django_db(transaction=True)
def test_it_registers_a_household_number_once_when_many_create_it_at_once(world):
    body = {"number": "51018411000000900", "region_id": world.group.pk}
    audited = AuditEntry.objects.filter(action="新建户").count()
    results = race([post_json(c, "/api/households", body) for c in clients(world.township_staff)])
    assert_one_saved(
        results, 201, {"户号“51018411000000900”已登记", "同一户号不能重复登记"}, "number"
    )
    assert Household.objects.filter(number="51018411000000900").count() == 1
    assert AuditEntry.objects.filter(action="新建户").count() == audited + 1


@pytest.mark.django_db(transaction=True)
def test_it_registers_an_id_number_once_when_many_register_it_at_once(world):
    id_number = factories.id_number()
    url = f"/api/households/{world.household2.pk}/residents"
    body = {"name": "张小同", "id_number": id_number, "relation": "child"}
    results = race([post_json(c, url, body) for c in clients(world.township_staff)])
    saved = Resident.objects.select_related("household__region").get(name="张小同")
    messages = {
        f"该身份证号已登记：张小同（户号 51018411000000002，{saved.household.region}）",
        "同一身份证号不能重复登记",
    }
    assert_one_saved(results, 201, messages, "id_number")


@pytest.mark.django_db(transaction=True)
def test_it_registers_a_credit_code_once_when_many_register_it_at_once(world):
    code = factories.credit_code(4242)
    body = {
        "name": "崇州同时有限公司",
        "credit_code": code,
        "trade": "C",
        "region_id": world.group.pk,
    }
    results = race([post_json(c, "/api/enterprises", body) for c in clients(world.township_staff)])
    messages = {f"统一社会信用代码“{code}”已登记", "同一统一社会信用代码不能重复登记"}
    assert_one_saved(results, 201, messages, "credit_code")
    assert Enterprise.objects.filter(credit_code=code).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_opens_a_hardship_once_when_many_add_it_at_once_on_the_page(world):
    url = reverse("people:hardship_add", args=[world.household.pk])
    body = {"kind": HardshipKind.DISABILITY, "valid_from": "2026-01-05"}
    results = race([lambda c=c: c.post(url, body) for c in clients(world.township_staff)])
    messages = {"该户已登记困难类型“残疾”", "该户已登记此困难类型"}
    assert_one_saved(results, 302, messages, "kind")
    assert HouseholdHardship.objects.filter(household=world.household).count() == 1
    assert AuditEntry.objects.filter(action="登记困难类型").count() == 1

"""A write that meets a constraint after the service's own look answers 409 with the
constraint's Chinese message, through the service, the API and the page, on both databases.

`arrives_first` puts the other request's row in the window a race opens: it runs another
do_* call just before the service's own INSERT or UPDATE of the table, on the same
connection, so the service's look has already found nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.urls import reverse

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user
from lianxin.core.errors import Refused
from lianxin.core.integrity import GENERIC_MESSAGE, refuse_conflicts
from lianxin.geo.models import Region
from lianxin.org.choices import UnitKind
from lianxin.org.services import do_create_cadre, do_create_unit
from lianxin.pairing.models import PairingPolicy
from lianxin.pairing.policy import policy_for
from lianxin.people.choices import HardshipKind, Relation, Trade
from lianxin.people.models import Household, Resident
from lianxin.people.services import (
    do_add_hardship,
    do_create_enterprise,
    do_create_household,
    do_create_resident,
    do_update_resident,
)
from tests import factories


@contextmanager
def arrives_first(table: str, write: Callable[[], object]) -> Iterator[None]:
    """Run `write` once, just before the first INSERT or UPDATE of `table`."""
    statement = re.compile(rf'\s*(INSERT INTO|UPDATE) "{table}"')
    done = False

    def wrapper(execute, sql, params, many, context):
        nonlocal done
        if not done and statement.match(sql):
            done = True
            write()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert done, f"no write to {table}"


def refused(call: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.status == 409
    return caught.value


def new_household(world, number: str) -> Household:
    return do_create_household(
        county=world.county, number=number, region=world.group, acting_user=None
    )


# Services ----------------------------------------------------------------------------------


def test_it_refuses_a_household_number_registered_after_the_look(world):
    with arrives_first("people_household", lambda: new_household(world, "51018411000000500")):
        exc = refused(lambda: new_household(world, "51018411000000500"))
    assert (exc.message, exc.field) == ("同一户号不能重复登记", "number")


def test_it_refuses_an_id_number_registered_after_the_look(world):
    id_number = factories.id_number()

    def register(household):
        return do_create_resident(
            household=household,
            name="王同时",
            id_number=id_number,
            relation=Relation.CHILD,
            acting_user=None,
        )

    with arrives_first("people_resident", lambda: register(world.household)):
        exc = refused(lambda: register(world.household2))
    assert (exc.message, exc.field) == ("同一身份证号不能重复登记", "id_number")


def test_it_refuses_a_second_head_made_after_the_look(world):
    household = new_household(world, "51018411000000501")
    first, second = (
        do_create_resident(
            household=household,
            name=name,
            id_number=factories.id_number(),
            relation=Relation.CHILD,
            acting_user=None,
        )
        for name in ("李大", "李二")
    )

    def make_head(resident):
        return do_update_resident(resident, relation=Relation.HEAD, acting_user=None)

    with arrives_first("people_resident", lambda: make_head(first)):
        exc = refused(lambda: make_head(second))
    assert (exc.message, exc.field) == ("一户只能有一名户主", "relation")
    assert Resident.objects.get(pk=second.pk).relation == Relation.CHILD


def test_it_refuses_an_open_hardship_added_after_the_look(world):
    def add():
        return do_add_hardship(world.household, kind=HardshipKind.LIVING_ALONE, acting_user=None)

    with arrives_first("people_householdhardship", add):
        exc = refused(add)
    assert (exc.message, exc.field) == ("该户已登记此困难类型", "hardship")


def test_it_refuses_a_credit_code_registered_after_the_look(world):
    code = factories.credit_code(777)

    def register():
        return do_create_enterprise(
            county=world.county,
            name="崇州竞速有限公司",
            credit_code=code,
            trade=Trade.C,
            region=world.group,
            acting_user=None,
        )

    with arrives_first("people_enterprise", register):
        exc = refused(register)
    assert (exc.message, exc.field) == ("同一统一社会信用代码不能重复登记", "credit_code")


def test_it_refuses_a_unit_name_and_a_staff_number_taken_after_the_look(world):
    def unit():
        return do_create_unit(
            county=world.county,
            name="崇州市水务局",
            kind=UnitKind.CITY_DEPARTMENT,
            acting_user=None,
        )

    with arrives_first("org_unit", unit):
        exc = refused(unit)
    assert (exc.message, exc.field) == ("同名单位已存在", "name")

    def cadre():
        return do_create_cadre(unit=world.unit, staff_no="C0900", name="赵同时", acting_user=None)

    with arrives_first("org_cadre", cadre):
        exc = refused(cadre)
    assert (exc.message, exc.field) == ("人员编号已存在", "staff_no")


def test_it_refuses_a_username_taken_after_the_look(world):
    def create():
        return do_create_user(
            county=world.county,
            username="tongshi",
            password=factories.PASSWORD,
            role=Role.CITY_ADMIN,
            acting_user=None,
        )

    with arrives_first("accounts_user", create):
        exc = refused(create)
    assert exc.field == "username"
    assert exc.message == str(User._meta.get_field("username").error_messages["unique"])


# The helper on each kind of constraint ------------------------------------------------------


def test_it_names_a_check_constraint_and_the_field_the_caller_maps_it_to(world):
    policy = policy_for(world.county)
    bounds = {"pairing_pairingpolicy_load_bounds": "min_load"}
    with pytest.raises(Refused) as caught, refuse_conflicts(bounds):
        PairingPolicy.objects.filter(pk=policy.pk).update(min_load=9, max_load=3)
    assert (caught.value.message, caught.value.field, caught.value.status) == (
        "最少联系户数不能大于最多联系户数",
        "min_load",
        409,
    )
    with pytest.raises(Refused) as caught, refuse_conflicts():
        Region.objects.filter(pk=world.village.pk).update(valid_to=dt.date(2000, 1, 1))
    assert (caught.value.message, caught.value.field) == ("终止日期不能早于起始日期", "")


def test_it_answers_an_error_it_cannot_name_with_the_generic_409(world):
    with pytest.raises(Refused) as caught, refuse_conflicts():
        Household.objects.filter(pk=world.household.pk).update(number=None)
    assert (caught.value.message, caught.value.field, caught.value.status) == (
        GENERIC_MESSAGE,
        "",
        409,
    )


def test_it_keeps_what_the_transaction_saved_before_a_refused_write(world):
    with transaction.atomic():
        new_household(world, "51018411000000510")
        with arrives_first("people_household", lambda: new_household(world, "51018411000000511")):
            refused(lambda: new_household(world, "51018411000000511"))
        # On PostgreSQL the transaction would be aborted here without the savepoint.
        new_household(world, "51018411000000512")
    numbers = set(
        Household.objects.filter(number__startswith="5101841100000051").values_list(
            "number", flat=True
        )
    )
    # 51018411000000511 arrived inside the refused write's savepoint, so it went with it.
    assert numbers == {"51018411000000510", "51018411000000512"}


# API and pages ---------------------------------------------------------------------------------


def test_it_answers_the_api_with_409_and_the_field(world, login):
    client = login(world.township_staff)
    with arrives_first("people_household", lambda: new_household(world, "51018411000000520")):
        response = client.post(
            "/api/households",
            {"number": "51018411000000520", "region_id": world.group.pk},
            content_type="application/json",
        )
    assert response.status_code == 409
    assert response.json() == {"detail": "同一户号不能重复登记", "field": "number"}


def test_it_shows_the_message_beside_the_field_on_the_page(world, login):
    client = login(world.township_staff)
    with arrives_first("people_household", lambda: new_household(world, "51018411000000521")):
        response = client.post(
            reverse("people:household_create"),
            {"number": "51018411000000521", "region": world.group.pk},
        )
    assert response.status_code == 409
    assert response.context["form"].errors["number"] == ["同一户号不能重复登记"]
    assert "同一户号不能重复登记" in response.content.decode()


def test_it_refuses_a_hardship_the_household_already_has_open_as_the_constraint_would(world):
    do_add_hardship(world.household, kind=HardshipKind.DISABILITY, acting_user=None)
    exc = refused(
        lambda: do_add_hardship(world.household, kind=HardshipKind.DISABILITY, acting_user=None)
    )
    assert (exc.message, exc.field) == ("该户已登记困难类型“残疾”", "hardship")

"""Every field's limits come from its model field (lianxin/core/fields.py) and answer alike on
SQLite and PostgreSQL: a value past a column's max_length is refused with a Chinese message
naming the field and its limit, through the service, the API and the page, and nothing is
saved. Before, SQLite stored a 40-character name in a 30-character column and PostgreSQL
answered 500 (DataError)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields, max_length, problem, rule
from lianxin.org.choices import UnitKind
from lianxin.org.models import Unit
from lianxin.org.services import do_create_unit
from lianxin.people.api import HouseholdIn, ResidentIn
from lianxin.people.choices import Relation
from lianxin.people.forms import ResidentCreateForm
from lianxin.people.models import Household, Resident
from lianxin.people.services import do_create_household, do_create_resident
from lianxin.transfer.models import ImportLimits
from lianxin.transfer.services import do_set_import_limits
from tests.factories import id_number

LONG_NAME = "张" * 40
NAME_MESSAGE = "姓名最多30个字符（现为40个）"


def test_it_reads_the_rules_from_the_model_fields():
    name = rule(Resident, "name")
    assert (name.label, name.max_length, name.required) == ("姓名", 30, True)
    assert rule(Household, "address").required is False
    assert rule(Resident, "relation").choices == frozenset(Relation.values)
    # PostgreSQL's column widths, applied on SQLite too.
    limits = rule(ImportLimits, "rows")
    assert (limits.min_value, limits.max_value) == (0, 2**31 - 1)
    assert problem(Resident, "name", "张" * 30) is None
    assert problem(Resident, "name", LONG_NAME) == NAME_MESSAGE
    assert problem(Resident, "name", " ") == "姓名不能为空"
    assert problem(Resident, "name", "张\x00三") == "姓名不能含空字符（\\0）"


def test_it_gives_forms_and_api_schemas_the_models_limits():
    assert ResidentCreateForm.base_fields["name"].max_length == max_length(Resident, "name") == 30
    schema = ResidentIn.model_json_schema()["properties"]["name"]
    assert schema["maxLength"] == 30
    assert HouseholdIn.model_json_schema()["properties"]["number"]["maxLength"] == 30


def test_it_refuses_an_oversize_name_in_the_service_and_saves_nothing(world):
    before = Resident.objects.count()

    with pytest.raises(Refused) as refused:
        do_create_resident(
            household=world.household,
            name=LONG_NAME,
            id_number=id_number(),
            relation=Relation.CHILD,
            acting_user=world.township_staff,
        )

    assert (refused.value.message, refused.value.field, refused.value.status) == (
        NAME_MESSAGE,
        "name",
        400,
    )
    assert Resident.objects.count() == before


def test_it_refuses_an_oversize_name_through_the_api_and_saves_nothing(world, login):
    client = login(world.township_staff)
    before = Resident.objects.count()

    response = client.post(
        f"/api/households/{world.household.pk}/residents",
        json.dumps({"name": "张" * 31, "id_number": id_number(), "relation": "child"}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "姓名最多30个字符（现为31个）", "field": "name"}
    assert Resident.objects.count() == before


def test_it_refuses_an_oversize_household_number_through_the_api(world, login):
    client = login(world.township_staff)

    response = client.post(
        "/api/households",
        json.dumps({"number": "H" * 31, "region_id": world.group.pk}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "户号最多30个字符（现为31个）", "field": "number"}
    assert not Household.objects.filter(number="H" * 31).exists()


def test_it_refuses_an_oversize_name_on_the_page_and_saves_nothing(world, login):
    client = login(world.township_staff)
    before = Resident.objects.count()

    response = client.post(
        reverse("people:resident_create", args=[world.household.pk]),
        {"name": LONG_NAME, "id_number": id_number(), "relation": Relation.CHILD},
    )

    assert response.status_code == 400
    assert NAME_MESSAGE in response.content.decode()
    assert Resident.objects.count() == before


def test_it_refuses_what_a_column_cannot_hold_in_every_service(world):
    with pytest.raises(Refused, match="单位名称最多80个字符（现为81个）"):
        do_create_unit(
            county=world.county, name="单" * 81, kind=UnitKind.PARTY_ORGAN, acting_user=None
        )
    with pytest.raises(Refused, match="住址不能含空字符"):
        do_create_household(
            county=world.county,
            number="51018411000009001",
            region=world.group,
            address="大坪村\x006组",
            acting_user=None,
        )
    assert not Unit.objects.filter(name="单" * 81).exists()
    assert not Household.objects.filter(number="51018411000009001").exists()


def test_it_refuses_a_number_past_the_integer_column(world):
    # PositiveIntegerField: PostgreSQL's integer, 2147483647 at most.
    with pytest.raises(Refused) as refused:
        do_set_import_limits(county=world.county, acting_user=world.system_admin, rows=10**12)

    assert refused.value.field == "rows"
    assert refused.value.message == f"每个文件最多行数应在0到2147483647之间（现为{10**12}）"
    assert ImportLimits.for_county(world.county.pk).rows != 10**12


def test_it_names_the_callers_field_through_an_alias():
    with pytest.raises(Refused) as refused:
        check_fields(Resident, {"name": LONG_NAME}, aliases={"name": "full_name"})
    assert refused.value.field == "full_name"

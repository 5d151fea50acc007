"""Registering and changing household members through the pages."""

import datetime as dt

from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.sensitive import unseal_field
from lianxin.lib.idcard import check_char
from lianxin.people.choices import Relation
from lianxin.people.models import Resident
from lianxin.people.services import do_create_resident
from tests import factories


def _bad_check_digit(number: str) -> str:
    wrong = next(c for c in "0123456789X" if c != check_char(number[:17]))
    return number[:17] + wrong


def test_it_registers_a_member(world, login):
    number = factories.id_number(dt.date(1992, 2, 3))
    response = login(world.village_staff).post(
        reverse("people:resident_create", args=[world.household2.pk]),
        {"name": "张小宝", "id_number": number, "relation": "child", "phone": "139 1234 5678"},
    )
    assert response.status_code == 302
    resident = Resident.objects.get(name="张小宝")
    assert resident.household == world.household2
    assert resident.phone_masked == "139****5678"
    assert resident.name_initials == "zxb"
    assert resident.birth_year == 1992
    assert unseal_field(resident, "id_number")[6:14] == "19920203"  # the date lives only in there


def test_it_refuses_an_invalid_id_number_with_its_reason(world, login):
    before = Resident.objects.count()
    number = _bad_check_digit(factories.id_number())
    expected = f"身份证号：校验位错误，应为 {check_char(number[:17])}"
    response = login(world.township_staff).post(
        reverse("people:resident_create", args=[world.household.pk]),
        {"name": "罗错", "id_number": number, "relation": "child"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == [expected]
    assert expected in response.content.decode()
    assert Resident.objects.count() == before


def test_it_refuses_a_short_id_number(world, login):
    response = login(world.township_staff).post(
        reverse("people:resident_create", args=[world.household.pk]),
        {"name": "罗短", "id_number": "51018419900101", "relation": "child"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == ["身份证号：身份证号应为18位，现为14位"]


def test_it_names_the_existing_record_of_a_duplicate_to_an_in_scope_user(world, login):
    number = factories.id_number(dt.date(1980, 1, 1))
    client = login(world.township_staff)
    url = reverse("people:resident_create", args=[world.household.pk])
    client.post(url, {"name": "罗一", "id_number": number, "relation": "spouse"})
    before = Resident.objects.count()
    response = client.post(
        reverse("people:resident_create", args=[world.household2.pk]),
        {"name": "张冒", "id_number": number, "relation": "child"},
    )
    assert response.status_code == 409
    [message] = response.context["form"].errors["id_number"]
    assert message.startswith("该身份证号已登记：罗一（户号 51018411000000001")
    assert Resident.objects.count() == before


def test_it_does_not_name_a_duplicate_outside_the_outsiders_scope(world, login):
    number = factories.id_number(dt.date(1980, 1, 1))
    do_create_resident(
        household=world.household,
        name="罗一",
        id_number=number,
        relation=Relation.SPOUSE,
        acting_user=world.township_staff,
    )
    before = Resident.objects.count()
    response = login(world.outsider).post(
        reverse("people:resident_create", args=[world.other_household.pk]),
        {"name": "马冒", "id_number": number, "relation": "child"},
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "该身份证号已在其他辖区登记" in text
    assert "罗一" not in text and "51018411000000001" not in text
    assert Resident.objects.count() == before


def test_it_refuses_a_second_head(world, login):
    response = login(world.township_staff).post(
        reverse("people:resident_create", args=[world.household.pk]),
        {"name": "罗二", "id_number": factories.id_number(), "relation": "head"},
    )
    assert response.status_code == 409
    assert response.context["form"].errors["relation"] == ["该户已有户主"]


def test_it_edits_a_member(world, login):
    resident = world.household.members.get(name="罗家0")
    client = login(world.township_staff)
    url = reverse("people:resident_edit", args=[resident.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "罗家宝", "phone": "13811112222", "relation": "grandchild"}
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.name_initials, resident.relation) == (
        "罗家宝",
        "ljb",
        "grandchild",
    )
    assert resident.phone_masked == "138****2222"
    entry = AuditEntry.objects.filter(action="修改居民信息").latest("id")
    assert "13811112222" not in str(entry.changes)
    # An empty phone box keeps the phone; the checkbox clears it.
    client.post(url, {"name": "罗家宝", "phone": "", "relation": "grandchild"})
    resident.refresh_from_db()
    assert resident.phone_masked == "138****2222"
    client.post(url, {"name": "罗家宝", "phone": "", "clear_phone": "on", "relation": "grandchild"})
    resident.refresh_from_db()
    assert resident.phone_masked == ""


def test_it_refuses_a_bad_phone_beside_the_field(world, login):
    resident = world.household.members.get(name="罗家0")
    response = login(world.township_staff).post(
        reverse("people:resident_edit", args=[resident.pk]),
        {"name": "罗家0", "phone": "12345", "relation": "child"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["phone"][0].startswith("联系电话：")


def test_it_answers_404_for_editing_outside_the_scope(world, login):
    resident = world.household.head
    for persona in ("outsider", "leader_user", "info_group"):
        client = login(getattr(world, persona))
        url = reverse("people:resident_edit", args=[resident.pk])
        assert client.post(url, {"name": "改名", "relation": "head"}).status_code == 404
    resident.refresh_from_db()
    assert resident.name == "罗选志"

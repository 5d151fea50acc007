"""Creating and changing households through the pages: services decide, refusals show."""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.models import today
from lianxin.people.models import Household, HouseholdHardship


def test_it_creates_a_household(world, login):
    client = login(world.village_staff)
    response = client.post(
        reverse("people:household_create"),
        {
            "number": "51018411000000009",
            "region": world.group2.pk,
            "address": "大坪村7组1号",
            "hardships": ["dibao"],
        },
    )
    household = Household.objects.get(number="51018411000000009")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:resident_create", args=[household.pk])
    assert (household.township_id, household.village_id, household.region_id) == (
        world.township.pk,
        world.village.pk,
        world.group2.pk,
    )
    assert household.hardships.get().kind == "dibao"
    assert AuditEntry.objects.filter(action="新建户", actor=world.village_staff).exists()


def test_it_refuses_a_duplicate_number_beside_the_field(world, login):
    before = Household.objects.count()
    response = login(world.township_staff).post(
        reverse("people:household_create"),
        {"number": "51018411000000001", "region": world.group2.pk},
    )
    assert response.status_code == 409
    assert response.context["form"].errors["number"] == ["户号“51018411000000001”已登记"]
    assert "户号“51018411000000001”已登记" in response.content.decode()
    assert Household.objects.count() == before


def test_it_offers_only_regions_in_scope(world, login):
    client = login(world.village_staff)
    form = client.get(reverse("people:household_create")).context["form"]
    offered = set(form.fields["region"].queryset)
    assert offered == {world.village, world.group, world.group2}
    response = client.post(
        reverse("people:household_create"),
        {"number": "51018411000000010", "region": world.other_group.pk},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["region"] == ["所选区域不在您的范围内"]
    assert not Household.objects.filter(number="51018411000000010").exists()


def test_it_reports_missing_fields_in_chinese(world, login):
    response = login(world.township_staff).post(reverse("people:household_create"), {})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["number"] == ["这个字段是必填项。"]
    assert errors["region"] == ["请选择所在区域"]


@pytest.mark.parametrize("persona", ["cadre_user", "leader_user", "handler", "audit_admin"])
def test_it_refuses_creation_to_readers(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(reverse("people:household_create")).status_code == 403
    response = client.post(
        reverse("people:household_create"),
        {"number": "51018411000000011", "region": world.group.pk},
    )
    assert response.status_code == 403
    assert not Household.objects.filter(number="51018411000000011").exists()


def test_it_moves_a_household_to_another_group(world, login):
    client = login(world.village_staff)
    url = reverse("people:household_edit", args=[world.household.pk])
    assert client.get(url).context["form"].initial["region"] == world.group.pk
    response = client.post(url, {"region": world.group2.pk, "address": "大坪村7组8号"})
    assert response.status_code == 302
    world.household.refresh_from_db()
    assert world.household.region_id == world.group2.pk
    assert world.household.address == "大坪村7组8号"
    assert AuditEntry.objects.filter(action="修改户信息").exists()


@pytest.mark.parametrize("persona", ["outsider", "leader_user", "cadre_user"])
def test_it_answers_404_to_editors_without_the_household(world, login, persona, paired):
    client = login(getattr(world, persona))
    for name in ("people:household_edit", "people:hardship_add", "people:resident_create"):
        assert client.get(reverse(name, args=[world.household.pk])).status_code == 404
    response = client.post(
        reverse("people:household_edit", args=[world.household.pk]),
        {"region": world.group2.pk, "address": "x"},
    )
    assert response.status_code == 404
    world.household.refresh_from_db()
    assert world.household.region_id == world.group.pk


def test_it_adds_and_ends_a_hardship(world, login):
    client = login(world.township_staff)
    response = client.post(
        reverse("people:hardship_add", args=[world.household.pk]),
        {"kind": "lb_elderly", "valid_from": "2025-01-02", "note": "子女在外务工"},
    )
    assert response.status_code == 302
    hardship = HouseholdHardship.objects.get(household=world.household)
    assert (hardship.kind, hardship.valid_from) == ("lb_elderly", dt.date(2025, 1, 2))
    detail = client.get(reverse("people:household_detail", args=[world.household.pk]))
    assert "留守老人" in detail.content.decode() and "2025-01-02" in detail.content.decode()
    end_url = reverse("people:hardship_end", args=[world.household.pk, hardship.pk])
    assert client.post(end_url, {"valid_to": str(today())}).status_code == 302
    hardship.refresh_from_db()
    assert hardship.valid_to == today()


def test_it_refuses_an_end_before_the_start_beside_the_field(world, login):
    client = login(world.township_staff)
    client.post(
        reverse("people:hardship_add", args=[world.household.pk]),
        {"kind": "illness", "valid_from": "2025-05-01"},
    )
    hardship = HouseholdHardship.objects.get(household=world.household)
    response = client.post(
        reverse("people:hardship_end", args=[world.household.pk, hardship.pk]),
        {"valid_to": "2025-04-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["valid_to"] == ["终止日期不能早于起始日期"]
    hardship.refresh_from_db()
    assert hardship.valid_to is None


def test_it_answers_404_for_a_hardship_of_another_household(world, login):
    client = login(world.city_admin)
    client.post(reverse("people:hardship_add", args=[world.other_household.pk]), {"kind": "alone"})
    hardship = HouseholdHardship.objects.get()
    url = reverse("people:hardship_end", args=[world.household.pk, hardship.pk])
    assert client.post(url, {"valid_to": str(today())}).status_code == 404
    outsider_url = reverse("people:hardship_end", args=[world.other_household.pk, hardship.pk])
    assert login(world.township_staff).get(outsider_url).status_code == 404


def test_it_refuses_an_unknown_hardship_kind(world, login):
    response = login(world.township_staff).post(
        reverse("people:hardship_add", args=[world.household.pk]), {"kind": "rich"}
    )
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    assert not HouseholdHardship.objects.exists()

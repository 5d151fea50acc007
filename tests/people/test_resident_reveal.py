"""Revealing a full ID number or phone: permission, reason, scope, audit."""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.people.choices import Relation
from lianxin.people.services import do_create_resident
from tests import factories

PHONE = "13912345678"


@pytest.fixture
def known(world):
    number = factories.id_number(dt.date(1985, 7, 1))
    resident = do_create_resident(
        household=world.household,
        name="罗明",
        id_number=number,
        relation=Relation.SPOUSE,
        phone=PHONE,
        acting_user=None,
    )
    return resident, number


def _reveal_url(resident) -> str:
    return reverse("people:resident_reveal", args=[resident.pk])


def _reveals() -> int:
    return AuditEntry.objects.filter(action="查看完整信息").count()


def test_it_shows_values_masked_by_default(world, login, known):
    resident, number = known
    html = login(world.township_staff).get(reverse("people:resident_detail", args=[resident.pk]))
    text = html.content.decode()
    assert number not in text and PHONE not in text
    assert resident.id_number_masked in text and "139****5678" in text
    assert "查看事由" in text


def test_it_reveals_the_id_number_with_a_reason_and_audits_it(world, login, known):
    resident, number = known
    client = login(world.township_staff)
    response = client.post(
        _reveal_url(resident),
        {"field": "id_number", "reason": "核实低保申请"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert number in text
    assert "<html" not in text  # a fragment for htmx to swap in
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.filter(action="查看完整信息").latest("id")
    assert entry.reason == "核实低保申请"
    assert entry.actor == world.township_staff
    assert entry.target_id == str(resident.pk)
    assert entry.changes == {"field": [None, "id_number"]}
    assert number not in str(entry.changes) + entry.target_label


def test_it_reveals_the_phone_as_a_page_without_htmx(world, login, known):
    resident, _ = known
    response = login(world.township_staff).post(
        _reveal_url(resident), {"field": "phone", "reason": "联系户主"}
    )
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert "<html" in response.content.decode()


def test_it_refuses_without_the_permission(world, login, known):
    resident, number = known
    client = login(world.village_staff)
    page = client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert "查看事由" not in page
    response = client.post(_reveal_url(resident), {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 403
    assert "您没有查看完整信息的权限" in response.content.decode()
    assert number not in response.content.decode()
    api = client.post(
        f"/api/residents/{resident.pk}/reveal",
        {"field": "id_number", "reason": "核实身份"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["detail"] == "您没有查看完整信息的权限"
    assert _reveals() == 0


def test_it_answers_404_to_the_outsider(world, login, known):
    resident, number = known
    client = login(world.outsider)  # holds can_reveal, but not this township
    response = client.post(_reveal_url(resident), {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 404
    api = client.post(
        f"/api/residents/{resident.pk}/reveal",
        {"field": "id_number", "reason": "核实身份"},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert number not in api.content.decode()
    assert _reveals() == 0


@pytest.mark.parametrize("reason", ["", " ", "查"])
def test_it_asks_for_a_reason(world, login, known, reason):
    resident, number = known
    client = login(world.township_staff)
    response = client.post(
        _reveal_url(resident), {"field": "id_number", "reason": reason}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写查看事由（至少2个字）" in text
    assert number not in text
    assert 'name="reason"' in text  # the form comes back for a second try
    api = client.post(
        f"/api/residents/{resident.pk}/reveal",
        {"field": "id_number", "reason": reason},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json() == {"detail": "请填写查看事由（至少2个字）", "field": "reason"}
    assert _reveals() == 0


def test_it_reveals_through_the_api(world, login, known):
    resident, _ = known
    response = login(world.city_admin).post(
        f"/api/residents/{resident.pk}/reveal",
        {"field": "phone", "reason": "回访诉求"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"value": PHONE}
    assert AuditEntry.objects.filter(action="查看完整信息", reason="回访诉求").exists()


def test_it_refuses_an_unknown_field(world, login, known):
    resident, _ = known
    response = login(world.city_admin).post(
        _reveal_url(resident), {"field": "name_initials", "reason": "核实身份"}
    )
    assert response.status_code == 400
    assert "该字段不可查看" in response.content.decode()


def test_it_only_takes_a_post(world, login, known):
    resident, _ = known
    assert login(world.city_admin).get(_reveal_url(resident)).status_code == 405

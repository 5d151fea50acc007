import datetime as dt

from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.org.models import CadreAssignment


def url(cadre):
    return reverse("org:cadre_transfer", args=[cadre.pk])


def test_it_moves_the_cadre_and_keeps_the_history(world, login):
    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=dt.date(2023, 1, 1))
    response = login(world.city_admin).post(
        url(world.cadre),
        {"unit": world.other_unit.pk, "post": "社会救助科科员", "effective_on": "2025-03-01"},
    )
    assert response.status_code == 302
    world.cadre.refresh_from_db()
    assert world.cadre.unit == world.other_unit and world.cadre.post == "社会救助科科员"
    rows = list(
        CadreAssignment.objects.filter(cadre=world.cadre)
        .order_by("valid_from")
        .values_list("unit_id", "post", "valid_from", "valid_to")
    )
    assert rows == [
        (world.unit.pk, "网信办干部", dt.date(2023, 1, 1), dt.date(2025, 2, 28)),
        (world.other_unit.pk, "社会救助科科员", dt.date(2025, 3, 1), None),
    ]
    assert AuditEntry.objects.filter(action="干部调动", target_id=str(world.cadre.pk)).exists()


def test_it_refuses_a_date_before_the_current_assignment_and_changes_nothing(world, login):
    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=dt.date(2024, 5, 1))
    client = login(world.city_admin)
    before = AuditEntry.objects.count()
    response = client.post(
        url(world.cadre), {"unit": world.other_unit.pk, "post": "", "effective_on": "2024-04-30"}
    )
    assert response.status_code == 400
    assert "调动日期须晚于本次任职开始日期2024-05-01" in response.content.decode()
    world.cadre.refresh_from_db()
    assert world.cadre.unit == world.unit
    assert CadreAssignment.objects.filter(cadre=world.cadre).count() == 1
    assert AuditEntry.objects.count() == before


def test_it_refuses_a_transfer_that_changes_nothing(world, login):
    response = login(world.city_admin).post(
        url(world.cadre),
        {"unit": world.unit.pk, "post": "网信办干部", "effective_on": "2030-01-01"},
    )
    assert response.status_code == 400
    assert "无需调动" in response.content.decode()


def test_it_answers_404_to_non_admins(world, login):
    response = login(world.township_staff).post(
        url(world.cadre), {"unit": world.other_unit.pk, "effective_on": "2030-01-01"}
    )
    assert response.status_code == 404
    world.cadre.refresh_from_db()
    assert world.cadre.unit == world.unit

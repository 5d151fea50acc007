import datetime as dt

from django.urls import reverse

from lianxin.org.models import CadreAssignment, LeaderLiaison
from lianxin.pairing.services import do_pair


def url(cadre):
    return reverse("org:cadre_leave", args=[cadre.pk])


def test_it_marks_the_cadre_left_and_ends_assignment_and_liaisons(world, login):
    CadreAssignment.objects.filter(cadre=world.leader).update(valid_from=dt.date(2023, 1, 1))
    LeaderLiaison.objects.filter(leader=world.leader).update(valid_from=dt.date(2023, 1, 1))
    response = login(world.city_admin).post(
        url(world.leader), {"left_on": "2025-01-31", "reason": "退休"}
    )
    assert response.status_code == 302
    world.leader.refresh_from_db()
    assert world.leader.left_on == dt.date(2025, 1, 31)
    assert CadreAssignment.objects.get(cadre=world.leader).valid_to == dt.date(2025, 1, 31)
    assert LeaderLiaison.objects.get(leader=world.leader).valid_to == dt.date(2025, 1, 31)


def test_it_warns_about_paired_households(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    page = login(world.city_admin).get(url(world.cadre)).content.decode()
    assert "该干部目前结对1户" in page


def test_it_refuses_a_date_before_the_assignment_started(world, login):
    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=dt.date(2024, 5, 1))
    response = login(world.city_admin).post(
        url(world.cadre), {"left_on": "2024-01-01", "reason": "退休"}
    )
    assert response.status_code == 400
    assert "退出日期不能早于本次任职开始日期2024-05-01" in response.content.decode()
    world.cadre.refresh_from_db()
    assert world.cadre.left_on is None


def test_it_requires_a_reason(world, login):
    response = login(world.city_admin).post(url(world.cadre), {"left_on": "2030-01-01"})
    assert response.status_code == 400
    world.cadre.refresh_from_db()
    assert world.cadre.left_on is None

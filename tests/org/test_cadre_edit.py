from django.urls import reverse

from lianxin.audit.models import AuditEntry


def url(cadre):
    return reverse("org:cadre_edit", args=[cadre.pk])


def test_it_changes_the_phone_and_audits_it_masked(world, login):
    response = login(world.city_admin).post(
        url(world.cadre), {"name": "马林增", "phone": "13911112222"}
    )
    assert response.status_code == 302
    world.cadre.refresh_from_db()
    assert world.cadre.phone_masked == "139****2222"
    entry = AuditEntry.objects.filter(action="修改干部信息").latest("id")
    assert entry.changes["phone"] == ["139****0001", "139****2222"]


def test_it_keeps_the_phone_when_the_box_is_empty(world, login):
    login(world.city_admin).post(url(world.cadre), {"name": "马林增", "phone": ""})
    world.cadre.refresh_from_db()
    assert world.cadre.phone_masked == "139****0001"


def test_it_refuses_dropping_the_leader_flag_while_liaising(world, login):
    response = login(world.city_admin).post(url(world.leader), {"name": "李市长"})
    assert response.status_code == 400
    assert "仍在联系乡镇" in response.content.decode()
    world.leader.refresh_from_db()
    assert world.leader.is_city_leader

from django.urls import reverse

from lianxin.audit.models import AuditEntry


def url(unit):
    return reverse("org:unit_edit", args=[unit.pk])


def test_it_saves_changes_and_audits_them(world, login):
    response = login(world.city_admin).post(
        url(world.unit),
        {"name": "中共崇州市委宣传部", "short_name": "宣传部", "kind": "party_organ", "phone": ""},
    )
    assert response.status_code == 302
    world.unit.refresh_from_db()
    assert world.unit.short_name == "宣传部"
    entry = AuditEntry.objects.filter(action="修改单位").latest("id")
    assert entry.changes == {"short_name": ["", "宣传部"]}


def test_it_refuses_renaming_onto_another_unit(world, login):
    response = login(world.city_admin).post(
        url(world.unit), {"name": "崇州市民政局", "kind": "party_organ"}
    )
    assert response.status_code == 409
    assert "同名单位“崇州市民政局”已存在" in response.content.decode()
    world.unit.refresh_from_db()
    assert world.unit.name == "中共崇州市委宣传部"


def test_it_answers_404_to_non_admins(world, login):
    assert login(world.township_staff).get(url(world.unit)).status_code == 404
    assert login(world.cadre_user).get(url(world.unit)).status_code == 404

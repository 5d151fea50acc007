from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.org.models import Unit

URL = reverse("org:unit_create")


def test_it_creates_a_unit_for_the_city_admin(world, login):
    response = login(world.city_admin).post(
        URL,
        {
            "name": "崇州市农业农村局",
            "short_name": "农业农村局",
            "kind": "city_department",
            "handles_demands": "on",
            "phone": "028-82212345",
        },
    )
    unit = Unit.objects.get(name="崇州市农业农村局")
    assert response.status_code == 302 and response.url == reverse(
        "org:unit_detail", args=[unit.pk]
    )
    assert unit.handles_demands and unit.township is None
    assert AuditEntry.objects.filter(action="新建单位", target_id=str(unit.pk)).exists()


def test_it_refuses_a_duplicate_name_in_chinese_and_saves_nothing(world, login):
    client = login(world.city_admin)
    before = Unit.objects.count(), AuditEntry.objects.count()
    response = client.post(URL, {"name": "崇州市民政局", "kind": "city_department"})
    assert response.status_code == 409
    assert "同名单位“崇州市民政局”已存在" in response.content.decode()
    assert (Unit.objects.count(), AuditEntry.objects.count()) == before


def test_it_refuses_a_village_as_the_units_township(world, login):
    response = login(world.city_admin).post(
        URL, {"name": "某村单位", "kind": "other", "township": world.village.pk}
    )
    assert response.status_code == 400
    assert not Unit.objects.filter(name="某村单位").exists()


def test_it_answers_404_to_everyone_but_the_city_admin(world, login):
    for persona in (world.township_staff, world.cadre_user, world.leader_user, world.system_admin):
        assert login(persona).get(URL).status_code == 404
        assert login(persona).post(URL, {"name": "X", "kind": "other"}).status_code == 404
    assert not Unit.objects.filter(name="X").exists()

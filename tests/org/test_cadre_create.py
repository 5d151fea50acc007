from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.org.models import Cadre, CadreAssignment

URL = reverse("org:cadre_create")


def form(world, **kw):
    data = {
        "unit": world.other_unit.pk,
        "staff_no": "M0001",
        "name": "王民政",
        "post": "科员",
        "phone": "138 0000 0002",
        "joined_on": "2025-01-02",
    }
    data.update(kw)
    return data


def counts():
    return Cadre.objects.count(), CadreAssignment.objects.count(), AuditEntry.objects.count()


def test_it_registers_a_cadre_with_a_first_assignment(world, login):
    response = login(world.city_admin).post(URL, form(world))
    cadre = Cadre.objects.get(staff_no="M0001")
    assert response.status_code == 302
    assert cadre.phone_masked == "138****0002" and cadre.name_initials == "wmz"
    assignment = CadreAssignment.objects.get(cadre=cadre)
    assert assignment.unit == world.other_unit and str(assignment.valid_from) == "2025-01-02"


def test_it_refuses_a_duplicate_staff_no_and_saves_nothing(world, login):
    client = login(world.city_admin)
    before = counts()
    response = client.post(URL, form(world, staff_no="C0001"))
    assert response.status_code == 409
    assert "人员编号“C0001”已存在" in response.content.decode()
    assert counts() == before


def test_it_refuses_an_invalid_phone_and_saves_nothing(world, login):
    client = login(world.city_admin)
    before = counts()
    response = client.post(URL, form(world, phone="12345"))
    assert response.status_code == 400
    assert "手机号应为11位数字" in response.content.decode()
    assert counts() == before


def test_it_refuses_missing_fields_in_chinese(world, login):
    client = login(world.city_admin)
    before = counts()
    response = client.post(URL, form(world, name="", unit=""))
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    assert counts() == before


def test_it_answers_404_to_non_admins(world, login):
    for persona in (world.township_staff, world.cadre_user, world.info_group):
        assert login(persona).post(URL, form(world)).status_code == 404
    assert not Cadre.objects.filter(staff_no="M0001").exists()

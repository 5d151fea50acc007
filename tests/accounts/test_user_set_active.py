from django.urls import reverse

from lianxin.audit.models import AuditEntry
from tests.factories import PASSWORD


def url(user):
    return reverse("accounts:user_set_active", args=[user.pk])


def test_it_disables_and_enables_an_account(world, login, client):
    admin = login(world.system_admin)
    response = admin.post(url(world.village_staff), {"active": "0", "reason": "调离"})
    assert response.status_code == 302
    world.village_staff.refresh_from_db()
    assert not world.village_staff.is_active
    assert AuditEntry.objects.get(action="停用账号").reason == "调离"
    # A second click with the same intent changes nothing.
    admin.post(url(world.village_staff), {"active": "0"})
    assert AuditEntry.objects.filter(action="停用账号").count() == 1
    admin.post(url(world.village_staff), {"active": "1"})
    world.village_staff.refresh_from_db()
    assert world.village_staff.is_active


def test_a_disabled_account_cannot_log_in(world, login, client):
    login(world.system_admin).post(url(world.village_staff), {"active": "0"})
    client.logout()
    response = client.post(reverse("accounts:login"), {"username": "daping", "password": PASSWORD})
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()


def test_it_refuses_disabling_ones_own_account(world, login):
    response = login(world.system_admin).post(url(world.system_admin), {"active": "0"})
    assert response.status_code == 400
    assert "不能停用自己正在使用的账号" in response.content.decode()
    world.system_admin.refresh_from_db()
    assert world.system_admin.is_active


def test_it_answers_404_to_everyone_but_the_system_admin(world, login):
    for persona in (world.security_admin, world.township_staff, world.city_admin):
        assert login(persona).post(url(world.village_staff), {"active": "0"}).status_code == 404
    world.village_staff.refresh_from_db()
    assert world.village_staff.is_active

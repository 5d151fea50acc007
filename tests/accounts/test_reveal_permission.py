from django.urls import reverse

from lianxin.audit.models import AuditEntry


def url(user):
    return reverse("accounts:user_reveal_permission", args=[user.pk])


def test_it_grants_and_withdraws_with_a_reason(world, login):
    client = login(world.security_admin)
    response = client.post(url(world.village_staff), {"allowed": "1", "reason": "困难群众核查"})
    assert response.status_code == 302
    world.village_staff.refresh_from_db()
    assert world.village_staff.can_reveal
    entry = AuditEntry.objects.get(action="授予查看权限")
    assert entry.reason == "困难群众核查" and entry.actor == world.security_admin
    client.post(url(world.village_staff), {"allowed": "0", "reason": "核查结束"})
    world.village_staff.refresh_from_db()
    assert not world.village_staff.can_reveal


def test_it_requires_a_reason(world, login):
    response = login(world.security_admin).post(url(world.village_staff), {"allowed": "1"})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    world.village_staff.refresh_from_db()
    assert not world.village_staff.can_reveal


def test_it_refuses_the_permission_to_an_admin_account(world, login):
    response = login(world.security_admin).post(
        url(world.audit_admin), {"allowed": "1", "reason": "测试一下"}
    )
    assert response.status_code == 400
    assert "管理员账号不能查看居民完整信息" in response.content.decode()
    world.audit_admin.refresh_from_db()
    assert not world.audit_admin.can_reveal


def test_it_answers_404_to_everyone_but_the_security_admin(world, login):
    for persona in (world.system_admin, world.township_staff, world.audit_admin):
        response = login(persona).post(url(world.village_staff), {"allowed": "1", "reason": "测试"})
        assert response.status_code == 404
    world.village_staff.refresh_from_db()
    assert not world.village_staff.can_reveal

from django.urls import reverse

from lianxin.audit.models import AuditEntry
from tests.factories import PASSWORD

URL = reverse("accounts:password_change")
NEW = "Jiezi-Gucheng-2025"


def test_it_changes_the_password_and_keeps_the_session(world, login):
    client = login(world.village_staff)
    response = client.post(
        URL, {"old_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    )
    assert response.status_code == 302
    world.village_staff.refresh_from_db()
    assert world.village_staff.check_password(NEW)
    assert client.get(reverse("core:home")).status_code == 200
    entry = AuditEntry.objects.get(action="修改密码")
    assert NEW not in str(entry.changes)


def test_it_is_open_to_every_role(world, login):
    for persona in (world.cadre_user, world.audit_admin, world.system_admin, world.leader_user):
        assert login(persona).get(URL).status_code == 200


def test_it_refuses_a_wrong_old_password_or_a_weak_new_one(world, login):
    client = login(world.cadre_user)
    response = client.post(
        URL, {"old_password": "wrong", "new_password": NEW, "new_password_again": NEW}
    )
    assert response.status_code == 400 and "原密码不正确" in response.content.decode()
    response = client.post(
        URL, {"old_password": PASSWORD, "new_password": "1234", "new_password_again": "1234"}
    )
    assert response.status_code == 400 and "密码不符合要求" in response.content.decode()
    world.cadre_user.refresh_from_db()
    assert world.cadre_user.check_password(PASSWORD)


def test_it_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url

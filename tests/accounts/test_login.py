from django.urls import reverse

from lianxin.audit.models import AuditEntry
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def test_it_logs_in_and_out_and_audits_both(world, client):
    response = client.post(LOGIN, {"username": "wenjing", "password": PASSWORD})
    assert response.status_code == 302
    login_row = AuditEntry.objects.get(action="登录")
    assert login_row.actor == world.township_staff and login_row.source == "127.0.0.1"
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="退出登录").actor == world.township_staff


def test_it_locks_the_account_after_five_wrong_passwords(world, client):
    for _ in range(4):
        response = client.post(LOGIN, {"username": "wenjing", "password": "wrong"})
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    response = client.post(LOGIN, {"username": "wenjing", "password": "wrong"})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    # Even the right password is refused while locked, and nobody is logged in.
    response = client.post(LOGIN, {"username": "wenjing", "password": PASSWORD})
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="登录").exists()


def test_it_does_not_lock_another_account(world, client):
    for _ in range(5):
        client.post(LOGIN, {"username": "wenjing", "password": "wrong"})
    response = client.post(LOGIN, {"username": "daping", "password": PASSWORD})
    assert response.status_code == 302

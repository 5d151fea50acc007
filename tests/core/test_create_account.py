import pytest
from django.core.management import CommandError, call_command

from lianxin.accounts.models import User
from lianxin.audit.models import AuditEntry


def test_it_creates_the_first_system_administrator(world, monkeypatch):
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", "a-long-pass-8h2k")
    call_command("create_account", county="510184", username="root2", role="system_admin")
    user = User.objects.get(username="root2")
    assert user.role == "system_admin" and user.check_password("a-long-pass-8h2k")
    assert AuditEntry.objects.filter(action="新建账号", target_id=str(user.pk)).exists()


def test_it_refuses_township_staff_without_a_region(world, monkeypatch):
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", "a-long-pass-8h2k")
    with pytest.raises(CommandError, match="必须指定负责区域"):
        call_command("create_account", county="510184", username="x", role="township_staff")
    assert not User.objects.filter(username="x").exists()

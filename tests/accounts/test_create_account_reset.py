"""`lianxin create-account --reset-password`: an administrator's forgotten password is reset at the
server by its owner, never by another administrator in the application."""

import pytest
from django.core.management import CommandError, call_command

from lianxin.audit.models import AuditEntry


def test_it_resets_an_administrators_password_at_the_console(world, monkeypatch):
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", "Anquan-Guanli-42")
    call_command(
        "create_account",
        county="510184",
        username="secadmin",
        role="security_admin",
        reset_password=True,
    )
    world.security_admin.refresh_from_db()
    assert world.security_admin.check_password("Anquan-Guanli-42")
    assert not world.security_admin.must_change_password  # its owner typed it
    assert AuditEntry.objects.filter(action="重置密码", actor__isnull=True).exists()


def test_it_applies_the_password_rules_at_the_console(world, monkeypatch):
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", "secadmin2026")
    with pytest.raises(CommandError, match="用户名"):
        call_command(
            "create_account",
            county="510184",
            username="secadmin",
            role="security_admin",
            reset_password=True,
        )

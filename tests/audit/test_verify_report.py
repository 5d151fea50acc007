"""audit-verify's result reaches the audit administrator: a chained row and the log page."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import VERIFY_ACTION
from tests.audit.test_tamper import TABLE, sql, trigger_off


def verify_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_it_shows_the_last_result_on_the_log_page(world, login):
    client = login(world.audit_admin)
    assert "审计链尚未校验过" in client.get(reverse("audit:entry_list")).content.decode()
    verify_cli()
    entry = AuditEntry.objects.filter(action=VERIFY_ACTION).get()
    assert entry.actor_label == "系统" and entry.county_id == world.county.pk
    page = client.get(reverse("audit:entry_list")).content.decode()
    assert "完整，未发现改动、缺失或顺序错乱" in page

    target = AuditEntry.objects.filter(county=world.county).order_by("seq")[2]
    with trigger_off():
        sql(f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s", ["别人", target.pk])
    with pytest.raises(CommandError):
        verify_cli()
    page = client.get(reverse("audit:entry_list")).content.decode()
    assert f"审计链断裂（内容被改动）于记录 #{target.pk}（第{target.seq}号" in page
    # The report is chained like any other row: the chain still breaks at the changed row only.
    with pytest.raises(CommandError):
        out = io.StringIO()
        call_command("audit_verify", "--no-progress", "--no-record", stdout=out)
    assert f"于记录 #{target.pk}" in out.getvalue()
    assert AuditEntry.objects.filter(action=VERIFY_ACTION).count() == 2


def test_it_verifies_one_county_when_asked(world):
    assert "县 510184：" in verify_cli("--county", "510184", "--no-record")
    assert not AuditEntry.objects.filter(action=VERIFY_ACTION).exists()
    with pytest.raises(CommandError, match="没有区划代码为 999999 的县"):
        verify_cli("--county", "999999")

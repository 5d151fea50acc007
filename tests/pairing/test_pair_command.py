"""`lianxin pair --county CODE [--dry-run]`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from lianxin.audit.models import AuditEntry
from lianxin.lib.numbers import percent_text
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import Pairing, PairingRun
from tests.pairing.runs_support import build_county


def run(*args, **opts):
    out, err = io.StringIO(), io.StringIO()
    call_command("pair", *args, stdout=out, stderr=err, **opts)
    return out.getvalue(), err.getvalue()


def test_it_prints_a_preview_and_writes_nothing_on_a_dry_run(world):
    build_county(world, households=24, cadres=6)
    out, err = run(county="510184", dry_run=True, time_limit=0.5)
    # Rates as every page writes them (lib.numbers, rounded down): 26/27 is 96.2%, not 96.3%.
    assert f"户覆盖：  计算前 0/27（0.0%） → 计算后 26/27（{percent_text(26, 27)}）" in out
    assert percent_text(26, 27) == "96.2%"
    assert "新结对 26，结束 0" in out
    assert "测试单位1" in out
    assert "缺口：" in out and "三龙村" in out
    assert "未写入任何结对" in out
    assert "分区" in err  # the progress bar, on stderr
    assert not Pairing.objects.exists()
    assert PairingRun.objects.get().status == RunStatus.PREVIEWED


def test_it_applies_without_dry_run_and_then_changes_nothing(world):
    build_county(world, households=24, cadres=6)
    out, _ = run(county="510184", time_limit=0.5)
    assert "已执行自动结对" in out and "新结对 26 户" in out
    assert Pairing.objects.count() == 26
    entry = AuditEntry.objects.get(action="执行自动结对")
    assert entry.actor is None and entry.source.startswith("cli@")

    out, _ = run(county="510184", time_limit=0.5)
    assert "没有需要变动的结对" in out
    assert Pairing.objects.count() == 26
    assert AuditEntry.objects.filter(action="执行自动结对").count() == 1


def test_it_solves_with_several_workers_alike(world):
    build_county(world, households=24, cadres=6)
    run(county="510184", dry_run=True, time_limit=0.5, workers=1)
    run(county="510184", dry_run=True, time_limit=0.5, workers=2)
    one, two = PairingRun.objects.order_by("id")
    assert set(one.changes.values_list("household_id", "cadre_id")) == set(
        two.changes.values_list("household_id", "cadre_id")
    )


def test_it_names_an_unknown_county(db):
    with pytest.raises(CommandError, match="找不到县级区划代码"):
        run(county="999999", dry_run=True)

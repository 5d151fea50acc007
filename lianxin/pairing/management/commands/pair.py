"""`lianxin pair --county CODE [--dry-run]`: automatic pairing from the command line.

Computes a preview exactly as the page does (a PairingRun with its changes), prints the
summary, and without --dry-run applies it in one audited transaction (acting user: the
system). Safe for cron: a dry run writes no pairing, and a run with nothing changed since
the last one changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lianxin.core.errors import Refused
from lianxin.geo.models import County
from lianxin.jobs import runner
from lianxin.lib.numbers import count_text, percent_text
from lianxin.pairing import engine
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import PairingRun
from lianxin.pairing.services import do_apply_pairing_run, do_start_pairing_run


def _pct(part: int, whole: int) -> str:
    """ "4,334/4,621（93.7%）": counts and the rate as every page writes them (lib.numbers)."""
    return f"{count_text(part)}/{count_text(whole)}（{percent_text(part, whole)}）"


class Command(BaseCommand):
    help = (
        "按结对规则自动结对：先计算预览并打印摘要；不加 --dry-run 则随即执行（一次事务，记入审计）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="县级区划代码，如 510184")
        parser.add_argument("--dry-run", action="store_true", help="只计算预览，不写入结对")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=engine.DEFAULT_TIME_LIMIT,
            help=(
                "整次计算用于减少拆分组的求解量（确定性秒数，0 为只用最小费用流，"
                f"默认 {engine.DEFAULT_TIME_LIMIT}）"
            ),
        )
        parser.add_argument("--workers", type=int, default=1, help="并行求解的进程数（默认 1）")
        parser.add_argument(
            "--budget",
            type=int,
            default=None,
            help="本次计算的时限（秒，墙钟时间；默认按结对规则，不超过规则规定的上限）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        county = County.objects.filter(code=opts["county"]).first()
        if county is None:
            raise CommandError(f"找不到县级区划代码“{opts['county']}”")
        try:
            run = do_start_pairing_run(
                county=county,
                acting_user=None,
                time_limit=opts["time_limit"],
                workers=opts["workers"],
                budget=opts["budget"],
                note="命令行" + ("预览" if opts["dry_run"] else "自动结对"),
                start=False,
            )
        except Refused as exc:
            raise CommandError(exc.message) from None
        with tqdm(total=None, unit="分区", desc="求解", file=self.stderr, leave=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            # In the foreground, as the run's job: a killed command leaves a job the worker's
            # sweep fails, never a run that blocks the next one.
            runner.execute(run.job_id or 0, on_progress=progress, foreground=True)
        run.refresh_from_db()
        if run.status != RunStatus.PREVIEWED:
            raise CommandError(run.error or f"自动结对 #{run.pk} {run.get_status_display()}")
        self._print_summary(run)
        if opts["dry_run"]:
            self.stdout.write(f"预览 #{run.pk} 已保存，未写入任何结对（--dry-run）。")
            return
        counts = run.summary["counts"]
        try:
            do_apply_pairing_run(run, acting_user=None)
        except Refused as exc:
            raise CommandError(exc.message) from None
        if not counts["new"] and not counts["ended"]:
            self.stdout.write("没有需要变动的结对，未写入任何结对。")
            return
        self.stdout.write(
            f"已执行自动结对 #{run.pk}：新结对 {count_text(counts['new'])} 户，"
            f"结束结对 {count_text(counts['ended'])} 户。"
        )

    def _print_summary(self, run: PairingRun) -> None:
        s = run.summary
        before, after = s["coverage"]["before"], s["coverage"]["after"]
        counts = s["counts"]
        w = self.stdout.write
        w(
            f"自动结对 #{run.pk}（{s['status']}，求解 {s['solver_seconds']} 秒，共 {s['wall_seconds']} 秒）"
        )
        w(
            "户覆盖：  计算前 "
            + _pct(before["households_covered"], before["households_must"])
            + " → 计算后 "
            + _pct(after["households_covered"], after["households_must"])
        )
        w(
            "干部覆盖：计算前 "
            + _pct(before["cadres_paired"], before["cadres_eligible"])
            + " → 计算后 "
            + _pct(after["cadres_paired"], after["cadres_eligible"])
        )
        c = {k: count_text(counts[k]) for k in ("new", "ended", "kept", "uncovered")}
        w(f"新结对 {c['new']}，结束 {c['ended']}，保持 {c['kept']}，仍未覆盖 {c['uncovered']}")
        rows = [u for u in s["units"] if u["cadres"] or u["new"] or u["ended"]]
        if rows:
            w("单位\t干部\t户\t最少\t最多\t差\t拆组\t空闲\t新\t结束\t状态")
            for u in rows:
                w(
                    f"{u['name']}\t{u['cadres']}\t{u['households']}\t{u['load_min']}\t"
                    f"{u['load_max']}\t{u['load_spread']}\t{u['groups_split']}\t{u['idle']}\t"
                    f"{u['new']}\t{u['ended']}\t{u['status']}"
                )
        for short in s["shortfalls"]:
            w(f"缺口：{short['message_zh']}")
        budget = s.get("budget", {})
        unproven = s.get("unproven", [])
        w(
            f"计算时限 {budget.get('seconds')} 秒{'（已用完）' if budget.get('exhausted') else ''}；"
            f"覆盖{'已' if s.get('coverage_proved', True) else '未'}证明最优；"
            f"未能证明最优的分区 {len(unproven)} 个"
        )
        for row in unproven:
            w(
                f"未证明：{'、'.join(row['units'])}（{row['households']} 户）"
                f"{'、'.join(row['tiers_zh'])} — {row['reason']}"
            )

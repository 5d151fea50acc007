"""lianxin rates-rollup: rebuild the rates' roll-up of every county (or one) from the records,
with a progress bar; with --check recount it and report the rows that differ; with --keep-up do
what the hourly task does."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lianxin.geo.models import County
from lianxin.visits import rollup
from lianxin.visits.models import RollupState


class Command(BaseCommand):
    help = "走访统计汇总：按记录重建（或用 --check 核对）各县的见面率、对话率等汇总数据"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", help="只处理这个县（区划代码）")
        parser.add_argument(
            "--check", action="store_true", help="只核对，不重建：列出与记录不符的行数"
        )
        parser.add_argument(
            "--keep-up",
            action="store_true",
            help="只补上缺的：尚未建立、已过期或缺今天数据的县（即每小时的定时任务）",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, county=None, check=False, keep_up=False, no_progress=False, **options):
        if keep_up:
            counts = rollup.keep_up()
            self.stdout.write(f"补上今天 {counts['days']} 个县，重建 {counts['rebuilt']} 个县")
            return
        counties = County.objects.order_by("code")
        if county:
            counties = counties.filter(code=county)
            if not counties.exists():
                raise CommandError(f"没有区划代码为 {county} 的县")
        wrong = 0
        for c in counties:
            if check:
                try:
                    found = rollup.drift(c.pk)
                except RollupState.DoesNotExist:
                    self.stdout.write(f"{c.name}：尚未建立汇总")
                    continue
                wrong += sum(found.values())
                parts = "，".join(f"{name} {n}" for name, n in found.items())
                self.stdout.write(f"{c.name}：与记录不符的行 {parts}")
                continue
            with tqdm(
                total=1, desc=f"{c.name} 走访统计汇总", unit="步", disable=no_progress
            ) as bar:

                def progress(done: int, total: int) -> None:
                    bar.total, bar.n = total, done
                    bar.refresh()

                state = rollup.rebuild(c.pk, progress=progress)
            self.stdout.write(
                f"{c.name}：已重建（{state.first_year}–{state.last_year} 年，"
                f"{'可用' if state.fresh else '重建期间又有变更，稍后再建'}）"
            )
        if wrong:
            raise CommandError(f"汇总与记录不符：共 {wrong} 行；运行 lianxin rates-rollup 重建")

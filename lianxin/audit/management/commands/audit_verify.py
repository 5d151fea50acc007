"""lianxin audit-verify: walk every county's audit chain and report its first broken link."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lianxin.audit.services import do_record_verification
from lianxin.audit.verify import verify
from lianxin.geo.models import County


class Command(BaseCommand):
    help = "校验审计记录的哈希链：逐县检查，报告第一处断裂（内容被改动、记录缺失、顺序被打乱）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", help="只校验这个县（区划代码）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="不把校验结果写入审计日志（默认写入，审计管理员在审计日志页面可见）",
        )

    def handle(
        self,
        *args,
        county: str | None = None,
        no_progress: bool = False,
        no_record: bool = False,
        **options,
    ):
        record_result = not no_record
        counties = dict(County.objects.values_list("pk", "code"))
        ids = None
        if county:
            found = [pk for pk, code in counties.items() if code == county]
            if not found:
                raise CommandError(f"没有区划代码为 {county} 的县")
            ids = found
        bars: list[tqdm] = []

        def progress_for(county_id: int, total: int):
            if no_progress:
                return None
            bar = tqdm(
                total=total,
                unit="条",
                desc=counties.get(county_id, str(county_id)),
                file=sys.stderr,
                dynamic_ncols=True,
            )
            bars.append(bar)
            return bar.update

        results = verify(ids, progress_for)
        for bar in bars:
            bar.close()
        broken = 0
        for result in results:
            code = counties.get(result.county_id, f"#{result.county_id}")
            if record_result:
                do_record_verification(result, acting_user=None)
            if result.broken is None:
                self.stdout.write(
                    f"县 {code}：{result.rows} 条记录，审计链完整（链尾哈希 {result.last_hash}）"
                )
                continue
            broken += 1
            self.stdout.write(f"县 {code}：{result.broken}")
        if not results:
            self.stdout.write("没有审计记录")
        if broken:
            raise CommandError(f"{broken} 个县的审计链有断裂，见上文", returncode=2)

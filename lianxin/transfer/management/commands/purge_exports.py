"""`lianxin purge-exports`: delete transfer files past their lifetime (run it every few minutes)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from lianxin.transfer.retention import do_purge_exports


class Command(BaseCommand):
    help = (
        "删除超过保留时间的导入导出文件：完整信息导出和导入原文件保留 "
        "LIANXIN_EXPORT_TTL_MINUTES 分钟，脱敏导出和错误报告保留 LIANXIN_TRANSFER_KEEP_DAYS 天；"
        "可重复运行"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="脱敏导出和错误报告的保留天数（默认取设置）"
        )

    def handle(self, *args, **opts):
        days = settings.LIANXIN_TRANSFER_KEEP_DAYS if opts["days"] is None else opts["days"]
        removed = do_purge_exports(keep_days=days)
        self.stdout.write(
            f"已删除 {removed} 个文件（完整信息 {settings.LIANXIN_EXPORT_TTL_MINUTES} 分钟，"
            f"其余 {days} 天）"
        )

"""`lianxin purge-transfer-files [--days 7]`: delete old export files and error reports."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from lianxin.transfer.models import Job


class Command(BaseCommand):
    help = "删除完成超过指定天数的导出文件和错误报告（导出文件含居民信息，不宜久存）；可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="保留天数，默认 7")

    def handle(self, *args, **opts):
        cutoff = timezone.now() - dt.timedelta(days=opts["days"])
        removed = 0
        old = Job.objects.filter(finished_at__lt=cutoff).exclude(result="", report="")
        for job in old.iterator(chunk_size=500):
            for name in ("result", "report"):
                field = getattr(job, name)
                if field:
                    field.delete(save=False)
                    removed += 1
            Job.objects.filter(pk=job.pk).update(result="", report="")
        self.stdout.write(f"已删除 {removed} 个文件（完成于 {cutoff:%Y-%m-%d %H:%M} 之前的任务）")

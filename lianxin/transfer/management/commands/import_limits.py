"""`lianxin import-limits --county CODE [--rows N ...]`: show or change a county's import limits."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lianxin.core.errors import Refused
from lianxin.core.tabular import figure
from lianxin.geo.models import County
from lianxin.transfer.models import ImportLimits
from lianxin.transfer.services import do_set_import_limits


class Command(BaseCommand):
    help = (
        "查看或修改一个县的导入限制（每个文件的大小、行数、每格字符数、解压后大小、错误报告行数）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="县级区划代码，如 510184")
        for name, (label, smallest) in ImportLimits.FIELDS.items():
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=int,
                dest=name,
                help=f"{label}（至少 {smallest}）",
            )
        parser.add_argument("--reason", default="", help="修改事由，写入审计日志")

    def handle(self, *args, **opts):
        county = County.objects.filter(code=opts["county"]).first()
        if county is None:
            raise CommandError(f"找不到县级区划代码“{opts['county']}”")
        values = {name: opts[name] for name in ImportLimits.FIELDS if opts.get(name) is not None}
        if values:
            try:
                do_set_import_limits(
                    county=county, acting_user=None, reason=opts["reason"], **values
                )
            except Refused as exc:
                raise CommandError(exc.message) from None
        limits = ImportLimits.for_county(county.pk)
        for name, (label, _) in ImportLimits.FIELDS.items():
            self.stdout.write(f"{label}：{figure(getattr(limits, name))}")

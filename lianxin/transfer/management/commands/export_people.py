"""`lianxin export-people OUT.xlsx --county CODE`: export in the import layout."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lianxin.core.errors import Refused
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.people.choices import HardshipKind
from lianxin.transfer.choices import DataKind
from lianxin.transfer.exporters import ExportFilters, export_people

from ._progress import bar


class Command(BaseCommand):
    help = "按导入格式导出户和居民（或企业）；默认脱敏，--full 导出完整身份证号和电话并记入审计"

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出文件，.xlsx 或 .csv")
        parser.add_argument("--county", required=True, help="县级区划代码，如 510184")
        parser.add_argument("--kind", choices=DataKind.values, default=DataKind.RESIDENTS)
        parser.add_argument("--township", default="", help="只导出该乡镇（街道），填名称")
        parser.add_argument("--village", default="", help="只导出该村（社区），填名称")
        parser.add_argument(
            "--hardship", choices=HardshipKind.values, default="", help="只导出有该困难类型的户"
        )
        parser.add_argument("--full", action="store_true", help="导出完整身份证号和电话")
        parser.add_argument("--reason", default="命令行导出", help="导出完整信息的事由（记入审计）")

    def _region(self, county: County, name: str, level: Level, parent: Region | None = None):
        if not name:
            return None
        qs = Region.objects.filter(county=county, level=level).current()
        if parent is not None:
            qs = qs.filter(parent=parent)
        for region in qs:
            if name in (region.name, region.short_name):
                return region
        raise CommandError(f"找不到{level.label}“{name}”")

    def handle(self, *args, **opts):
        out = Path(opts["out"])
        county = County.objects.filter(code=opts["county"]).first()
        if county is None:
            raise CommandError(f"找不到县级区划代码“{opts['county']}”")
        township = self._region(county, opts["township"], Level.TOWNSHIP)
        village = self._region(county, opts["village"], Level.VILLAGE, township)
        filters = ExportFilters(township=township, village=village, hardship=opts["hardship"])
        try:
            with bar(None) as progress:
                rows = export_people(
                    str(out),
                    out.name,
                    county=county,
                    kind=opts["kind"],
                    user=None,
                    filters=filters,
                    full=opts["full"],
                    reason=opts["reason"],
                    progress=progress.update,
                )
        except Refused as exc:
            raise CommandError(exc.message) from None
        masked = "完整身份证号和电话" if opts["full"] else "身份证号和电话已脱敏"
        self.stdout.write(f"已导出 {rows} 行到 {out}（{masked}）")

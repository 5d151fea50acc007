"""`lianxin import-regions FILE`: import the county's townships, villages (and groups)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lianxin.core.errors import Refused
from lianxin.core.tabular import count_data_rows, iter_rows
from lianxin.geo.importers import import_regions


def _regions_in(path: Path) -> int | None:
    """How many regions the importer will step through: one per row of the statistics format,
    two (township and village) per row of the names format."""
    try:
        # Two opens: the CSV reader's text wrapper closes its stream when it is dropped.
        with path.open("rb") as stream:
            header = next(iter_rows(stream, path.name), (0, []))[1]
        with path.open("rb") as stream:
            rows = count_data_rows(stream, path.name)
    except Refused:
        return None
    if rows is None:
        return None
    return rows * 2 if [h.strip().lower() for h in header[:1]] == ["township"] else rows


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD，现为“{text}”") from None


class Command(BaseCommand):
    help = (
        "导入行政区划：统计局格式 code,name,level,parent_code 或名称格式 township,village；"
        "重复导入同一文件不会产生变化"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=".csv 或 .xlsx 文件")
        parser.add_argument("--county", default="", help="县级区划代码（名称格式的文件必填）")
        parser.add_argument("--county-name", default="", help="县级名称，如 崇州市")
        parser.add_argument(
            "--valid-from", default="", help="新区划的起始日期 YYYY-MM-DD，默认今天"
        )
        parser.add_argument(
            "--end-missing",
            action="store_true",
            help="文件中没有的现有乡镇、村（社区）自该日期起撤销（有户或企业的保留并列出）",
        )

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        valid_from = _date(opts["valid_from"]) if opts["valid_from"] else None
        total = _regions_in(path)
        with tqdm(total=total, unit="个", file=sys.stderr, dynamic_ncols=True) as progress:
            try:
                report = import_regions(
                    path,
                    county_code=opts["county"],
                    county_name=opts["county_name"],
                    valid_from=valid_from,
                    end_missing=opts["end_missing"],
                    acting_user=None,
                    progress=progress,
                )
            except Refused as exc:
                raise CommandError(exc.message) from None
        if report.county is not None:
            self.stdout.write(f"{report.county.name}（{report.county.code}）")
        self.stdout.write(report.summary())
        for line in report.kept:
            self.stdout.write(f"保留：{line}")
        for line in report.errors:
            self.stdout.write(f"错误：{line}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} 处错误，未保存任何区划", returncode=1)

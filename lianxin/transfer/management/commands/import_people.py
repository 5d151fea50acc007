"""`lianxin import-people FILE --county CODE`: import households/residents or enterprises."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lianxin.core.errors import Refused
from lianxin.core.tabular import count_data_rows, figure, iter_rows
from lianxin.geo.models import County
from lianxin.transfer.choices import DataKind, ImportMode
from lianxin.transfer.import_result import ERRORS_SHOWN
from lianxin.transfer.importers import WRITE_BATCH_SIZE, ImportStopped, import_people
from lianxin.transfer.models import ImportLimits
from lianxin.transfer.services import check_row_count, check_upload_size

from ._progress import bar


class Command(BaseCommand):
    help = "批量导入户和居民（或企业），格式见 docs/import-layout.md"

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--county", required=True, help="县级区划代码，如 510184")
        parser.add_argument("--kind", choices=DataKind.values, default=DataKind.RESIDENTS)
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            default=ImportMode.ALL,
            help="all：全部正确才保存（默认）；good：只保存正确的行",
        )
        parser.add_argument("--report", help="把错误行写入此 .csv 文件")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        county = County.objects.filter(code=opts["county"]).first()
        if county is None:
            raise CommandError(
                f"找不到县级区划代码“{opts['county']}”，请先用 import-regions 导入区划"
            )
        # The county's limits apply here too; `lianxin import-limits` raises them for a
        # whole-county file.
        limits = ImportLimits.for_county(county.pk)
        try:
            check_upload_size(path.stat().st_size, limits)
            with path.open("rb") as stream:
                total = count_data_rows(stream, path.name, limits.read_limits())
                check_row_count(total, limits)
                # Two passes over the file: the checks, then the writes.
                with bar(2 * total if total is not None else None) as progress:

                    def show(done: int, _total: int | None) -> None:
                        progress.update(done - progress.n)

                    result = import_people(
                        iter_rows(stream, path.name, limits.read_limits()),
                        county=county,
                        kind=opts["kind"],
                        mode=opts["mode"],
                        acting_user=None,
                        progress=show,
                        file_name=path.name,
                        errors_kept=limits.errors_kept,
                        errors_shown=ERRORS_SHOWN,
                        report=opts["report"],
                        rows_total=total,
                        write_batch_size=WRITE_BATCH_SIZE,
                    )
        except ImportStopped as exc:
            self._errors(exc.result, opts)
            raise CommandError(exc.message) from None
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(result.summary())
        if result.ignored_columns:
            self.stdout.write("未识别的列已忽略：" + "、".join(result.ignored_columns))
        self._errors(result, opts)
        if result.bad_rows and opts["mode"] == ImportMode.ALL:
            raise CommandError(f"{result.bad_rows} 行有错误，未保存任何数据", returncode=1)

    def _errors(self, result, opts) -> None:
        for error in result.errors:
            self.stdout.write(f"第{error.row}行 {error.column}：{error.reason}")
        if result.error_total > len(result.errors):
            more = figure(result.error_total - len(result.errors))
            where = "见错误报告" if opts["report"] else "用 --report 写入错误报告可看到全部"
            self.stdout.write(f"另有 {more} 条错误未在此列出（{where}）")
        if opts["report"] and result.bad_rows:
            # Written while the import ran (lianxin.transfer.import_report).
            self.stdout.write(f"错误报告已写入 {opts['report']}")

"""lianxin rehash-lookups: make every lookup hash again with LIANXIN_LOOKUP_KEY."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lianxin.audit.key_rotation import BATCH, do_rehash_lookups, sealed_rows
from lianxin.lib.errors import InvalidValue


class Command(BaseCommand):
    help = (
        "更换 LIANXIN_LOOKUP_KEY 后，用新密钥重算全部身份证号和电话的查找散列（须先停止服务；"
        "中断后再次运行即可继续）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help=f"每批行数（默认 {BATCH}）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, batch: int, no_progress: bool = False, **options):
        bar = tqdm(
            total=sealed_rows(), unit="行", file=sys.stderr, disable=no_progress, desc="重算散列"
        )
        try:
            changed = do_rehash_lookups(batch=batch, progress=bar.update)
        except InvalidValue as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"已重算 {sum(changed.values())} 行的查找散列；查找散列密钥校验值已更新。"
        )

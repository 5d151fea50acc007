"""lianxin rotate-field-key: seal every ID number and phone again under LIANXIN_FIELD_KEY."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lianxin.audit.key_rotation import BATCH, do_rotate_field_key, sealed_rows
from lianxin.lib.errors import InvalidValue


class Command(BaseCommand):
    help = (
        "用当前的 LIANXIN_FIELD_KEY 重新加密全部身份证号和电话（分批进行，中断后再次运行即从中断处继续；"
        "旧密钥须在 LIANXIN_FIELD_KEYS_OLD 中，完成后方可去掉）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help=f"每批行数（默认 {BATCH}）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, batch: int, no_progress: bool = False, **options):
        bar = tqdm(
            total=sealed_rows(), unit="行", file=sys.stderr, disable=no_progress, desc="重新加密"
        )
        try:
            changed = do_rotate_field_key(batch=batch, progress=bar.update)
        except InvalidValue as exc:
            raise CommandError(f"{exc}：重新加密已停在此处，补上旧密钥后再次运行即可继续") from None
        finally:
            bar.close()
        self.stdout.write(f"已重新加密 {sum(changed.values())} 行；字段加密密钥校验值已更新。")

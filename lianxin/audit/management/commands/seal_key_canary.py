"""lianxin seal-key-canary: write the keys' canaries (lianxin.core.keys)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianxin.core import keys


class Command(BaseCommand):
    help = (
        "写入密钥校验值：缺少的校验值在已有数据与密钥相符时写入；--force 按当前密钥重写全部"
        "（只在确认密钥无误时使用）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="按当前密钥重写全部校验值")

    def handle(self, *args, force: bool = False, **options):
        written = keys.write_canaries() if force else keys.ensure_canaries()
        if written:
            self.stdout.write("已写入校验值：" + "、".join(written))
        problems = keys.canary_problems()
        for problem in problems:
            self.stderr.write(("错误：" if problem.fatal else "提示：") + str(problem))
        if any(p.fatal for p in problems):
            raise CommandError("密钥与数据库不符")
        if not written:
            self.stdout.write("校验值齐全，与当前密钥相符。")

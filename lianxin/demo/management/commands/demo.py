"""`lianxin demo [--scale S] [--seed N] [--force]`: build seed-era Chongzhou (崇州市, 510184)
for trying Lianxin out, and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lianxin.core.errors import Refused
from lianxin.demo import builder
from lianxin.demo.catalogue import COUNTY_NAME


class Command(BaseCommand):
    help = (
        "生成演示数据：2014年的崇州市（25个乡镇、253个村（社区）、115家单位、干部职工、"
        "户和居民、企业）和演示账号。已生成过时只打印账号；--force 按相同参数补齐。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=0.02,
            help="规模（默认 0.02，约1.3万居民）：1 为原文数字（67万居民、6100名干部）",
        )
        parser.add_argument(
            "--seed", type=int, default=2014, help="随机种子（相同种子生成相同数据）"
        )
        parser.add_argument(
            "--force", action="store_true", help="已生成过也再运行一遍，补齐缺少的数据"
        )
        parser.add_argument(
            "--no-pairing", action="store_true", help="不做自动结对（基准测试从未结对的县开始）"
        )

    def handle(self, *args, **opts):
        # tqdm draws with carriage returns: give it the raw stream, not Django's line wrapper.
        stream = getattr(self.stderr, "_out", self.stderr)
        try:
            result = builder.build(
                scale=opts["scale"],
                seed=opts["seed"],
                force=opts["force"],
                pair=not opts["no_pairing"],
                progress=stream,
                show_progress=opts["verbosity"] > 0,
            )
        except Refused as exc:
            raise CommandError(exc.message) from None
        if result.built:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{COUNTY_NAME}演示数据已生成（--scale {result.scale:g} --seed {result.seed}），"
                    f"用时 {result.elapsed:.1f} 秒"
                )
            )
        else:
            self.stdout.write(
                f"{COUNTY_NAME}演示数据已存在（--scale {result.scale:g} --seed {result.seed}），"
                "未重新生成；加 --force 可补齐"
            )
        self._summary(result)
        if result.bad_rows:
            self.stderr.write(f"有 {len(result.bad_rows)} 行未能导入，前10行：")
            for line in result.bad_rows[:10]:
                self.stderr.write("  " + line)
        self._logins()

    def _summary(self, result: builder.BuildResult) -> None:
        width = max(len(label) for label in builder.COUNT_LABELS.values())
        for key, label in builder.COUNT_LABELS.items():
            if key in result.counts:
                self.stdout.write(f"  {label:\u3000<{width}} {result.counts[key]:>9,}")

    def _logins(self) -> None:
        rows = builder.logins()
        if not rows:
            return
        header = ("用户名", "角色", "范围", "密码")
        self.stdout.write("")
        self.stdout.write("演示账号：")
        table = [header, *rows]
        widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
        for row in table:
            self.stdout.write(
                "  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
            )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))

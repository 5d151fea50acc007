"""Create an account from the command line — how the first system administrator comes to be —
and, at the server only, set an administrator's password (a new one's first, or a forgotten one)
or disable and re-enable an administrator account (三员分立: never one administrator on the web)."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user, do_reset_password, do_set_active
from lianxin.core.errors import Refused
from lianxin.geo.models import County, Region
from lianxin.org.models import Unit


class Command(BaseCommand):
    help = "新建账号（首个系统管理员从这里创建）。密码从 LIANXIN_NEW_PASSWORD 或交互输入读取。"

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="县级区划代码，如 510184")
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--full-name", default="")
        parser.add_argument(
            "--region", default="", help="负责区域的统计代码或简称（乡镇/村工作人员）"
        )
        parser.add_argument("--unit", default="", help="所在单位名称（干部、部门办理人员）")
        parser.add_argument("--can-reveal", action="store_true")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="账号已存在时设置其密码（新批准的管理员设置首个密码、管理员忘记密码时，"
            "在服务器上由本人输入）",
        )
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--deactivate", action="store_true", help="停用已存在的账号")
        state.add_argument("--activate", action="store_true", help="重新启用已存在的账号")
        parser.add_argument("--reason", default="", help="停用或启用的事由（必填，记入审计日志）")

    def handle(self, *args, **opts):
        county = County.objects.filter(code=opts["county"]).first()
        if county is None:
            raise CommandError(f"找不到县级区划 {opts['county']}，请先导入区划")
        region = None
        if opts["region"]:
            current = Region.objects.current().filter(county=county)
            region = (
                current.filter(code=opts["region"]).first()
                or current.filter(short_name=opts["region"]).first()
            )
            if region is None:
                raise CommandError(f"找不到区域“{opts['region']}”")
        unit = None
        if opts["unit"]:
            unit = Unit.objects.filter(county=county, name=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"找不到单位“{opts['unit']}”")
        if opts["deactivate"] or opts["activate"]:
            existing = User.objects.filter(county=county, username=opts["username"]).first()
            if existing is None:
                raise CommandError(f"找不到账号“{opts['username']}”")
            # At the console nobody else approves: the reason is all the audit log will show.
            if len(opts["reason"].strip()) < 2:
                raise CommandError("停用或启用账号须用 --reason 填写事由（记入审计日志）")
            active = bool(opts["activate"])
            do_set_active(existing, active=active, reason=opts["reason"], acting_user=None)
            self.stdout.write(f"账号 {existing.username} 已{'启用' if active else '停用'}")
            return
        password = os.environ.get("LIANXIN_NEW_PASSWORD") or getpass.getpass("密码：")
        if opts["reset_password"]:
            existing = User.objects.filter(county=county, username=opts["username"]).first()
            if existing is None:
                raise CommandError(f"找不到账号“{opts['username']}”")
            try:
                do_reset_password(existing, new_password=password, acting_user=None)
            except Refused as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"已重置账号 {existing.username} 的密码")
            return
        try:
            user = do_create_user(
                county=county,
                username=opts["username"],
                password=password,
                role=opts["role"],
                full_name=opts["full_name"],
                region=region,
                unit=unit,
                can_reveal=opts["can_reveal"],
                acting_user=None,
            )
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已新建账号 {user.username}（{user.get_role_display()}）")

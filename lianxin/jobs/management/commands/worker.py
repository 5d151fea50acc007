"""`lianxin worker`: the job worker (Huey's consumer with the settings' queue and workers)."""

from __future__ import annotations

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "运行后台任务进程（导入、导出、自动结对、打印连心卡和定时任务）"

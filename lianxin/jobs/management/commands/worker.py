"""`lianxin worker`: the job worker (Huey's consumer with the settings' queue and workers)."""

from __future__ import annotations

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "运行后台任务进程（导入、导出、自动结对、打印连心卡和定时任务）"

    def handle(self, *args, **options):
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management.base import CommandError

        from lianxin.core.keys import refuse_wrong_keys

        try:
            refuse_wrong_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(
                str(exc)
            ) from None  # before it takes a job: never seal under a key the data disowns
        return super().handle(*args, **options)

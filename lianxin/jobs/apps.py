from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "lianxin.jobs"
    label = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

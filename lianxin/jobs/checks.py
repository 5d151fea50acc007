"""System checks for a deployment with more than one app server: the queue and the job files
must be shared, never one server's local disk by accident."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register("lianxin")
def shared_job_storage(app_configs=None, **kwargs):
    """On PostgreSQL (the production database, which several app servers may share) a queue or
    job-file directory on local disk works only when every server is this one: say so."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return []
    problems = []
    if settings.LIANXIN_JOB_QUEUE == "sqlite":
        problems.append(
            Warning(
                "任务队列在本机 SQLite 文件中，其他应用服务器提交的任务不会被本机的任务进程执行。",
                hint="多台服务器时去掉 LIANXIN_JOB_QUEUE=sqlite（默认使用 PostgreSQL 队列）"
                "或设置 LIANXIN_REDIS_URL。",
                id="lianxin.W101",
            )
        )
    if not settings.LIANXIN_FILES_DIR:
        problems.append(
            Warning(
                f"任务文件（上传、导出、连心卡 PDF）保存在本机目录 {settings.MEDIA_ROOT}。",
                hint="多台服务器时把 LIANXIN_FILES_DIR 设为各服务器共享的目录（如 NFS）；"
                "只有一台服务器时可设为该目录以消除此提示。",
                id="lianxin.W102",
            )
        )
    return problems

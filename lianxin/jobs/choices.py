from django.db import models


class JobKind(models.TextChoices):
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    PAIRING = "pairing", "自动结对"
    CARDS = "cards", "打印连心卡"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

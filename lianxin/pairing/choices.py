from django.db import models


class Coverage(models.TextChoices):
    ALL = "all", "全部户"
    HARDSHIP = "hardship", "指定困难类型的户"
    REGIONS = "regions", "指定村（社区）或组的户"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    PREVIEWED = "previewed", "待确认"
    APPLIED = "applied", "已执行"
    SUPERSEDED = "superseded", "已过期"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


class ChangeKind(models.TextChoices):
    NEW = "new", "新结对"
    ENDED = "ended", "结束结对"

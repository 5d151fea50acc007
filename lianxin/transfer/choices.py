from django.db import models


class JobKind(models.TextChoices):
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"


class DataKind(models.TextChoices):
    RESIDENTS = "residents", "户和居民"
    ENTERPRISES = "enterprises", "企业"


class ImportMode(models.TextChoices):
    # "all": one transaction, nothing saved when any row is bad; "good": bad rows skipped.
    ALL = "all", "全部正确才保存"
    GOOD = "good", "只保存正确的行"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


class FileFormat(models.TextChoices):
    XLSX = "xlsx", "Excel（.xlsx）"
    CSV = "csv", "CSV（.csv）"

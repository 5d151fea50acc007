from django.db import models


class JobKind(models.TextChoices):
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"


class DataKind(models.TextChoices):
    RESIDENTS = "residents", "户和居民"
    ENTERPRISES = "enterprises", "企业"


# What else an export job can write besides the import layouts: a coverage list or table of the
# coverage page (lianxin.pairing.coverage_export), run as a job when it is long. Not a DataKind:
# it has no import layout, and the import/export forms offer DataKind alone.
COVERAGE = "coverage"
JOB_DATA_CHOICES = [*DataKind.choices, (COVERAGE, "覆盖情况")]


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

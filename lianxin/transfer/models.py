"""Import and export jobs: one row per uploaded file or requested export, with its progress."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models

from lianxin.core.models import CountyOwned
from lianxin.core.tabular import ReadLimits

from .choices import JOB_DATA_CHOICES, ImportMode, JobKind, JobStatus

# Defaults of ImportLimits, sized for a county of ~670,000 residents whose offices import a
# township at a time (~30,000 rows; the largest township under 100,000): a 200,000-row .csv
# is some 25 MB, an .xlsx some 10 MB zipped and 120 MB unpacked (openpyxl's inline strings).
DEFAULT_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_ROWS = 200_000
DEFAULT_CELL_CHARS = 1_000
DEFAULT_UNPACKED_BYTES = 256 * 1024 * 1024
DEFAULT_ERRORS_KEPT = 10_000

# Labels of the counts an import or export leaves in Job.counts, in display order.
COUNT_LABELS = {
    "rows_read": "读取行数",
    "bad_rows": "错误行数",
    "households_created": "新建户",
    "households_updated": "更新户",
    "hardships_added": "新增困难类型",
    "residents_created": "新建居民",
    "residents_updated": "更新居民",
    "enterprises_created": "新建企业",
    "enterprises_updated": "更新企业",
    "unchanged": "未变",
    "bad_rows_not_listed": "未列出的错误行",
    "rows_written": "导出行数",
}


def transfer_dir() -> Path:
    """Where uploads, exports, error reports and progress files live (under MEDIA_ROOT)."""
    return Path(settings.MEDIA_ROOT) / "transfer"


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its creator's alone: uploads and exports hold people's data."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(county_id=user.county_id, created_by=user)

    def writable_by(self, user):
        return self.visible_to(user)


class Job(CountyOwned):
    """A bulk import or export, run in the background, with progress and a result."""

    kind = models.CharField("任务类型", max_length=10, choices=JobKind.choices)
    data_kind = models.CharField("数据", max_length=12, choices=JOB_DATA_CHOICES)
    file_name = models.CharField("文件名", max_length=200)
    mode = models.CharField("导入方式", max_length=6, choices=ImportMode.choices, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField("总行数", null=True, blank=True)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    counts = models.JSONField("统计", default=dict, blank=True)
    # The first bad rows as [row, column, reason], for the page; the full list is the report.
    errors = models.JSONField("错误行（前若干条）", default=list, blank=True)
    error_total = models.PositiveIntegerField("错误条数", default=0)
    saved = models.BooleanField("已保存", default=False)
    message = models.TextField("说明", blank=True)
    # Export parameters: the list filters and whether full ID numbers/phones were written.
    params = models.JSONField("参数", default=dict, blank=True)
    source = models.FileField("上传文件", upload_to="transfer/uploads/", blank=True)
    result = models.FileField("导出文件", upload_to="transfer/exports/", blank=True)
    report = models.FileField("错误报告", upload_to="transfer/reports/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # The work's job in the job worker: progress, heartbeat, cancel (lianxin.jobs); this row
    # holds what the import or export is and how it ended.
    task = models.OneToOneField(
        "jobs.Job",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name="后台任务",
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "导入导出任务"
        verbose_name_plural = "导入导出任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["county", "created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}{self.get_data_kind_display()}：{self.file_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def cancel_requested(self) -> bool:
        return self.task is not None and self.task.cancel_requested_at is not None

    def live_rows_done(self) -> int:
        """Rows done so far: the job worker's progress while it runs, the final count after."""
        if self.is_active and self.task is not None:
            return self.task.progress_done
        return self.rows_done

    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.live_rows_done() * 100 // self.rows_total)

    def count_items(self) -> list[tuple[str, int]]:
        """(label, figure) for the counts this job has, in display order."""
        return [
            (label, self.counts[key]) for key, label in COUNT_LABELS.items() if key in self.counts
        ]


class ImportLimits(models.Model):
    """What one import may do in a county; a county without a row has the defaults. Changed
    only through transfer.services.do_set_import_limits (audited)."""

    county = models.OneToOneField(
        "geo.County", on_delete=models.CASCADE, related_name="+", verbose_name="县（市、区）"
    )
    upload_bytes = models.PositiveBigIntegerField(
        "每个文件最大字节数", default=DEFAULT_UPLOAD_BYTES
    )
    rows = models.PositiveIntegerField("每个文件最多行数", default=DEFAULT_ROWS)
    cell_chars = models.PositiveIntegerField("每格最多字符数", default=DEFAULT_CELL_CHARS)
    unpacked_bytes = models.PositiveBigIntegerField(
        "Excel 文件解压后最大字节数", default=DEFAULT_UNPACKED_BYTES
    )
    errors_kept = models.PositiveIntegerField("错误报告最多列出行数", default=DEFAULT_ERRORS_KEPT)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Field name → (label, smallest sensible value): the do_* service refuses values below it.
    FIELDS = {
        "upload_bytes": ("每个文件最大字节数", 1024),
        "rows": ("每个文件最多行数", 1),
        "cell_chars": ("每格最多字符数", 200),
        "unpacked_bytes": ("Excel 文件解压后最大字节数", 64 * 1024),
        "errors_kept": ("错误报告最多列出行数", 1),
    }

    class Meta:
        verbose_name = "导入限制"
        verbose_name_plural = "导入限制"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(upload_bytes__gte=1024)
                & models.Q(rows__gte=1)
                & models.Q(cell_chars__gte=200)
                & models.Q(unpacked_bytes__gte=64 * 1024)
                & models.Q(errors_kept__gte=1),
                name="%(app_label)s_%(class)s_positive",
                violation_error_message="导入限制的数值过小",
            )
        ]

    def __str__(self) -> str:
        return f"{self.county_id} 的导入限制"

    @classmethod
    def for_county(cls, county_id: int) -> ImportLimits:
        """The county's limits, or an unsaved row holding the defaults."""
        return cls.objects.filter(county_id=county_id).first() or cls(county_id=county_id)

    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            rows=self.rows, cell_chars=self.cell_chars, unpacked_bytes=self.unpacked_bytes
        )

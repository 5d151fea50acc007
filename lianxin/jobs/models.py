"""One row per piece of long work — an import, an export, a pairing run, a card print — whatever
its kind: who asked, with what parameters, how far it has got, whether its worker is alive, and
how it ended. The work itself runs in the job worker (lianxin.jobs.runner), never in a web
process; the domain row the work produces (a transfer job's counts, a pairing run's proposal)
links here."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from lianxin.core.models import CountyOwned

from .choices import ACTIVE, JobKind, JobStatus


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its creator's: it holds the parameters of work that touches people's data.
        The domain rows (a pairing run, a transfer) carry their own, wider, scope."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(county_id=user.county_id, created_by=user)

    def active(self):
        return self.filter(status__in=ACTIVE)


class Job(CountyOwned):
    kind = models.CharField("任务类型", max_length=10, choices=JobKind.choices)
    status = models.CharField(
        "状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发起人",
    )
    # The audit source (client address) of the request that asked for the work.
    source = models.CharField("来源", max_length=100, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    progress_done = models.PositiveBigIntegerField("已完成", default=0)
    progress_total = models.PositiveBigIntegerField("总量", null=True, blank=True)
    progress_note = models.CharField("进度说明", max_length=100, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    # Written by the worker every LIANXIN_JOB_HEARTBEAT_SECONDS while the work runs; a running
    # job whose heartbeat is older than LIANXIN_JOB_STALE_SECONDS has lost its worker.
    heartbeat_at = models.DateTimeField("心跳时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    cancel_requested_at = models.DateTimeField("请求取消时间", null=True, blank=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="取消人",
    )
    # Wall-clock budget in seconds from the start; the deadline is set when the work starts.
    budget_seconds = models.FloatField("时间预算（秒）", null=True, blank=True)
    # Wall-clock budget: the work stops (with what it has, where its kind allows) at this time.
    deadline_at = models.DateTimeField("截止时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    # host:pid of the worker process running it, so a worker on the same host can tell at once
    # that the process has gone.
    worker = models.CharField("执行进程", max_length=100, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["county", "created_by", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}（{self.get_status_display()}）"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_requested_at is not None

    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    def seconds_left(self, now: dt.datetime | None = None) -> float | None:
        if self.deadline_at is None:
            return None
        return (self.deadline_at - (now or timezone.now())).total_seconds()

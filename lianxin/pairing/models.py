"""Cadre–household pairings (结对), dated so that history is never overwritten."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.core.models import CountyOwned, Dated, DatedQuerySet, today
from lianxin.org.models import serving

from .choices import ChangeKind, Coverage, RunStatus


class PairingQuerySet(DatedQuerySet):
    def visible_to(self, user):
        """A pairing is visible exactly when its household is."""
        from lianxin.people.models import Household

        return self.filter(household__in=Household.objects.visible_to(user))

    def writable_by(self, user):
        return self if user.is_authenticated and user.manages_pairing else self.none()

    def serving(self, on: dt.date | None = None):
        """Pairings that reach their household on the day: in force, with a cadre still in
        office then (a pairing left open after its cadre left reaches no one)."""
        on = on or today()
        return self.current(on).filter(serving(on, via="cadre__"))


class Pairing(CountyOwned, Dated):
    """A cadre paired with a household from valid_from to valid_to."""

    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.PROTECT, related_name="pairings", verbose_name="干部"
    )
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, related_name="pairings", verbose_name="户"
    )
    locked = models.BooleanField("锁定", default=False, help_text="自动结对不会改动锁定的结对")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = "结对"
        verbose_name_plural = "结对"
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(valid_to__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_household",
                violation_error_message="该户已有结对干部",
            )
        ]
        # Covers a cadre's households on a day (coverage loads: one probe per cadre counts
        # their pairings from the index alone).
        indexes = [
            models.Index(fields=["cadre", "valid_to", "valid_from"], name="pairing_cadre_dated")
        ]


class PairingPolicy(CountyOwned):
    """A county's pairing rules: which households must be covered, load bounds, who is excluded."""

    coverage = models.CharField(
        "需覆盖的户", max_length=10, choices=Coverage.choices, default=Coverage.ALL
    )
    hardship_kinds = models.JSONField(
        "困难类型", default=list, blank=True, help_text="覆盖范围为“指定困难类型”时适用"
    )
    regions = models.ManyToManyField(
        "geo.Region",
        blank=True,
        related_name="+",
        verbose_name="指定村（社区）或组",
        help_text="覆盖范围为“指定村或组”时适用",
    )
    min_load = models.PositiveSmallIntegerField("每名干部最少联系户数", default=5)
    max_load = models.PositiveSmallIntegerField("每名干部最多联系户数", default=15)
    keep_groups_together = models.BooleanField("同组户尽量由同一干部联系", default=True)
    exclude_city_leaders = models.BooleanField(
        "市级领导不参与分户", default=True, help_text="市级领导联系乡镇，不承接户"
    )
    # Wall-clock seconds an automatic pairing run may compute; the starter picks up to the max.
    run_budget = models.PositiveIntegerField("自动结对默认计算时限（秒）", default=120)
    run_budget_max = models.PositiveIntegerField("自动结对计算时限上限（秒）", default=600)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "结对规则"
        verbose_name_plural = "结对规则"
        constraints = [
            models.UniqueConstraint(
                fields=["county"],
                name="%(app_label)s_%(class)s_one_per_county",
                violation_error_message="每个县只有一套结对规则",
            ),
            models.CheckConstraint(
                condition=Q(min_load__lte=models.F("max_load")),
                name="%(app_label)s_%(class)s_load_bounds",
                violation_error_message="最少联系户数不能大于最多联系户数",
            ),
            models.CheckConstraint(
                condition=Q(run_budget__lte=models.F("run_budget_max"))
                & Q(run_budget__gte=10)
                & Q(run_budget_max__lte=1800),
                name="%(app_label)s_%(class)s_run_budget_bounds",
                violation_error_message="默认计算时限须在10秒到计算时限上限之间，上限不超过1800秒",
            ),
        ]


def _policy_rows(qs, user):
    """Policy rows (unit overrides, exclusions): the city administrator's, leaders may read."""
    if not user.is_authenticated or not user.reads_pairing:
        return qs.none()
    return qs.filter(county_id=user.county_id)


class PolicyRowQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _policy_rows(self, user)

    def writable_by(self, user):
        return self if user.is_authenticated and user.manages_pairing else self.none()


class ExclusionQuerySet(DatedQuerySet):
    """Dated policy rows: ``current(on)`` as well as the scope."""

    def visible_to(self, user):
        return _policy_rows(self, user)

    def writable_by(self, user):
        return self if user.is_authenticated and user.manages_pairing else self.none()


class UnitLoadOverride(CountyOwned):
    """A unit whose cadres carry a different load than the county's default."""

    policy = models.ForeignKey(
        PairingPolicy, on_delete=models.CASCADE, related_name="unit_overrides"
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", verbose_name="单位"
    )
    min_load = models.PositiveSmallIntegerField("最少联系户数")
    max_load = models.PositiveSmallIntegerField("最多联系户数")

    objects = PolicyRowQuerySet.as_manager()

    class Meta:
        verbose_name = "单位联系户数"
        verbose_name_plural = "单位联系户数"
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "unit"],
                name="%(app_label)s_%(class)s_unique_unit",
                violation_error_message="该单位已设置联系户数",
            ),
            models.CheckConstraint(
                condition=Q(min_load__lte=models.F("max_load")),
                name="%(app_label)s_%(class)s_load_bounds",
                violation_error_message="最少联系户数不能大于最多联系户数",
            ),
        ]


class CadreExclusion(CountyOwned, Dated):
    """A cadre kept out of automatic pairing for a period (long leave, secondment)."""

    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.CASCADE, related_name="exclusions", verbose_name="干部"
    )
    reason = models.CharField("原因", max_length=100)

    objects = ExclusionQuerySet.as_manager()

    class Meta:
        verbose_name = "不参与结对的干部"
        verbose_name_plural = "不参与结对的干部"


class PairingRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Pairing runs are the city administrator's tool (leaders may read them)."""
        if not user.is_authenticated or not user.reads_pairing:
            return self.none()
        return self.filter(county_id=user.county_id)

    def writable_by(self, user):
        return self if user.is_authenticated and user.manages_pairing else self.none()


class PairingRun(CountyOwned):
    """One automatic pairing computation: previewed first, applied in one transaction."""

    status = models.CharField(
        "状态", max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发起人",
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    finished_at = models.DateTimeField("计算完成", null=True, blank=True)
    applied_at = models.DateTimeField("执行时间", null=True, blank=True)
    # The computation's job: progress, heartbeat, cancel (lianxin.jobs); the run holds its result.
    job = models.OneToOneField(
        "jobs.Job",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pairing_run",
        verbose_name="后台任务",
    )
    # Coverage before/after, per-unit loads and spread, groups split, shortfalls, solver status.
    summary = models.JSONField("结果摘要", default=dict, blank=True)
    error = models.TextField("错误", blank=True)

    objects = PairingRunQuerySet.as_manager()

    class Meta:
        verbose_name = "自动结对"
        verbose_name_plural = "自动结对"
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def progress_done(self) -> int:
        return self.job.progress_done if self.job else 0

    @property
    def progress_total(self) -> int:
        return (self.job.progress_total or 0) if self.job else 0

    @property
    def phase(self) -> str:
        if self.job is None or not self.is_active:
            return ""
        if self.job.cancel_requested_at is not None:
            return "正在取消"
        return self.job.progress_note


class PairingRunChange(CountyOwned):
    """One pairing a run would start or end (kept pairings are only counted, not listed)."""

    run = models.ForeignKey(PairingRun, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField("变化", max_length=6, choices=ChangeKind.choices)
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="+")
    cadre = models.ForeignKey("org.Cadre", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("geo.Region", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "结对变化"
        verbose_name_plural = "结对变化"
        indexes = [models.Index(fields=["run", "kind", "unit"])]


class CardToken(CountyOwned):
    """The unguessable token behind a household's contact-card QR code; revoked when a card is
    lost and re-issued, so the old card stops working and the new one does."""

    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, related_name="card_tokens"
    )
    token = models.CharField(max_length=43, unique=True, editable=False)
    issued_at = models.DateTimeField("签发时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)

    class Meta:
        verbose_name = "连心卡二维码"
        verbose_name_plural = "连心卡二维码"
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_one_live_per_household",
                violation_error_message="该户已有有效的连心卡二维码",
            )
        ]

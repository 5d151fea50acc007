"""The audit trail: one row per state change or reveal, written in the change's transaction.
Rows are append-only: the model refuses updates and deletes, no page or endpoint offers them, a
database trigger refuses UPDATE (and DELETE on PostgreSQL), and each county's rows form a keyed
hash chain (lianxin/audit/chain.py) that `lianxin audit-verify` checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lianxin.core.models import CountyOwned


class AuditImmutable(Exception):
    """Raised on any attempt to change or remove an audit row."""


class AuditQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the audit administrator reads the audit log, for their county."""
        if not user.is_authenticated or not user.reads_audit:
            return self.none()
        return self.filter(county_id=user.county_id)

    def writable_by(self, user):
        return self.none()

    def update(self, **kwargs):
        raise AuditImmutable("审计记录不可修改")

    def delete(self):
        raise AuditImmutable("审计记录不可删除")


class AuditEntry(CountyOwned):
    """Who did what, when, from where, with the before/after values (sensitive fields masked)."""

    # Set by record() before the insert, not auto_now_add: the time is part of the row's hash.
    at = models.DateTimeField("时间", default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人", max_length=80)
    source = models.CharField("来源", max_length=80)
    action = models.CharField("操作", max_length=60, db_index=True)
    target_type = models.CharField("对象类型", max_length=40)
    target_id = models.CharField("对象编号", max_length=40, blank=True)
    target_label = models.CharField("对象", max_length=120, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    reason = models.CharField("事由", max_length=200, blank=True)
    # The chain: position in the county's chain, the previous row's hash, this row's hash.
    seq = models.PositiveBigIntegerField("链序号", editable=False)
    prev_hash = models.CharField("上一条哈希", max_length=64, blank=True, editable=False)
    row_hash = models.CharField("哈希", max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["county", "target_type", "target_id"]),
            # The day's answer budget (people/disclosure.py) sums one account's rows of one
            # action since midnight, under that account's lock: one index range, not three.
            models.Index(fields=["actor", "action", "at"], name="audit_actor_action_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "seq"],
                name="%(app_label)s_%(class)s_unique_county_seq",
                violation_error_message="同一县的审计链序号不能重复",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditImmutable("审计记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("审计记录不可删除")


class AuditChain(models.Model):
    """The head of one county's audit chain: the last row's number and hash.

    record() locks this row to append, so two writers never chain onto the same predecessor;
    audit-verify compares it with the last row, so removing rows from the end is seen too."""

    county = models.OneToOneField(
        "geo.County",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name="县（市、区）",
    )
    seq = models.PositiveBigIntegerField("最后序号", default=0)
    last_hash = models.CharField("最后哈希", max_length=64, blank=True)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"{self.county_id}#{self.seq}"

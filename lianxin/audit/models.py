"""The audit trail: one row per state change or reveal, written in the change's transaction.
Rows are append-only: the model refuses updates and deletes, and no page or endpoint offers them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
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

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["county", "target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditImmutable("审计记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("审计记录不可删除")

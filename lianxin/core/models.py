"""Abstract bases shared by every Lianxin table."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone


def today() -> dt.date:
    """Today in the configured time zone (Asia/Shanghai), not the server's UTC date."""
    return timezone.localdate()


class CountyOwned(models.Model):
    """A row that belongs to exactly one county: the tenant and future distribution key."""

    county = models.ForeignKey(
        "geo.County", on_delete=models.PROTECT, related_name="+", verbose_name="县（市、区）"
    )

    class Meta:
        abstract = True


class Timestamped(models.Model):
    """Creation and last-change times."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class DatedQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None):
        """Rows valid on the given day (today by default)."""
        on = on or today()
        return self.filter(Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on))


class Dated(models.Model):
    """A fact that holds from valid_from to valid_to (inclusive; open-ended when empty).

    Ending a fact sets valid_to; nothing is overwritten, so "who was it on 1 March" has an answer.
    """

    valid_from = models.DateField("起始日期", default=today)
    valid_to = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        abstract = True

    def is_current(self, on: dt.date | None = None) -> bool:
        on = on or today()
        return self.valid_from <= on and (self.valid_to is None or self.valid_to >= on)


def new_seal_ref() -> str:
    """A row's seal reference: 128 random bits, made when the row is, before it has a pk."""
    return secrets.token_urlsafe(16)


class SealedRow(models.Model):
    """A row with sealed columns (``<field>_enc``, ``<field>_hash``, ``<field>_masked`` for each
    name in `sealed_fields`). Each sealed value is bound to its column and to this row's
    `seal_ref` (lianxin.lib.crypto.associated_data): copied into another row or column it does
    not open. `lianxin rotate-field-key` finds every such model through this base."""

    sealed_fields: tuple[str, ...] = ()

    seal_ref = models.CharField("加密绑定号", max_length=24, default=new_seal_ref, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def seal_label(cls, field: str) -> str:
        """The column a sealed value is bound to, e.g. "people.resident.phone"."""
        return f"{cls._meta.label_lower}.{field}"


class KeyCanary(models.Model):
    """What the keys outside the database made of a known text, one row per key purpose: at
    start the app checks that its keys give the same (lianxin.core.keys), so a wrong key is
    refused before it reads or seals anything. Not people's data and not a county's: a reference
    row of the installation, the same for every county."""

    class Purpose(models.TextChoices):
        FIELD = "field", "字段加密密钥"
        LOOKUP = "lookup", "查找散列密钥"
        AUDIT = "audit", "审计链密钥"

    purpose = models.CharField("用途", max_length=10, choices=Purpose.choices, unique=True)
    value = models.TextField("校验值")
    key_id = models.CharField("密钥编号", max_length=8, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "密钥校验值"

    def __str__(self) -> str:
        return self.get_purpose_display()


class RateCounter(models.Model):
    """Requests one client made in its current rate-limit window (lianxin.core.ratelimit)."""

    scope = models.CharField("限流范围", max_length=40)
    # A keyed hash of the client address or user name, never the value itself: personal data.
    key = models.CharField("客户端标识（散列）", max_length=64)
    count = models.PositiveIntegerField("次数", default=0)
    expires_at = models.DateTimeField("窗口结束时间", db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "限流计数"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="%(app_label)s_%(class)s_unique_scope_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:8]}"

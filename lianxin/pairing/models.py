"""Cadre–household pairings (结对), dated so that history is never overwritten."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.core.models import CountyOwned, Dated, DatedQuerySet


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

    objects = DatedQuerySet.as_manager()

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
        indexes = [models.Index(fields=["cadre", "valid_to"])]

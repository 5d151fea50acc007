"""In-app notices (通知): one row per user, kind and day, so a job that runs twice on a day
sends each notice once; e-mailed too where the server is configured for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianxin.core.models import CountyOwned

from .choices import NoticeKind


class NoticeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notice is its addressee's alone."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(county_id=user.county_id, user=user)

    def writable_by(self, user):
        return self.visible_to(user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notice(CountyOwned):
    """A message to one user: what is due, what is overdue, what happened to their story."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name="收件人",
    )
    kind = models.CharField("类型", max_length=20, choices=NoticeKind.choices)
    day = models.DateField("日期")
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=200, blank=True)
    # What a one-off notice is about (e.g. "story:12:published"); empty for the daily ones,
    # which are one per user, kind and day.
    ref = models.CharField("关于", max_length=40, blank=True, default="")
    created_at = models.DateTimeField("发出时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    # Set once the e-mail copy went out (only where e-mail is configured): a failed send is
    # tried again by the next run, a sent one never twice.
    mailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True, editable=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "day", "ref"],
                name="%(app_label)s_%(class)s_unique_per_day",
                violation_error_message="同一天同一类通知只发一次",
            )
        ]
        indexes = [
            # The header's unread count: one probe per page.
            models.Index(fields=["user", "read_at"], name="notices_user_unread"),
        ]

    def __str__(self) -> str:
        return self.title

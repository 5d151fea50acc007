"""干部日记 (a cadre's diary: title, text, date, optionally linked to visits and households) and
暖心故事 (a story put forward from a diary, reviewed, and published on the public stories page
without the household's personal data unless its consent to be named is recorded)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianxin.accounts.choices import Role
from lianxin.core.models import CountyOwned, Timestamped

from .choices import StoryStatus


class DiaryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A diary is its cadre's own notebook: no one else reads it (a story put forward from
        it carries its own copy of the text to the reviewers)."""
        if not user.is_authenticated or not user.writes_diary:
            return self.none()
        return self.filter(county_id=user.county_id, cadre__user=user)

    def writable_by(self, user):
        return self.visible_to(user)


class Diary(CountyOwned, Timestamped):
    """A cadre's diary entry (干部日记)."""

    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.PROTECT, related_name="diaries", verbose_name="干部"
    )
    title = models.CharField("标题", max_length=60)
    text = models.TextField("正文", max_length=5000)
    date = models.DateField("日期")
    visits = models.ManyToManyField(
        "visits.Visit", blank=True, related_name="diaries", verbose_name="相关走访"
    )
    households = models.ManyToManyField(
        "people.Household", blank=True, related_name="+", verbose_name="相关户"
    )

    objects = DiaryQuerySet.as_manager()

    class Meta:
        verbose_name = "干部日记"
        verbose_name_plural = "干部日记"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["cadre", "date"], name="stories_diary_cadre_day")]

    def __str__(self) -> str:
        return self.title


class StoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A cadre sees the stories of their own diaries; the other roles that read people's
        data see the stories of the cadres they see (Cadre.objects.visible_to)."""
        from lianxin.org.models import Cadre

        if not user.is_authenticated or not user.sees_people:
            return self.none()
        qs = self.filter(county_id=user.county_id)
        if user.role == Role.CADRE:
            return qs.filter(cadre__user=user)
        return qs.filter(cadre__in=Cadre.objects.visible_to(user))

    def writable_by(self, user):
        """Reviewers: the organisation department county-wide, a unit's staff their unit's."""
        if not user.is_authenticated or not user.reviews_stories:
            return self.none()
        if user.is_unit_scoped:
            return self.filter(cadre__unit_id=user.unit_id) if user.unit_id else self.none()
        return self

    def published(self):
        return self.filter(status=StoryStatus.PUBLISHED)


class Story(CountyOwned, Timestamped):
    """A diary put forward as a 暖心故事: submitted → returned with a comment (and submitted
    again) or published. The text is copied when submitted, so a published story does not
    change when its diary is edited; the public copy (public_*) is made when published."""

    diary = models.OneToOneField(
        Diary, on_delete=models.PROTECT, related_name="story", verbose_name="日记"
    )
    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.PROTECT, related_name="stories", verbose_name="干部"
    )
    status = models.CharField(
        "状态", max_length=12, choices=StoryStatus.choices, default=StoryStatus.SUBMITTED
    )
    title = models.CharField("标题", max_length=60)
    text = models.TextField("正文", max_length=5000)
    submitted_at = models.DateTimeField("提交时间")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    comment = models.CharField("退回意见", max_length=500, blank=True)
    # The household's consent to be named publicly, and who recorded it when: without it the
    # public copy carries no names, numbers or places below the township.
    consent_to_name = models.BooleanField("该户同意公开署名", default=False)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="同意署名登记人",
    )
    consent_recorded_at = models.DateTimeField("同意署名登记时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    public_title = models.CharField("公开标题", max_length=60, blank=True)
    public_text = models.TextField("公开正文", blank=True)
    public_place = models.CharField("公开地点", max_length=60, blank=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        verbose_name = "暖心故事"
        verbose_name_plural = "暖心故事"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="stories_story_published"),
            models.Index(fields=["county", "status"], name="stories_story_queue"),
        ]

    def __str__(self) -> str:
        return self.title

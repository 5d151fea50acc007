"""Diary and story state changes: writing and editing a diary (its cadre), putting it forward
as a story, returning it with a comment or publishing it (the organisation department's staff
county-wide, a unit's staff for their unit's cadres). Each do_* checks its actor, refuses in
Chinese naming the field, and writes its audit row in the same transaction; the cadre is told
of a return or a publication by an in-app notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import NOT_FOUND, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.models import today
from lianxin.notices.choices import NoticeKind
from lianxin.notices.services import Draft, send
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from lianxin.visits.models import Visit

from .choices import StoryStatus
from .models import Diary, Story
from .redact import public_copy

ONLY_CADRES = "只有干部职工本人可以写干部日记"
ONLY_REVIEWERS = "只有本单位或组织部的工作人员可以审核暖心故事"


def _own_cadre(acting_user: Any) -> Cadre:
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise Refused(ONLY_CADRES, status=403)
    cadre = Cadre.objects.filter(user=acting_user).first()
    if cadre is None or not acting_user.sees_people:
        raise Refused(ONLY_CADRES, status=403)
    return cadre


def _check_diary(
    cadre: Cadre, *, title: str, text: str, date: Any, visits: Sequence[Any], households
) -> dict[str, Any]:
    values = {"title": (title or "").strip(), "text": (text or "").strip()}
    if not values["title"]:
        raise Refused("请填写标题", field="title")
    if not values["text"]:
        raise Refused("请填写正文", field="text")
    check_fields(Diary, values)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise Refused("请填写日期", field="date")
    if date > today():
        raise Refused(f"日期{date}晚于今天", field="date")
    visit_ids = sorted({v if isinstance(v, int) else v.pk for v in visits})
    household_ids = sorted({h if isinstance(h, int) else h.pk for h in households})
    # A diary links only the cadre's own visits and households they were ever paired with.
    own_visits = Visit.objects.filter(cadre=cadre, pk__in=visit_ids).count()
    if own_visits != len(visit_ids):
        raise Refused(NOT_FOUND, field="visits", status=404)
    paired = (
        Pairing.objects.filter(cadre=cadre, household_id__in=household_ids)
        .values("household_id")
        .distinct()
        .count()
    )
    if paired != len(household_ids):
        raise Refused(NOT_FOUND, field="households", status=404)
    return {**values, "date": date, "visits": visit_ids, "households": household_ids}


def do_write_diary(
    *,
    acting_user: Any,
    title: str,
    text: str,
    date: dt.date,
    visits: Sequence[Any] = (),
    households: Sequence[Any] = (),
) -> Diary:
    """A new diary entry of the acting cadre."""
    cadre = _own_cadre(acting_user)
    values = _check_diary(
        cadre, title=title, text=text, date=date, visits=visits, households=households
    )
    with transaction.atomic():
        diary = Diary.objects.create(
            county_id=cadre.county_id,
            cadre=cadre,
            title=values["title"],
            text=values["text"],
            date=values["date"],
        )
        diary.visits.set(values["visits"])
        diary.households.set(values["households"])
        record(
            actor=acting_user,
            action="写干部日记",
            target=diary,
            changes={"title": [None, diary.title], "date": [None, str(diary.date)]},
        )
        return diary


def do_edit_diary(
    diary: Diary,
    *,
    acting_user: Any,
    title: str,
    text: str,
    date: dt.date,
    visits: Sequence[Any] = (),
    households: Sequence[Any] = (),
) -> Diary:
    """Correct a diary: its cadre only. A story already put forward keeps the copy it was
    submitted with (submit again after a return to carry the change)."""
    cadre = _own_cadre(acting_user)
    check_in_scope(acting_user, diary)
    values = _check_diary(
        cadre, title=title, text=text, date=date, visits=visits, households=households
    )
    with transaction.atomic():
        diary = Diary.objects.select_for_update().get(pk=diary.pk)
        before = {"title": diary.title, "text": diary.text, "date": diary.date}
        before_links = (
            sorted(diary.visits.values_list("pk", flat=True)),
            sorted(diary.households.values_list("pk", flat=True)),
        )
        after = {"title": values["title"], "text": values["text"], "date": values["date"]}
        links = (values["visits"], values["households"])
        if before == after and before_links == links:
            return diary
        for name, value in after.items():
            setattr(diary, name, value)
        diary.save(update_fields=[*after, "updated_at"])
        diary.visits.set(values["visits"])
        diary.households.set(values["households"])
        changes: dict[str, list[Any]] = {
            k: [str(before[k])[:100], str(after[k])[:100]] for k in after if before[k] != after[k]
        }
        if before_links != links:
            changes["households"] = [len(before_links[1]), len(links[1])]
        record(actor=acting_user, action="修改干部日记", target=diary, changes=changes)
        return diary


def _record_consent(story: Story, consent: bool, acting_user: Any) -> None:
    if consent:
        story.consent_to_name = True
        story.consent_recorded_by = acting_user
        story.consent_recorded_at = timezone.now()


def do_submit_story(diary: Diary, *, acting_user: Any, consent_to_name: bool = False) -> Story:
    """Put a diary forward as a 暖心故事 (its cadre), or put it forward again after a return
    with the diary as it now reads. consent_to_name: the household agreed to be named, which
    the cadre records (with the time) on their own word."""
    _own_cadre(acting_user)
    check_in_scope(acting_user, diary)
    with transaction.atomic():
        diary = Diary.objects.select_for_update().get(pk=diary.pk)
        story = Story.objects.filter(diary=diary).first()
        if story is not None and story.status != StoryStatus.RETURNED:
            raise Refused(
                f"这篇日记已作为暖心故事{story.get_status_display()}，不能重复提交",
                field="diary",
                status=409,
            )
        now = timezone.now()
        if story is None:
            story = Story(county_id=diary.county_id, diary=diary, cadre=diary.cadre)
        before = story.status if story.pk else None
        story.status = StoryStatus.SUBMITTED
        story.title, story.text, story.submitted_at = diary.title, diary.text, now
        story.comment = ""
        _record_consent(story, consent_to_name, acting_user)
        story.save()
        record(
            actor=acting_user,
            action="提交暖心故事",
            target=story,
            changes={
                "status": [
                    StoryStatus(before).label if before else None,
                    StoryStatus.SUBMITTED.label,
                ],
                "consent_to_name": [None, story.consent_to_name],
            },
        )
        return story


def _reviewable(story: Story, acting_user: Any) -> Story:
    if acting_user is not None:
        if not getattr(acting_user, "is_authenticated", False) or not acting_user.reviews_stories:
            # Outside the scope answers 404 before the role's 403, as a lookup would.
            check_in_scope(acting_user, story, write=False)
            raise Refused(ONLY_REVIEWERS, status=403)
        check_in_scope(acting_user, story)
    # Two reviewers deciding at once: the second sees the first's decision.
    story = Story.objects.select_for_update().get(pk=story.pk)
    if story.status != StoryStatus.SUBMITTED:
        raise Refused(
            f"这篇故事{story.get_status_display()}，不在待审核中", field="status", status=409
        )
    return story


def _tell_cadre(story: Story, title: str, body: str) -> None:
    user_id = story.cadre.user_id
    if user_id:
        send(
            [
                Draft(
                    user_id=user_id,
                    county_id=story.county_id,
                    kind=NoticeKind.STORY,
                    day=today(),
                    title=title,
                    body=body,
                    link=f"/stories/diaries/{story.diary_id}/",
                    ref=f"story:{story.pk}:{story.status}:{story.reviewed_at:%H%M%S}",
                )
            ]
        )


def do_return_story(story: Story, *, acting_user: Any, comment: str) -> Story:
    """Return a submitted story to its cadre with a comment (what to change)."""
    comment = (comment or "").strip()
    if not comment:
        raise Refused("请填写退回意见", field="comment")
    check_fields(Story, {"comment": comment})
    with transaction.atomic():
        story = _reviewable(story, acting_user)
        story.status = StoryStatus.RETURNED
        story.comment = comment
        story.reviewer = acting_user
        story.reviewed_at = timezone.now()
        story.save(update_fields=["status", "comment", "reviewer", "reviewed_at", "updated_at"])
        record(
            actor=acting_user,
            action="退回暖心故事",
            target=story,
            changes={"status": [StoryStatus.SUBMITTED.label, StoryStatus.RETURNED.label]},
            reason=comment,
        )
        _tell_cadre(story, f"暖心故事《{story.title}》已退回", f"退回意见：{comment}")
        return story


def story_households(story: Story) -> tuple[list[Household], list[Household]]:
    """(the households a story may name, those it is about). It is about the diary's and its
    visits' households; it may name — so a name typed without linking its household is still
    taken out — every household its cadre was ever paired with too."""
    diary = story.diary
    about = set(diary.households.values_list("pk", flat=True)) | set(
        diary.visits.values_list("households__household_id", flat=True)
    )
    about.discard(None)
    paired = set(
        Pairing.objects.filter(cadre_id=story.cadre_id).values_list("household_id", flat=True)
    )
    rows = list(
        Household.objects.filter(pk__in=about | paired).select_related("township", "village")
    )
    return rows, [h for h in rows if h.pk in about]


def preview(story: Story, consent_to_name: bool | None = None) -> tuple[str, str, str]:
    """The public copy publishing would make, for the reviewer to read first."""
    named = story.consent_to_name if consent_to_name is None else consent_to_name
    households, about = story_households(story)
    return public_copy(story.title, story.text, households, named=named, about=about)


def do_publish_story(story: Story, *, acting_user: Any, consent_to_name: bool = False) -> Story:
    """Publish a submitted story on the public stories page: without the household's personal
    data, unless its consent to be named is recorded (by the cadre when submitting, or here
    by the reviewer, with who and when)."""
    with transaction.atomic():
        story = _reviewable(story, acting_user)
        _record_consent(story, consent_to_name, acting_user)
        story.public_title, story.public_text, story.public_place = preview(story)
        story.status = StoryStatus.PUBLISHED
        story.reviewer = acting_user
        story.reviewed_at = story.published_at = timezone.now()
        story.comment = ""
        story.save()
        record(
            actor=acting_user,
            action="发布暖心故事",
            target=story,
            changes={
                "status": [StoryStatus.SUBMITTED.label, StoryStatus.PUBLISHED.label],
                "consent_to_name": [None, story.consent_to_name],
            },
        )
        _tell_cadre(story, f"暖心故事《{story.title}》已发布", "已在暖心故事页面公开。")
        return story

"""Diaries and stories: the cadre writes and puts forward, a reviewer (the organisation
department, or the unit's own staff) returns with a comment or publishes; the public page
shows no names, numbers or places below the township unless the household's consent to be
named is recorded — and every persona sees only what its scope holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from lianxin.accounts.choices import Role
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.notices.models import Notice
from lianxin.stories.choices import StoryStatus
from lianxin.stories.models import Diary, Story
from lianxin.stories.services import (
    do_edit_diary,
    do_publish_story,
    do_return_story,
    do_submit_story,
    do_write_diary,
)
from tests.factories import user
from tests.visits.support import pair, visit

DAY = dt.timedelta(days=1)
TEXT = (
    "第一次去罗选志家，他把连心卡丢在柴堆上。大坪村6组12号，电话13800001234。后来他孙女捡回来了。"
)


@pytest.fixture
def diary(world):
    pair(world, world.household, since=today() - 30 * DAY)
    v = visit(world, world.household, today() - DAY)
    return do_write_diary(
        acting_user=world.cadre_user,
        title="一张捡回来的连心卡",
        text=TEXT,
        date=today(),
        visits=[v],
    )


def test_it_walks_a_story_from_diary_to_the_public_page_without_names(world, diary, login):
    story = do_submit_story(diary, acting_user=world.cadre_user)
    assert story.status == StoryStatus.SUBMITTED
    story = do_return_story(story, acting_user=world.city_admin, comment="补上后来怎么样了")
    assert Notice.objects.filter(user=world.cadre_user, title__contains="已退回").exists()
    do_edit_diary(
        diary,
        acting_user=world.cadre_user,
        title=diary.title,
        text=TEXT + "他说：电话打通了。",
        date=diary.date,
    )
    story = do_submit_story(diary, acting_user=world.cadre_user)
    assert "电话打通了" in story.text and story.comment == ""
    story = do_publish_story(story, acting_user=world.city_admin)
    assert story.status == StoryStatus.PUBLISHED and story.reviewer == world.city_admin
    public = Client()
    page = (
        public.get("/stories/").content.decode()
        + public.get(f"/stories/{story.pk}/").content.decode()
    )
    assert "罗某某" in page and "文井江镇" in page and "电话打通了" in page
    for personal in ("罗选志", "大坪村", "6组12号", "13800001234", world.household.number):
        assert personal not in page, personal
    assert AuditEntry.objects.filter(action="发布暖心故事").count() == 1


def test_it_names_the_household_only_with_its_consent_recorded(world, diary):
    story = do_submit_story(diary, acting_user=world.cadre_user)
    story = do_publish_story(story, acting_user=world.city_admin, consent_to_name=True)
    assert story.consent_recorded_by == world.city_admin and story.consent_recorded_at
    assert "罗选志" in story.public_text and "大坪村" in story.public_place
    # Numbers never: a phone is no name.
    assert "13800001234" not in story.public_text


def test_it_lets_the_units_own_staff_review_and_no_other_unit(world, diary):
    own = user(world.county, Role.HANDLER, "xuanchuan", unit=world.unit)
    story = do_submit_story(diary, acting_user=world.cadre_user)
    with pytest.raises(Refused) as refused:
        do_publish_story(story, acting_user=world.handler)  # the civil affairs bureau's
    assert refused.value.status == 404
    assert do_publish_story(story, acting_user=own).status == StoryStatus.PUBLISHED


def test_it_refuses_a_second_submission_and_a_second_decision(world, diary):
    story = do_submit_story(diary, acting_user=world.cadre_user)
    with pytest.raises(Refused) as refused:
        do_submit_story(diary, acting_user=world.cadre_user)
    assert refused.value.status == 409
    do_publish_story(story, acting_user=world.city_admin)
    with pytest.raises(Refused) as refused:
        do_return_story(story, acting_user=world.city_admin, comment="再改改")
    assert refused.value.status == 409


def test_it_refuses_linking_another_cadres_visit_or_household(world, diary):
    with pytest.raises(Refused) as refused:
        do_write_diary(
            acting_user=world.cadre_user,
            title="别人的户",
            text="……",
            date=today(),
            households=[world.other_household],
        )
    assert refused.value.status == 404 and refused.value.field == "households"


def test_it_keeps_a_diary_its_cadres_alone(world, diary, login):
    assert Diary.objects.visible_to(world.cadre_user).count() == 1
    for persona in ("city_admin", "township_staff", "outsider", "handler", "leader_user"):
        assert not Diary.objects.visible_to(getattr(world, persona)).exists(), persona
        client = login(getattr(world, persona))
        assert client.get(f"/stories/diaries/{diary.pk}/").status_code == 404, persona


STORY_READERS = ("cadre_user", "city_admin", "township_staff", "village_staff", "leader_user")
STORY_OUTSIDERS = ("outsider", "handler", "system_admin", "audit_admin")


def test_it_scopes_stories_for_every_persona(world, diary, login):
    story = do_submit_story(diary, acting_user=world.cadre_user)
    for persona in STORY_READERS:
        assert Story.objects.visible_to(getattr(world, persona)).filter(pk=story.pk).exists()
    for persona in STORY_OUTSIDERS:
        assert not Story.objects.visible_to(getattr(world, persona)).exists(), persona
    assert login(world.city_admin).get(f"/stories/review/{story.pk}/").status_code == 200
    for persona in ("outsider", "handler", "township_staff", "cadre_user", "leader_user"):
        client = login(getattr(world, persona))
        assert client.get(f"/stories/review/{story.pk}/").status_code == 404, persona
    # Not yet published: not on the public page.
    assert Client().get(f"/stories/{story.pk}/").status_code == 404


def test_it_runs_the_pages_for_the_cadre_and_the_reviewer(world, login):
    pair(world, world.household, since=today() - 30 * DAY)
    cadre = login(world.cadre_user)
    response = cadre.post(
        "/stories/diaries/new/",
        {
            "title": "第一次进六组",
            "date": today().isoformat(),
            "text": "十一户人家。",
            "households": [str(world.household.pk)],
        },
    )
    assert response.status_code == 302
    diary = Diary.objects.get()
    assert list(diary.households.all()) == [world.household]
    bad = cadre.post("/stories/diaries/new/", {"title": "", "date": "2025-02-30", "text": ""})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    assert cadre.post(f"/stories/diaries/{diary.pk}/submit/").status_code == 302
    story = Story.objects.get()
    reviewer = login(world.city_admin)
    assert "第一次进六组" in reviewer.get("/stories/review/").content.decode()
    refused = reviewer.post(f"/stories/review/{story.pk}/", {"action": "return", "comment": ""})
    assert refused.status_code == 400
    assert reviewer.post(f"/stories/review/{story.pk}/", {"action": "publish"}).status_code == 302
    assert "第一次进六组" in Client().get("/stories/").content.decode()

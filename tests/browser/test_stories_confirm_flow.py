"""Issue 10 on a phone (390×844): a cadre's diary becomes a 暖心故事 that a reviewer publishes
and the public page shows without the household's name; and the household's one tap on its
连心卡 page, recorded once a month however often it is tapped."""

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.cards.services import do_issue_token
from lianxin.core.models import today
from lianxin.pairing.services import do_pair
from lianxin.stories.choices import StoryStatus
from lianxin.stories.models import Diary, Story
from lianxin.visits.models import VisitConfirmation
from tests.browser.conftest import menu
from tests.browser.test_accounts_flow import signed_in
from tests.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TEXT = (
    "第一次去罗选志家，他把连心卡丢在柴堆上。大坪村6组12号，电话13800001234。"
    "后来他孙女罗家1捡回来了，说：爷爷，这个电话打得通。"
)


@pytest.fixture
def world():
    w = build_world()
    do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    return w


def test_it_publishes_a_cadres_diary_as_a_story_without_the_households_name(world, open_page):
    # The cadre writes the diary from the header's menu, on the phone.
    cadre = signed_in(open_page, "malin", PHONE)
    menu(cadre).locator(".nav a", has_text="日记").click()
    cadre.locator("[data-write-diary]").click()
    # The day is filled in (today) as the date picker reads it.
    assert cadre.locator("#id_date").input_value() == today().isoformat()
    cadre.fill("#id_title", "一张捡回来的连心卡")
    cadre.fill("#id_text", TEXT)
    cadre.check(f"input[name=households][value='{world.household.pk}']")
    cadre.locator("[data-save-diary]").click()
    cadre.get_by_text("日记已保存").wait_for()
    diary = Diary.objects.get()
    assert diary.cadre == world.cadre and list(diary.households.all()) == [world.household]

    # Put forward as a story, without the household's consent to be named.
    cadre.locator("[data-submit-story]").click()
    cadre.get_by_text("已提交为暖心故事，等待审核").wait_for()
    assert cadre.locator("[data-story-status]").inner_text() == "待审核"
    story = Story.objects.get()
    assert story.status == StoryStatus.SUBMITTED and not story.consent_to_name

    # The organisation department (the city administrator) reads the public copy, publishes.
    reviewer = signed_in(open_page, "city", PHONE)
    menu(reviewer).locator(".nav a", has_text="故事审核").click()
    reviewer.get_by_role("link", name="一张捡回来的连心卡").click()
    preview = reviewer.locator("[data-preview]")
    assert "罗某某" in preview.inner_text() and "罗选志" not in preview.inner_text()
    reviewer.locator("[data-publish]").click()
    reviewer.get_by_text("已发布到暖心故事页面").wait_for()
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED and story.reviewer == world.city_admin

    # The cadre is told: 通知 shows one unread, the story's page links to the public copy.
    cadre.reload()
    assert menu(cadre).locator("[data-notices] [data-unread]").inner_text() == "1"

    # Anyone, with no login: the story, the township, the surname only.
    public = open_page(PHONE)
    public.goto(reverse("stories:public_list"))
    assert public.locator("[data-story]").count() == 1
    listed = public.locator("[data-story]").inner_text()
    public.get_by_role("link", name="一张捡回来的连心卡").click()
    public.wait_for_url(f"**{reverse('stories:public_detail', args=[story.pk])}")
    shown = listed + public.locator("main").inner_text()
    assert "罗某某" in shown and "文井江镇" in shown and "柴堆" in shown
    for personal in (
        "罗选志",
        "罗家1",
        "大坪村",
        "6组12号",
        "13800001234",
        world.household.number,
    ):
        assert personal not in shown, personal
    assert public.locator("[data-menu-button]").count() == 0  # a public page: no menu


def test_it_records_the_households_tap_once_a_month(world, open_page):
    token = do_issue_token(world.household, acting_user=None).token
    url = reverse("cards:public", args=[token])
    # Two phones in the family open the card before either taps.
    first, second = open_page(PHONE), open_page(PHONE)
    first.goto(url)
    second.goto(url)
    assert VisitConfirmation.objects.count() == 0

    first.get_by_role("button", name="本月联系干部来过了/联系过我").click()
    first.locator("[data-confirmed]").wait_for()
    assert first.locator("[data-confirm-tap]").count() == 0  # tapped: no button any more
    assert VisitConfirmation.objects.count() == 1
    row = VisitConfirmation.objects.get()
    assert row.household == world.household and row.month == today().replace(day=1)

    # The second tap the same month: the same answer, no second row, no second audit row.
    second.get_by_role("button", name="本月联系干部来过了/联系过我").click()
    second.locator("[data-confirmed]").wait_for()
    assert VisitConfirmation.objects.count() == 1
    assert AuditEntry.objects.filter(action="群众确认联系").count() == 1
    # Nothing about the household before or after the tap.
    for page in (first, second):
        text = page.locator("body").inner_text()
        for personal in ("罗选志", world.household.number, "6组12号"):
            assert personal not in text, personal

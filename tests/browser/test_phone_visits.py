"""The cadre's phone (issue 10, points 3 and 4) at 390×844: 我联系的户, a visit in at most 3 taps,
two more with no signal that wait in the outbox (and survive a reload offline), then are sent
once each when the signal returns; the layout of both pages at 360 px and on a desk."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from lianxin.notices.reminders import do_send_visit_reminders
from lianxin.pairing.services import do_pair
from lianxin.visits.models import Visit, VisitHousehold
from tests.browser.conftest import menu
from tests.browser.test_accounts_flow import signed_in
from tests.browser.test_layout import NARROW, WIDE, _check
from tests.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    w = build_world()
    do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    do_pair(cadre=w.cadre, household=w.household2, acting_user=None)
    return w


def _row(page, household):
    return page.locator(f"[data-plan-row][data-household='{household.pk}']")


def _ready_offline(page):
    """The worker is installed and has kept the page and every household's form."""
    page.locator("[data-offline-ready]").wait_for(state="visible", timeout=20000)


def test_it_logs_visits_in_3_taps_and_sends_those_made_offline_once(world, open_page):
    page = signed_in(open_page, "malin", PHONE)
    assert urlsplit(page.url).path == "/"  # the cadre's home
    assert page.locator("h1").first.text_content().startswith("我联系的户")
    _ready_offline(page)

    # The common case: in person, met the head, nothing raised — counted tap by tap.
    taps = 0
    _row(page, world.household).locator("[data-record]").click()
    taps += 1
    page.wait_for_url(f"**{reverse('visits:new', args=[world.household.pk])}")
    page.locator("[data-save]").click()
    taps += 1
    page.wait_for_url(lambda url: url.endswith("/") and "/visits/" not in url)
    assert taps <= 3
    page.locator("[data-flash]").wait_for(state="visible")
    assert Visit.objects.count() == 1
    first = Visit.objects.get()
    assert first.idempotency_key is not None and first.mode == "in_person"
    row = VisitHousehold.objects.get()
    assert row.met and row.household_id == world.household.pk
    assert list(row.member_rows.values_list("resident__name", flat=True)) == ["罗选志"]

    # No signal: two more visits wait in the outbox.
    context = page.context
    context.set_offline(True)
    for household in (world.household2, world.household):
        _row(page, household).locator("[data-record]").click()
        page.wait_for_url(f"**{reverse('visits:new', args=[household.pk])}")
        page.locator("[data-save]").click()
        page.wait_for_url(lambda url: "/visits/" not in url)
    count = page.locator("[data-outbox-count]")
    page.locator(".outbox-count").wait_for(state="visible")
    assert count.text_content() == "2"
    assert "2 条待发送" in page.locator("[data-outbox]").inner_text().replace("\n", "")
    assert _row(page, world.household2).locator("[data-pending-for]").is_visible()
    assert Visit.objects.count() == 1

    # A reload with no signal still shows them (the page from the worker, the outbox from
    # IndexedDB).
    page.reload()
    page.locator(".outbox-count").wait_for(state="visible")
    assert "2 条待发送" in page.locator("[data-outbox]").inner_text().replace("\n", "")
    assert Visit.objects.count() == 1

    # The signal returns: each is sent once.
    context.set_offline(False)
    page.locator(".outbox-count").wait_for(state="hidden", timeout=20000)
    sent = page.locator("[data-outbox-sent]")
    sent.wait_for(state="visible")
    assert "罗选志户" in sent.text_content() and "张三丰户" in sent.text_content()
    assert Visit.objects.count() == 3
    keys = list(Visit.objects.values_list("idempotency_key", flat=True))
    assert None not in keys and len(set(keys)) == 3
    assert VisitHousehold.objects.filter(household=world.household).count() == 2
    assert VisitHousehold.objects.filter(household=world.household2).count() == 1

    # Nothing is sent twice however often the page flushes again.
    page.reload()
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 3

    # Signing out empties the kept pages (the households and their numbers) on this phone.
    kept = "async () => (await (await caches.open('lianxin-pages')).keys()).length"
    assert page.evaluate(kept) >= 3
    menu(page)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/**")
    page.wait_for_function(f"({kept})().then(n => n === 0)")


def test_it_keeps_a_refused_visit_visible_with_its_reason(world, open_page):
    """A visit the server will never accept (dated after today) stays in the outbox, marked
    failed with the server's reason, until the cadre deletes it."""
    page = signed_in(open_page, "malin", PHONE)
    _ready_offline(page)
    page.context.set_offline(True)
    _row(page, world.household).locator("[data-record]").click()
    page.locator("details.more > summary").click()
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    page.fill("input[name=occurred_on]", tomorrow.isoformat())
    page.locator("[data-save]").click()
    page.wait_for_url(lambda url: "/visits/" not in url)
    page.context.set_offline(False)
    failed = page.locator("[data-outbox-item=failed]")
    failed.wait_for(state="visible", timeout=20000)
    assert "晚于今天" in failed.text_content()
    assert page.locator("[data-outbox-count]").text_content() == "1"
    page.reload()
    failed.wait_for(state="visible")
    assert Visit.objects.count() == 0
    page.once("dialog", lambda d: d.accept())
    failed.get_by_role("button", name="删除").click()
    page.locator("[data-outbox-item]").wait_for(state="detached")
    assert Visit.objects.count() == 0


def _targets(page, selector):
    boxes = page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)",
    )
    assert boxes, selector
    assert min(boxes) >= 44, (selector, boxes)


@pytest.mark.parametrize("viewport", [NARROW[0], WIDE], ids=["360", "wide"])
def test_it_lays_out_the_phone_pages(world, open_page, viewport):
    do_send_visit_reminders()  # malin's households are due: the header shows 通知 with a count
    page = signed_in(open_page, "malin", viewport)
    _check(page, "/", viewport)
    _targets(page, "[data-record], [data-call], .tile, .foot a")
    # The plan's status and the unread count are two looks, not one class overriding the other.
    status = page.locator("[data-plan-row] .badge").first
    unread = page.locator("[data-notices] [data-unread]")
    assert unread.inner_text() == "1"
    assert status.evaluate("e => getComputedStyle(e).backgroundColor") != unread.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    if viewport["width"] < 768:
        # The header's menu, opened, with 走访, 走访统计, 日记 and 通知: each a thumb's target.
        menu(page)
        _targets(page, ".nav a, .who a, .who button")
        for name in ("走访", "走访统计", "日记"):
            assert page.locator(".nav").get_by_role("link", name=name, exact=True).is_visible()
        assert unread.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 1
    form = reverse("visits:new", args=[world.household.pk])
    page.goto(form)
    _check(page, form, viewport)
    _targets(page, "[data-save]")
    page.locator("details.more > summary").click()
    _check(page, form + " (opened)", viewport)
    _targets(page, ".visit-form .choice, .visit-form details.more > summary")

"""Every role's pages at 360, 390 and 1366 px (issue 8): the header fits on one line or folds
into a menu that opens with every link tappable, no page scrolls sideways, and no table clips a
column (each table frame's scrollWidth fits its clientWidth)."""

import pytest
from django.urls import reverse

from lianxin.pairing.services import do_pair
from tests.browser.test_accounts_flow import signed_in
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERNAMES = [
    "city",
    "wenjing",
    "daping",
    "daoming",
    "malin",
    "minzheng",
    "info",
    "leader",
    "sysadmin",
    "secadmin",
    "auditor",
]
NARROW = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
WIDE = {"width": 1366, "height": 768}

MEASURE = """() => {
  const doc = document.documentElement;
  const bar = document.querySelector('[data-topbar]');
  const button = bar && bar.querySelector('[data-menu-button]');
  return {
    overflow: doc.scrollWidth - doc.clientWidth,
    clipped: [...document.querySelectorAll('.table-wrap')]
      .filter(w => w.scrollWidth > w.clientWidth + 1)
      .map(w => (w.querySelector('th') || w).textContent.trim().slice(0, 20)),
    header: bar ? bar.getBoundingClientRect().height : 0,
    compact: !!bar && bar.classList.contains('compact'),
    button: !!button && button.offsetParent !== null,
  };
}"""


@pytest.fixture
def world():
    w = build_world()
    do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    return w


def _check(page, url, viewport, *, signed_in=True):
    """No sideways scrolling, no clipped table, a one-line header; on a phone a signed-in
    page's menu folds behind its button (a public page has no menu)."""
    m = page.evaluate(MEASURE)
    where = (url, viewport["width"])
    assert m["overflow"] <= 1, (*where, "scrolls sideways", m["overflow"])
    assert not m["clipped"], (*where, "clips a table", m["clipped"])
    assert m["header"] <= 64, (*where, "header on more than one line", m["header"])
    if signed_in and viewport["width"] < 768:
        assert m["compact"] and m["button"], (*where, "no menu button on a phone")


def _pages(page, world):
    """The home page, every page of the menu, and the detail pages the role may open."""
    urls = [
        "/",
        *page.eval_on_selector_all(".nav a", "els => els.map(e => e.getAttribute('href'))"),
    ]
    details = [
        reverse("people:household_detail", args=[world.household.pk]),
        reverse("org:cadre_detail", args=[world.cadre.pk]),
        reverse("geo:region_detail", args=[world.village.pk]),
        reverse("org:unit_detail", args=[world.unit.pk]),
        # The forms issue 8 changed: the 户号 rule, the pickers, the end-date questions.
        reverse("people:number_rule"),
        reverse("people:household_edit", args=[world.household.pk]),
        reverse("org:cadre_leave", args=[world.cadre.pk]),
        reverse("pairing:policy"),
    ]
    return urls, details


def _visit_all(page, world, viewport):
    urls, details = _pages(page, world)
    for url in urls + details:
        response = page.goto(url)
        assert response is not None
        if url in details and response.status in (403, 404):
            continue  # not this role's page: the Chinese 403/404 page, checked elsewhere
        assert response.status == 200, (url, response.status)
        _check(page, url, viewport)


@pytest.mark.parametrize("username", USERNAMES)
def test_it_lays_out_every_page_of_every_role_on_a_desk(world, open_page, username):
    page = signed_in(open_page, username, WIDE)
    _visit_all(page, world, WIDE)
    assert page.locator("[data-menu-button]").is_hidden()


@pytest.mark.parametrize("username", USERNAMES)
def test_it_lays_out_every_page_of_every_role_on_a_phone(world, open_page, username):
    for viewport in NARROW:
        page = signed_in(open_page, username, viewport)
        menu = page.locator("#site-menu")
        button = page.locator("[data-menu-button]")
        assert menu.is_hidden() and button.get_attribute("aria-expanded") == "false"
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        links = page.locator(".nav a")
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["height"] >= 40, ("tap target", box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
        assert page.get_by_role("button", name="退出").is_visible()
        page.keyboard.press("Escape")
        assert menu.is_hidden()
        if viewport["width"] == 360:
            _visit_all(page, world, viewport)
        else:
            _check(page, "/", viewport)


def test_it_wraps_the_header_on_a_phone_without_a_script(world, browser, live_server):
    """Without JavaScript the menu cannot fold: its links wrap, every one on screen."""
    context = browser.new_context(
        base_url=live_server.url, viewport=NARROW[0], java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "city")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    links = page.locator(".nav a")
    assert links.count() > 5
    for i in range(links.count()):
        assert links.nth(i).is_visible()
        box = links.nth(i).bounding_box()
        assert box["x"] + box["width"] <= NARROW[0]["width"] + 1
    assert page.get_by_role("button", name="退出").is_visible()
    context.close()


# --- issue 10's pages: visit history, notices, diaries and stories, the public card ------------

LONG = "老人说腿脚不好，想问问慢病补助怎么办；孙女在县城读书，周末才回来。" * 3


@pytest.fixture
def program(world):
    """The world with what issue 10's pages show: a visit with long text and a need, the
    morning's notices, a diary put forward (waiting for review), a published story, a card."""
    from lianxin.cards.services import do_issue_token
    from lianxin.core.models import today
    from lianxin.notices.reminders import do_send_visit_reminders
    from lianxin.stories.services import do_publish_story, do_submit_story, do_write_diary
    from lianxin.visits.services import Need, Visited, do_record_visit

    do_pair(cadre=world.cadre, household=world.household2, acting_user=None)
    malin = world.cadre_user
    world.visit = do_record_visit(
        acting_user=malin,
        households=[Visited(world.household, met=True)],
        occurred_on=today(),
        mode="in_person",
        heard=LONG,
        notes=LONG,
        help_kind="policy",
        help_text=LONG,
        needs=[Need(world.household, "慢病补助申请表" + LONG)],
    ).visit
    do_send_visit_reminders()
    published = do_write_diary(
        acting_user=malin, title="一张捡回来的连心卡", text=LONG, date=today()
    )
    do_publish_story(do_submit_story(published, acting_user=malin), acting_user=world.city_admin)
    world.diary = do_write_diary(
        acting_user=malin,
        title="院坝会上大家说的事情" * 3,
        text=LONG,
        date=today(),
        visits=[world.visit],
        households=[world.household],
    )
    world.story = do_submit_story(world.diary, acting_user=malin)
    world.published = published.story
    world.card = do_issue_token(world.household, acting_user=None).token
    return world


def _targets(page, url, selector):
    """Every visible tap target the selector names (if the page has any) is at least 44 px high."""
    boxes = page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.offsetParent)"
        ".map(e => [e.textContent.trim().slice(0, 12), e.getBoundingClientRect().height])",
    )
    low = [b for b in boxes if b[1] < 44]
    assert not low, (url, "tap targets under 44 px", low)


# The buttons and choices of the cadre's pages (links inside tables are read on a desk too).
CADRE_TARGETS = "main button, main .button, main fieldset.choices label, main .actions a"


def _open(page, url, viewport, *, signed_in=True, targets=None):
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    _check(page, url, viewport, signed_in=signed_in)
    if targets and viewport["width"] < 768:
        _targets(page, url, targets)


@pytest.mark.parametrize("viewport", [*NARROW, WIDE], ids=["360", "390", "wide"])
def test_it_lays_out_the_visit_notice_and_story_pages(program, open_page, viewport):
    page = signed_in(open_page, "malin", viewport)
    for url in (
        reverse("visits:visit_list"),
        reverse("visits:visit_detail", args=[program.visit.pk]),
        reverse("notices:notice_list"),
        reverse("stories:diary_list"),
        reverse("stories:diary_new"),
        reverse("stories:diary_detail", args=[program.diary.pk]),
    ):
        _open(page, url, viewport, targets=CADRE_TARGETS)
    assert page.locator("[data-story-status]").inner_text() == "待审核"

    reviewer = signed_in(open_page, "city", viewport)
    for url in (
        reverse("visits:visit_list"),
        reverse("visits:visit_detail", args=[program.visit.pk]),
        reverse("stories:review_list"),
        reverse("stories:review_detail", args=[program.story.pk]),
    ):
        _open(reviewer, url, viewport)
    assert reviewer.locator("[data-publish]").is_visible()

    public = open_page(viewport)
    for url in (
        reverse("stories:public_list"),
        reverse("stories:public_detail", args=[program.published.pk]),
    ):
        _open(public, url, viewport, signed_in=False)
    card = reverse("cards:public", args=[program.card])
    _open(public, card, viewport, signed_in=False, targets="[data-confirm-tap], a.call")
    public.locator("[data-confirm-tap]").click()
    public.locator("[data-confirmed]").wait_for()
    _check(public, card + " (confirmed)", viewport, signed_in=False)


@pytest.mark.parametrize("viewport", [*NARROW, WIDE], ids=["360", "390", "wide"])
def test_it_lays_out_the_pager_of_a_list_past_its_count_cap(program, open_page, viewport, settings):
    """The history's pager past LIANXIN_COUNT_CAP says so in a longer line: it must wrap, not
    push the page sideways."""
    from lianxin.core.models import today
    from lianxin.visits.services import Visited, do_record_visit

    do_record_visit(
        acting_user=program.cadre_user,
        households=[Visited(program.household2, met=True)],
        occurred_on=today(),
        mode="phone",
    )
    settings.LIANXIN_COUNT_CAP = 1
    page = signed_in(open_page, "city", viewport)
    _open(page, reverse("visits:visit_list"), viewport)
    assert "超过 1 条，请用日期等条件缩小范围" in page.locator(".pager").inner_text()

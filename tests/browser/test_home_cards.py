"""Each role's home in the browser (issue 8, point 12): every card's link opens a list whose
total ("共 N 条") is the card's figure; a cadre's account not linked to a cadre record is told so
on a phone."""

import re

import pytest

from lianxin.accounts.choices import Role
from lianxin.pairing.services import do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.browser.test_accounts_flow import signed_in
from tests.browser.test_layout import NARROW, USERNAMES, WIDE
from tests.factories import build_world, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOTAL = re.compile(r"共 ([\d,]+) 条")


@pytest.fixture
def world():
    w = build_world()
    do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    do_add_hardship(w.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    return w


def _figure(text):
    return int(text.strip().replace(",", ""))


# malin's home is 我联系的户: its figures count its own rows (tests/visits/test_phone_page.py).
@pytest.mark.parametrize("username", [u for u in USERNAMES if u != "malin"])
def test_it_opens_exactly_the_rows_each_home_card_counts(world, open_page, username):
    page = signed_in(open_page, username, WIDE)
    cards = page.eval_on_selector_all(
        "[data-home-card]",
        "els => els.map(e => [e.getAttribute('href'), e.querySelector('.num').textContent,"
        " e.querySelector('.label').textContent])",
    )
    assert cards, f"{username}'s home has no cards"
    for href, figure, label in cards:
        response = page.goto(href)
        assert response is not None and response.status == 200, (username, label, href)
        pager = page.locator(".pager span")
        shown = TOTAL.search(pager.first.text_content() or "") if pager.count() else None
        total = _figure(shown.group(1)) if shown else 0
        assert total == _figure(figure), (username, label, href)


def test_it_tells_an_unlinked_cadre_on_a_phone(world, open_page):
    user(world.county, Role.CADRE, "zhangwei", unit=world.unit)
    page = signed_in(open_page, "zhangwei", NARROW[0])
    assert page.locator("[data-no-cadre]").is_visible()
    assert page.locator("[data-home-card]").count() == 0
    assert (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 1
    )

"""The rates page (/visits/rates/) at phone and desk widths: no sideways scrolling, no clipped
table, the definitions on screen beside the figures, and the drill from township to village to
cadre by tapping the rows."""

import datetime as dt

import pytest

from lianxin.core.models import today
from lianxin.visits.choices import VisitMode
from tests.browser.test_accounts_flow import signed_in
from tests.browser.test_layout import NARROW, WIDE, _check
from tests.factories import build_world
from tests.visits.support import pair, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    w = build_world()
    since = today() - dt.timedelta(days=45)
    pair(w, w.household, since=since)
    pair(w, w.household2, since=since)
    visit(w, w.household, today())
    visit(w, w.household2, today(), mode=VisitMode.PHONE)
    return w


@pytest.mark.parametrize("viewport", [*NARROW, WIDE], ids=lambda v: str(v["width"]))
def test_it_lays_out_the_rates_and_drills_down(world, open_page, viewport):
    page = signed_in(open_page, "city", viewport)
    page.goto("/visits/rates/")
    _check(page, "/visits/rates/", viewport)
    assert page.get_by_text("见面率 = 统计期内当面见到人").first.is_visible()
    page.get_by_role("link", name="文井江镇").click()
    page.wait_for_url("**level=village**")
    _check(page, page.url, viewport)
    page.get_by_role("link", name="大坪村").click()
    page.wait_for_url("**level=cadre**")
    _check(page, page.url, viewport)
    assert page.get_by_text("马林增").is_visible()
    page.get_by_role("link", name="按单位").click()
    page.wait_for_url("**level=unit**")
    _check(page, page.url, viewport)
    page.goto("/visits/rates/?period=2025-01-01..2025-12-31&level=cadre")
    _check(page, page.url, viewport)

"""结束结对 at phone width (390 px): the click asks once, naming the cadre, the household and
the chosen last day; dismissing the question changes nothing; accepting it ends the pairing
and the page says today is its last day instead of showing the cadre as plainly current.
Manual pairing with another cadre (改由其他干部联系) ends the current pairing too: it asks
the same way, naming the pairing it ends, its last day and the cadre chosen."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from lianxin.core.models import today
from lianxin.org.services import do_create_cadre
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_pair
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paired():
    w = build_world()
    pairing = do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    Pairing.objects.filter(pk=pairing.pk).update(valid_from=today() - dt.timedelta(days=30))
    return w, pairing


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def test_it_asks_with_the_names_and_a_dismissal_changes_nothing(open_page, paired):
    world, pairing = paired
    page = open_page({"width": 390, "height": 844})
    _sign_in(page, world.city_admin.username)
    page.goto(f"/people/households/{world.household.pk}/")
    button = page.get_by_role("button", name="结束结对")
    expect(button).to_be_visible()
    # The default end day is shown on the form with its meaning.
    expect(page.locator("input[data-end-date]")).to_have_value(today().isoformat())
    expect(page.locator(".end-rule").first).to_contain_text("当天仍计入，次日起不再计入")

    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    button.click()
    page.wait_for_timeout(300)
    assert asked == [
        f"结束 马林增 与 罗选志户（51018411000000001） 的结对？最后一天：{today():%Y-%m-%d}（今天），"
        "次日起不再计入。"
    ]
    pairing.refresh_from_db()
    assert pairing.valid_to is None
    expect(button).to_be_visible()
    expect(page.locator(".messages")).to_have_count(0)

    # Accepted, with the date as chosen: the page shows the new state.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        button.click()
    pairing.refresh_from_db()
    assert pairing.valid_to == today()
    expect(page.get_by_text("今天结束").first).to_be_visible()
    expect(page.get_by_role("button", name="结束结对")).to_have_count(0)
    body = page.locator("main")
    expect(body).to_contain_text(f"今天（{today():%Y-%m-%d}）为最后一天，明天起不再计入")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_it_asks_before_manual_pairing_hands_the_household_over(open_page, paired):
    world, pairing = paired
    other = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    page = open_page({"width": 390, "height": 844})
    _sign_in(page, world.city_admin.username)
    page.goto(f"/people/households/{world.household.pk}/")
    page.get_by_role("link", name="改由其他干部联系").click()
    select = page.get_by_label("结对干部")
    button = page.get_by_role("button", name="结对", exact=True)

    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    # The current cadre again ends nothing: no question, the form is sent (and locks it).
    select.select_option(str(world.cadre.pk))
    page.on("dialog", dismiss)
    with page.expect_navigation():
        button.click()
    assert asked == []
    pairing.refresh_from_db()
    assert pairing.valid_to is None and pairing.locked

    # Another cadre: asked once with the names; dismissed, nothing changes.
    page.get_by_role("link", name="改由其他干部联系").click()
    page.get_by_label("结对干部").select_option(str(other.pk))
    page.get_by_role("button", name="结对", exact=True).click()
    page.wait_for_timeout(300)
    yesterday = today() - dt.timedelta(days=1)
    assert asked == [
        f"将结束 马林增 与 罗选志户（51018411000000001） 的结对，最后一天为 {yesterday:%Y-%m-%d}"
        "（昨天）；自今天起改由 王新（中共崇州市委宣传部） 联系。确定？"
    ]
    pairing.refresh_from_db()
    assert pairing.valid_to is None
    expect(page.locator("h1")).to_contain_text("手工结对")

    # Accepted: the household page shows the new cadre, and the banner what ended when.
    page.remove_listener("dialog", dismiss)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="结对", exact=True).click()
    pairing.refresh_from_db()
    assert pairing.valid_to == yesterday
    expect(page.locator(".messages")).to_contain_text(
        f"马林增与户51018411000000001的结对：已于{yesterday:%Y-%m-%d}结束；自今天起由王新联系"
    )
    cadre = page.locator("dt", has_text="结对干部").locator("xpath=following-sibling::dd[1]")
    expect(cadre).to_contain_text("王新")
    expect(cadre).not_to_contain_text("马林增")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

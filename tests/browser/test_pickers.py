"""The pickers at a phone's width (390 px): township → village → group in the household form,
and a cadre chosen by pinyin initials for the exclusion form, by keyboard."""

import pytest
from playwright.sync_api import expect

from lianxin.pairing.models import CadreExclusion
from lianxin.pairing.policy import policy_for
from lianxin.people.models import Household
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    return build_world()


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def _fits(page):
    width = page.evaluate("[document.body.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width


def test_it_chooses_township_village_group_and_saves(world, open_page):
    page = open_page(PHONE)
    _sign_in(page, world.city_admin.username)
    page.goto("/people/households/new/")
    page.fill("#id_number", "51018411000000200")
    page.select_option("#id_region_township", label="文井江镇")
    # The village list now holds the chosen township's villages only.
    village = page.locator("#id_region_village")
    expect(village.locator("option", has_text="双河村")).to_have_count(1)
    expect(village.locator("option", has_text="三龙村")).to_have_count(0)
    page.select_option("#id_region_village", label="大坪村")
    group = page.locator("#id_region")
    expect(group.locator("option", has_text="7组")).to_have_count(1)
    page.select_option("#id_region", label="7组")
    box = group.bounding_box()
    assert box is not None and box["height"] >= 40
    _fits(page)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/residents/new/")
    assert Household.objects.get(number="51018411000000200").region_id == world.group2.pk


def test_it_chooses_a_cadre_by_pinyin_initials_with_the_keyboard(world, open_page):
    page = open_page(PHONE)
    _sign_in(page, world.city_admin.username)
    page.goto("/pairing/policy/")
    box = page.locator("#id_cadre")
    expect(page.get_by_label("干部*", exact=True)).to_have_count(1)  # its label names it
    box.fill("mlz")
    results = page.locator("#id_cadre_results")
    expect(results.locator("li[role=option]").first).to_contain_text("马林增")
    box.press("ArrowDown")
    box.press("ArrowUp")
    box.press("Enter")
    chip = page.locator(".picker-chip")
    expect(chip).to_contain_text("马林增")
    expect(results).to_be_hidden()
    # Escape closes a list without choosing.
    box.fill("li")
    expect(results).to_be_visible()
    box.press("Escape")
    expect(results).to_be_hidden()
    _fits(page)
    page.fill("#id_reason", "病假")
    page.get_by_role("button", name="设置不参与结对").click()
    expect(page.locator(".messages")).to_contain_text("马林增已设置为不参与结对")
    assert CadreExclusion.objects.get().cadre_id == world.cadre.pk


def test_it_narrows_the_village_filters_to_the_chosen_township(world, open_page):
    page = open_page(PHONE)
    _sign_in(page, world.city_admin.username)
    for url, township, village in (
        ("/people/households/", "#id_township", "#id_village"),
        ("/transfer/", "#export_township", "#export_village"),
    ):
        page.goto(url)
        options = page.locator(f"{village} option")
        expect(options).to_have_count(4)  # 全部 and the three villages
        page.select_option(township, label="道明镇")
        expect(options).to_have_count(2)
        expect(options.nth(1)).to_have_text("三龙村")
        # A filter leaves the only village at 全部: choosing it would narrow the list unasked.
        expect(page.locator(village)).to_have_value("")
        _fits(page)


def test_it_sends_typed_regions_not_chosen_from_the_results(world, open_page):
    """Text typed and not chosen reaches the server, which resolves it by exact name (or says
    what it did not find): it is never dropped, so the policy cannot save without it."""
    page = open_page(PHONE)
    _sign_in(page, world.city_admin.username)
    page.goto("/pairing/policy/")
    page.check("input[name=coverage][value=regions]")
    page.fill("#id_regions", "双河")
    expect(page.locator("#id_regions_results li[role=option]").first).to_contain_text("双河村")
    page.locator("#id_regions_results li[role=option]").first.click()
    expect(page.locator(".picker-chip", has_text="双河村")).to_have_count(1)
    page.fill("#id_regions", "大坪村")
    page.locator("#id_regions").press("Escape")
    page.get_by_role("button", name="保存结对规则").click()
    expect(page.locator(".messages")).to_be_visible()
    assert set(policy_for(world.county).regions.all()) == {world.village, world.village2}

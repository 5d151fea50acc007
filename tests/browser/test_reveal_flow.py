"""The flow the issue names: a township staffer drills down to a household, reveals an ID number
with a reason, the audit administrator finds the reveal; an outsider gets 404 by URL and API."""

import re

import pytest
from playwright.sync_api import expect

from lianxin.core.sensitive import unseal_field
from tests.browser.conftest import menu
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    return build_world()


def test_it_drills_down_reveals_with_a_reason_and_audits(world, page, sign_in):
    head = world.household.members.get(relation="head")
    full = unseal_field(head, "id_number")

    sign_in("wenjing", PASSWORD)
    menu(page).get_by_role("link", name="区划").first.click()
    expect(page.locator("h1")).to_contain_text("文井江镇")
    expect(page.locator(".crumbs")).to_contain_text("崇州市")
    page.get_by_role("link", name="大坪村").click()
    expect(page.locator("h1")).to_contain_text("大坪村")
    page.get_by_role("link", name="6组").click()
    expect(page.locator("h1")).to_contain_text("6组")
    page.get_by_role("link", name="51018411000000001").click()
    expect(page.locator("h1")).to_contain_text("51018411000000001")

    # Masked on the household page, in full nowhere.
    expect(page.locator("body")).to_contain_text(head.id_number_masked)
    assert full not in page.content()

    page.get_by_role("link", name=head.name).click()
    block = page.locator("#reveal-id_number")
    expect(block).to_contain_text(head.id_number_masked)
    block.locator("summary").click()
    block.locator("button").click()  # no reason given: refused, nothing revealed
    expect(page.locator("#reveal-id_number .error")).to_contain_text("事由")
    assert full not in page.content()
    page.locator("#reveal-id_number input[name=reason]").fill("核实低保申请材料")
    page.locator("#reveal-id_number button").click()
    expect(page.locator("#reveal-id_number")).to_contain_text(full)

    menu(page).get_by_role("button", name="退出").click()
    sign_in("auditor", PASSWORD)
    page.goto("/audit/")
    row = page.locator("tr", has_text="查看完整信息").first
    expect(row).to_contain_text("核实低保申请材料")
    expect(row).to_contain_text("wenjing")


def test_it_answers_404_to_an_outsider_by_url_and_by_api(world, page, sign_in):
    sign_in("daoming", PASSWORD)
    response = page.goto(f"/people/households/{world.household.pk}/")
    assert response.status == 404
    api = page.request.get(f"/api/households/{world.household.pk}")
    assert api.status == 404
    assert "权限范围" in api.json()["detail"]
    # Their own household is there, for contrast.
    assert page.goto(f"/people/households/{world.other_household.pk}/").status == 200


def test_it_lets_a_leader_drill_from_the_county_without_revealing(world, page, sign_in):
    sign_in("leader", PASSWORD)
    page.goto("/geo/")
    expect(page.locator("h1")).to_contain_text("崇州市")
    page.get_by_role("link", name="文井江镇").click()
    page.get_by_role("link", name="大坪村").click()
    page.get_by_role("link", name="6组").click()
    page.get_by_role("link", name="51018411000000001").click()
    head = world.household.members.get(relation="head")
    page.get_by_role("link", name=head.name).click()
    expect(page.locator("#reveal-id_number")).to_contain_text(head.id_number_masked)
    expect(page.locator("#reveal-id_number summary")).to_have_count(0)
    assert re.search(r"\d{6}\*{8}\w{4}", page.content())

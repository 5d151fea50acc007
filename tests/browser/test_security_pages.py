"""The pages issue 6 added or changed, at a phone width and a desktop width: each opens with its
Chinese heading, passes the Content-Security-Policy (the open_page fixture) and never makes the
page itself scroll sideways (a wide table scrolls inside its own frame)."""

import pytest
from django.urls import reverse

from lianxin.accounts.choices import Role
from lianxin.accounts.services import do_create_user
from lianxin.core.sensitive import unseal_field
from lianxin.people.choices import Relation
from tests.browser.test_accounts_flow import DESKTOP, PHONE, signed_in
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    w = build_world()
    # One account waiting for approval, so the approval list has a row to lay out.
    w.waiting = do_create_user(
        county=w.county,
        username="liqiang",
        password=PASSWORD + "Aa#",
        role=Role.CADRE,
        unit=w.unit,
        acting_user=w.system_admin,
    )
    return w


def _pages(world):
    full = unseal_field(world.household.members.get(relation=Relation.HEAD), "id_number")
    return [
        ("sysadmin", reverse("transfer:limits"), 200, "导入限制"),
        ("sysadmin", reverse("accounts:admin_propose"), 200, "提议新建管理员账号"),
        ("sysadmin", reverse("accounts:user_reset_password", args=[world.cadre_user.pk]), 200, ""),
        ("sysadmin", reverse("accounts:user_change_access", args=[world.cadre_user.pk]), 200, ""),
        ("secadmin", reverse("accounts:proposal_list"), 200, "账号审批"),
        ("auditor", reverse("audit:entry_list"), 200, ""),
        # A URL carrying a full ID number is refused, on a page of its own.
        ("wenjing", reverse("people:search") + f"?q={full}", 400, "网址中不能含身份证号或手机号"),
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1366px"])
def test_it_lays_out_the_new_pages_at_phone_and_desktop_widths(world, open_page, viewport):
    pages = {}
    for username, url, status, heading in _pages(world):
        if username not in pages:
            pages[username] = signed_in(open_page, username, viewport)
        page = pages[username]
        response = page.goto(url)
        assert response is not None and response.status == status, url
        h1 = page.locator("h1").first.inner_text()
        assert h1.strip() and (not heading or heading in h1), (url, h1)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (url, viewport, overflow)

"""The page flows of issue 6, as a person uses them: a new account's owner changes the
password at first log-in, then the security administrator approves it (三员分立, two people
for an administrator), a search by a full ID number keeps the number out of every URL, and an idle
session ends on the next click."""

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from playwright.sync_api import expect

from lianxin.accounts.middleware import SEEN_AT
from lianxin.accounts.models import AccountProposal, User
from lianxin.core.sensitive import unseal_field
from tests.browser.conftest import menu
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
INITIAL = "Chushi-2026-mm"
GOOD = "Qiang#Lx-7391k"


@pytest.fixture
def world():
    return build_world()


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def signed_in(open_page, username, viewport=DESKTOP):
    page = open_page(viewport)
    log_in(page, username, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return page


def change_password(page, old, new):
    page.fill("#id_old_password", old)
    page.fill("#id_new_password", new)
    page.fill("#id_new_password_again", new)
    page.get_by_role("button", name="保存").click()


def test_it_creates_an_account_whose_owner_changes_the_password_before_approval(world, open_page):
    sysadmin = signed_in(open_page, "sysadmin")
    sysadmin.get_by_role("link", name="账号").first.click()
    sysadmin.get_by_role("link", name="新建账号").click()
    roles = sysadmin.locator("#id_role option").all_inner_texts()
    assert "乡镇（街道）工作人员" in roles
    assert not {"系统管理员", "安全管理员", "审计管理员"} & set(roles)
    sysadmin.fill("#id_username", "liqiang")
    sysadmin.fill("#id_full_name", "李强")
    sysadmin.select_option("#id_role", label="乡镇（街道）工作人员")
    sysadmin.select_option("#id_region", label="文井江镇")
    sysadmin.fill("#id_password", INITIAL)
    sysadmin.fill("#id_password_again", INITIAL)
    sysadmin.get_by_role("button", name="保存").click()
    expect(sysadmin.locator("body")).to_contain_text("请本人先登录并修改密码")

    # Not yet changed by its owner: the security administrator cannot approve it.
    security = signed_in(open_page, "secadmin")
    security.get_by_role("link", name="账号审批").first.click()
    expect(security.locator("h1")).to_have_text("账号审批")
    expect(security.locator("body")).to_contain_text("是您本人登录并设置了新密码吗")
    row = security.locator("tr", has_text="liqiang")
    expect(row).to_contain_text("乡镇（街道）工作人员")
    expect(row).to_contain_text("待本人登录修改密码")
    # Region staff are never in "approve all".
    expect(security.get_by_role("button", name=re.compile("全部批准"))).to_have_count(0)
    row.get_by_role("button", name="批准").click()
    expect(security.locator("body")).to_contain_text("请等本人登录并修改密码后再批准")
    assert not User.objects.get(username="liqiang").access_approved

    # The owner logs in first: every page leads to the change-password page.
    person = open_page(PHONE)
    log_in(person, "liqiang", INITIAL)
    person.wait_for_url("**/accounts/password/")
    expect(person.locator("body")).to_contain_text("请先设置您自己的新密码")
    for elsewhere in ("/", "/people/search/", f"/geo/{world.township.pk}/"):
        person.goto(elsewhere)
        assert person.url.endswith("/accounts/password/"), elsewhere

    change_password(person, INITIAL, "20262026")
    refused = person.locator("form.stack .has-error .error")
    expect(refused).to_contain_text("密码不符合要求：密码太短，至少 10 个字符")
    expect(refused).to_contain_text("至少 3 类")
    change_password(person, INITIAL, "Liqiang-2026#")
    expect(refused).to_contain_text("密码不能包含用户名")
    assert person.url.endswith("/accounts/password/")

    # Changed: signed out until the security administrator approves.
    change_password(person, INITIAL, GOOD)
    person.wait_for_url("**/accounts/login/**")
    expect(person.locator("body")).to_contain_text("已修改密码，待安全管理员审批后即可使用")
    log_in(person, "liqiang", GOOD)
    expect(person.locator(".login .error")).to_contain_text("尚待安全管理员审批")
    assert "/accounts/login/" in person.url

    # The security administrator has asked the person whether they set it, and approves.
    security.goto("/accounts/proposals/")
    row = security.locator("tr", has_text="liqiang")
    expect(row.locator(".waits-owner")).to_have_count(0)
    row.get_by_placeholder("意见（驳回必填）").fill("已电话核实本人改了密码")
    row.get_by_role("button", name="批准").click()
    expect(security.locator("body")).to_contain_text("已批准")
    assert User.objects.get(username="liqiang").access_approved

    # Now the owner uses the system.
    log_in(person, "liqiang", GOOD)
    person.wait_for_url(re.compile(r"/$"))
    expect(person.locator("h1")).to_contain_text("崇州市")
    expect(person.locator("body")).to_contain_text("李强")
    person.goto(f"/geo/{world.township.pk}/")
    expect(person.locator("h1")).to_contain_text("文井江镇")


def test_it_refuses_an_administrator_made_directly_and_needs_a_second_person(
    world, open_page, monkeypatch
):
    sysadmin = signed_in(open_page, "sysadmin")
    # The form does not offer the role; a tampered form that sends it anyway is refused.
    sysadmin.goto("/accounts/users/new/")
    sysadmin.evaluate(
        """() => {
        const option = document.createElement("option");
        option.value = "security_admin";
        option.textContent = "安全管理员";
        document.querySelector("#id_role").append(option);
    }"""
    )
    sysadmin.fill("#id_username", "anquan2")
    sysadmin.fill("#id_full_name", "王安")
    sysadmin.select_option("#id_role", "security_admin")
    sysadmin.fill("#id_password", INITIAL)
    sysadmin.fill("#id_password_again", INITIAL)
    sysadmin.get_by_role("button", name="保存").click()
    expect(sysadmin.locator("form.stack .has-error .error")).to_contain_text("选择一个有效的选项")
    assert not User.objects.filter(username="anquan2").exists()

    sysadmin.get_by_role("link", name="账号审批").first.click()
    sysadmin.get_by_role("link", name="提议新建管理员账号").click()
    sysadmin.fill("#id_username", "shenji2")
    sysadmin.fill("#id_full_name", "赵审")
    sysadmin.select_option("#id_role", label="审计管理员")
    sysadmin.fill("#id_reason", "审计管理员调岗，由赵审接任")
    sysadmin.get_by_role("button", name="保存").click()
    expect(sysadmin.locator("body")).to_contain_text("已提议新建管理员账号“shenji2”")
    row = sysadmin.locator("tr", has_text="shenji2")
    expect(row).to_contain_text("待审批")
    # The proposer is offered no approve button, and approving by hand is refused.
    expect(row.get_by_role("button", name="批准")).to_have_count(0)
    proposal = AccountProposal.objects.get(username="shenji2")
    token = sysadmin.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    answer = sysadmin.request.post(
        f"/accounts/proposals/{proposal.pk}/decide/",
        form={"csrfmiddlewaretoken": token, "approve": "1", "note": ""},
    )
    assert "提议人不能审批自己的提议" in answer.text()
    assert not User.objects.filter(username="shenji2").exists()

    security = signed_in(open_page, "secadmin")
    security.goto("/accounts/proposals/")
    security.locator("tr", has_text="shenji2").get_by_role("button", name="批准").click()
    expect(security.locator("h1")).to_contain_text("已新建审计管理员账号“shenji2”")
    # No password is shown to the approver: the owner sets it at the server.
    command = security.locator("code.admin-command").inner_text().strip()
    assert command == (
        "lianxin create-account --county 510184 --username shenji2 --role audit_admin "
        "--reset-password"
    )
    expect(security.locator("body")).to_contain_text("该账号现在没有密码")
    created = User.objects.get(username="shenji2")
    assert not created.has_usable_password()
    security.get_by_role("link", name="返回账号审批").click()
    sysadmin.goto("/accounts/proposals/?status=approved")
    expect(sysadmin.locator("tr", has_text="shenji2")).to_contain_text("已批准")

    # Until then nothing logs in as it.
    auditor = open_page(PHONE)
    log_in(auditor, "shenji2", INITIAL)
    expect(auditor.locator(".login .error")).to_contain_text("用户名或密码不正确")

    # The operator runs the command with the owner, who types the password there; one the owner
    # typed is not "set by someone else", so no forced change follows.
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", GOOD)
    call_command(
        "create_account",
        county="510184",
        username="shenji2",
        role="audit_admin",
        reset_password=True,
    )
    log_in(auditor, "shenji2", GOOD)
    auditor.wait_for_url(re.compile(r"/$"))
    auditor.get_by_role("link", name="查看审计日志").click()
    expect(auditor.locator("tr", has_text="批准").first).to_contain_text("secadmin")


def test_it_searches_by_a_full_id_number_without_putting_it_in_any_url(world, open_page):
    head = world.household.members.get(relation="head")
    full = unseal_field(head, "id_number")
    hidden = full[6:14]
    assert hidden not in head.id_number_masked

    page = open_page(PHONE)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    log_in(page, "wenjing", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))

    page.fill("input[name=q]", full)
    page.get_by_role("button", name="查找").click()
    page.wait_for_url("**/people/search/?t=*")
    result = page.locator("main")
    expect(result).to_contain_text(head.id_number_masked)
    expect(result).to_contain_text(head.name)
    assert full not in page.content()
    # The search box gives the number back masked, never in full.
    assert page.locator("input[name=q]").input_value() != full
    shown = page.url

    page.reload()
    assert page.url == shown
    expect(page.locator("main")).to_contain_text(head.id_number_masked)
    page.goto("/")
    page.go_back()
    assert page.url == shown
    expect(page.locator("main")).to_contain_text(head.id_number_masked)

    urls.append(page.url)
    assert len(urls) > 5
    assert [u for u in urls if full in u or hidden in u] == []


def test_it_signs_out_an_idle_session_on_the_next_click(world, open_page, settings):
    settings.LIANXIN_SESSION_IDLE_MINUTES = 1
    page = signed_in(open_page, "wenjing", PHONE)
    menu(page).get_by_role("link", name="区划").first.click()
    expect(page.locator("h1")).to_contain_text("文井江镇")

    # Two minutes pass without a request: moved back in the session store, not slept.
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[SEEN_AT] = time.time() - 120
    session.save()

    menu(page).get_by_role("link", name="居民", exact=True).click()
    page.wait_for_url("**/accounts/login/**")
    expect(page.locator("body")).to_contain_text(
        "您已超过 1 分钟未操作，为保护数据已自动退出，请重新登录"
    )
    # Signed out for real: the household page asks for a log-in again.
    page.goto(f"/people/households/{world.household.pk}/")
    assert "/accounts/login/" in page.url

"""Every ending, revoking and deleting action of the pages asks once, naming what it ends
(a data-confirm question that lianxin.js shows), and the page after it shows the new state:
an end dated today reads "今天结束" with the rule, never as plainly current."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from lianxin.accounts.choices import ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, User
from lianxin.accounts.services import do_create_user
from lianxin.cards.services import do_issue_token
from lianxin.core.models import today
from lianxin.org.models import CadreAssignment, LeaderLiaison, ResponsibilityZone
from lianxin.pairing.models import CadreExclusion, CardToken, Pairing, UnitLoadOverride
from lianxin.pairing.services import do_exclude_cadre, do_pair, do_set_unit_override
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.factories import PASSWORD


def ended_today() -> str:
    return f"已结束，今天（{today():%Y-%m-%d}）为最后一天，明天起不再计入"


def questions(page: str) -> list[str]:
    """The data-confirm questions on a page, unescaped. A question naming the chosen day
    ("{date}") must sit in a form with the date input lianxin.js reads it from."""
    for form in re.findall(r"<form\b.*?</form>", page, flags=re.S):
        if "{date}" in form:
            assert "data-end-date" in form, form
    return [html.unescape(q) for q in re.findall(r'data-confirm="([^"]*)"', page)]


def text(response) -> str:
    return response.content.decode()


def _back_dated(row, days: int = 30):
    # Rows made by the factories start today; an end today would then also be their first day.
    type(row).objects.filter(pk=row.pk).update(valid_from=today() - dt.timedelta(days=days))
    row.refresh_from_db()
    return row


# --- 结束结对 ------------------------------------------------------------------------------------


def test_it_ends_a_pairing_and_the_household_page_says_today_is_its_last_day(world, login):
    pairing = _back_dated(do_pair(cadre=world.cadre, household=world.household, acting_user=None))
    client = login(world.city_admin)
    url = reverse("people:household_detail", args=[world.household.pk])
    before = text(client.get(url))
    assert (
        "结束 马林增 与 罗选志户（51018411000000001） 的结对？最后一天：{date}，次日起不再计入。"
        in (questions(before))
    )
    assert f'data-today="{today():%Y-%m-%d}"' in before and "当天仍计入，次日起不再计入" in before

    after = client.post(
        reverse("pairing:pairing_end", args=[pairing.pk]),
        {"valid_to": today().isoformat()},
        follow=True,
    )

    page = text(after)
    assert f"马林增与户51018411000000001的结对：{ended_today()}" in page  # the banner
    # The cadre is still shown (today counts) but as ending today, and cannot be ended twice.
    assert "今天结束" in page and ended_today() in page
    assert ">结束结对</button>" not in page and "锁定结对" not in page
    assert Pairing.objects.current().filter(pk=pairing.pk).exists()
    # The household list still names today's cadre, marked as ending today.
    listed = text(client.get(reverse("people:household_list")))
    assert "马林增" in listed and "今天结束" in listed


# --- 手工结对：改由其他干部联系 ------------------------------------------------------------------


def _second_cadre(world):
    from lianxin.org.services import do_create_cadre

    return do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)


def test_it_asks_before_manual_pairing_ends_the_current_pairing(world, login):
    """Pairing the household with another cadre ends its current pairing: the button asks
    once, naming the pairing it ends, its last day and (lianxin.js puts it in) who takes over;
    choosing the current cadre again ends nothing and asks nothing."""
    pairing = _back_dated(do_pair(cadre=world.cadre, household=world.household, acting_user=None))
    other = _second_cadre(world)
    client = login(world.city_admin)
    url = reverse("pairing:manual", args=[world.household.pk])
    form_page = text(client.get(url))
    yesterday = today() - dt.timedelta(days=1)
    assert questions(form_page) == [
        f"将结束 马林增 与 罗选志户（51018411000000001） 的结对，最后一天为 {yesterday:%Y-%m-%d}"
        "（昨天）；自今天起改由 {choice} 联系。确定？"
    ]
    assert "data-confirm-choice" in form_page
    assert f'value="{other.pk}" data-label="王新（中共崇州市委宣传部）"' in form_page
    assert re.search(rf'value="{world.cadre.pk}"[^>]*data-confirm-none', form_page)
    assert f"马林增的结对即结束，最后一天为 {yesterday:%Y-%m-%d}（昨天）" in form_page

    page = text(client.post(url, {"cadre": other.pk, "locked": "on"}, follow=True))

    pairing.refresh_from_db()
    assert pairing.valid_to == yesterday
    assert (
        f"马林增与户51018411000000001的结对：已于{yesterday:%Y-%m-%d}结束；自今天起由王新联系"
        in (page)
    )
    # The page shows the new state: 王新 is the cadre, 马林增 is history.
    current = re.search(r"<dt>结对干部</dt><dd>(.*?)</dd>", page, flags=re.S)
    assert current and "王新" in current.group(1) and "马林增" not in current.group(1)
    assert "今天结束" not in current.group(1)
    assert Pairing.objects.current().get(household=world.household).cadre == other


def test_it_names_today_as_the_last_day_of_a_pairing_made_today(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    _second_cadre(world)
    page = text(login(world.city_admin).get(reverse("pairing:manual", args=[world.household.pk])))
    assert (
        f"最后一天为 {today():%Y-%m-%d}（今天）；自今天起改由 {{choice}} 联系"
        in (questions(page)[0])
    )


def test_it_asks_nothing_when_manual_pairing_ends_nothing(world, login):
    page = text(login(world.city_admin).get(reverse("pairing:manual", args=[world.household.pk])))
    assert questions(page) == [] and "data-confirm-choice" not in page


def test_it_shows_a_pairing_ending_later_as_ending_then(world, login):
    pairing = _back_dated(do_pair(cadre=world.cadre, household=world.household, acting_user=None))
    later = today() + dt.timedelta(days=3)
    client = login(world.city_admin)
    page = text(
        client.post(
            reverse("pairing:pairing_end", args=[pairing.pk]),
            {"valid_to": later.isoformat()},
            follow=True,
        )
    )
    assert f"将于{later:%Y-%m-%d}结束" in page and ">结束结对</button>" not in page


# --- 责任区、联系乡镇、干部退出、调动 ----------------------------------------------------------------


def test_it_ends_a_zone_and_the_unit_page_shows_it_ending_today(world, login):
    zone = _back_dated(ResponsibilityZone.objects.get(unit=world.unit, valid_to__isnull=True))
    client = login(world.city_admin)
    url = reverse("org:unit_detail", args=[world.unit.pk])
    question = "结束 中共崇州市委宣传部 的责任区 大坪村？最后一天：{date}，次日起不再计入。"
    assert question in questions(text(client.get(url)))
    form_page = text(client.get(reverse("org:unit_zone_end", args=[world.unit.pk, zone.pk])))
    assert question in questions(form_page) and ">结束责任区</button>" in form_page

    page = text(
        client.post(
            reverse("org:unit_zone_end", args=[world.unit.pk, zone.pk]),
            {"valid_to": today().isoformat()},
            follow=True,
        )
    )

    assert f"中共崇州市委宣传部的责任区大坪村：{ended_today()}" in page
    assert "今天结束" in page and not questions(page)


def test_it_ends_a_liaison_and_the_leader_page_shows_it_ending_today(world, login):
    liaison = _back_dated(LeaderLiaison.objects.get(leader=world.leader))
    client = login(world.city_admin)
    url = reverse("org:cadre_detail", args=[world.leader.pk])
    question = "结束 李市长 联系 文井江镇？最后一天：{date}，次日起不再计入。"
    assert question in questions(text(client.get(url)))

    page = text(
        client.post(
            reverse("org:cadre_liaison_end", args=[world.leader.pk, liaison.pk]),
            {"valid_to": today().isoformat()},
            follow=True,
        )
    )

    assert f"李市长联系文井江镇：{ended_today()}" in page
    assert "今天结束" in page and ">结束联系</button>" not in page


def test_it_marks_a_cadre_as_left_naming_the_cadre_and_the_last_day(world, login):
    _back_dated(CadreAssignment.objects.get(cadre=world.cadre))
    client = login(world.city_admin)
    url = reverse("org:cadre_leave", args=[world.cadre.pk])
    form_page = text(client.get(url))
    assert "将 马林增（中共崇州市委宣传部）标记为退出？退出日期：{date}。" in questions(form_page)
    assert "data-end-date" in form_page  # the date the question names

    page = text(client.post(url, {"left_on": today().isoformat(), "reason": "退休"}, follow=True))

    assert f"马林增已标记为退出：{today():%Y-%m-%d}为在任最后一天" in page
    assert f"已于{today():%Y-%m-%d}退出" in page and "今天结束" in page
    assert "标记退出</a>" not in page


def test_it_asks_before_a_transfer_ends_the_current_post(world, login):
    _back_dated(CadreAssignment.objects.get(cadre=world.cadre))
    client = login(world.city_admin)
    url = reverse("org:cadre_transfer", args=[world.cadre.pk])
    assert "结束 马林增 在中共崇州市委宣传部的任职并调入所选单位？" in questions(
        text(client.get(url))
    )
    page = text(
        client.post(
            url,
            {"unit": world.other_unit.pk, "post": "科员", "effective_on": today().isoformat()},
            follow=True,
        )
    )
    old = CadreAssignment.objects.get(cadre=world.cadre, unit=world.unit)
    assert old.valid_to == today() - dt.timedelta(days=1)
    assert f"{old.valid_to:%Y-%m-%d}" in page and "崇州市民政局" in page


# --- 困难类型 --------------------------------------------------------------------------------------


def test_it_ends_a_hardship_and_the_household_page_shows_it_ending_today(world, login):
    hardship = do_add_hardship(
        world.household,
        kind=HardshipKind.SUBSISTENCE,
        valid_from=today() - dt.timedelta(days=30),
        acting_user=world.township_staff,
    )
    client = login(world.township_staff)
    url = reverse("people:hardship_end", args=[world.household.pk, hardship.pk])
    form_page = text(client.get(url))
    kind = hardship.get_kind_display()
    assert (
        f"结束罗选志户（51018411000000001）的困难类型“{kind}”？最后一天：{{date}}，次日起不再计入。"
        in questions(form_page)
    )
    assert ">结束困难类型</button>" in form_page and "data-end-date" in form_page

    page = text(client.post(url, {"valid_to": today().isoformat()}, follow=True))

    assert f"罗选志户（51018411000000001）的困难类型“{kind}”：{ended_today()}" in page
    assert "今天结束" in page and url not in page


# --- 结对规则：不参与结对、单位联系户数 --------------------------------------------------------------


def test_it_ends_an_exclusion_and_the_policy_page_shows_it_ending_today(world, login):
    exclusion = do_exclude_cadre(
        cadre=world.cadre,
        reason="病假",
        valid_from=today() - dt.timedelta(days=5),
        acting_user=world.city_admin,
    )
    client = login(world.city_admin)
    end_url = reverse("pairing:policy_exclusion_end", args=[exclusion.pk])
    before = text(client.get(reverse("pairing:policy")))
    assert "结束 马林增（C0001）的不参与结对？最后一天：{date}，次日起重新参与结对。" in questions(
        before
    )

    page = text(client.post(end_url, {"valid_to": today().isoformat()}, follow=True))

    assert f"马林增不参与结对：{ended_today()}，届时重新参与结对" in page
    assert "今天结束" in page and end_url not in page
    assert CadreExclusion.objects.get(pk=exclusion.pk).valid_to == today()


def test_it_removes_a_unit_override_naming_the_unit(world, login):
    override = do_set_unit_override(
        unit=world.unit, min_load=2, max_load=4, acting_user=world.city_admin
    )
    client = login(world.city_admin)
    before = text(client.get(reverse("pairing:policy")))
    assert any(
        q.startswith("删除 中共崇州市委宣传部 的联系户数（2–4 户）") for q in questions(before)
    )

    page = text(
        client.post(reverse("pairing:policy_override_remove", args=[override.pk]), follow=True)
    )

    assert "中共崇州市委宣传部恢复按全县默认联系户数" in page
    assert "所有单位按全县默认" in page and not UnitLoadOverride.objects.exists()


# --- 连心卡 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "question"),
    [
        ("revoke", "作废 罗选志户（51018411000000001） 的连心卡二维码？"),
        ("reissue", "为 罗选志户（51018411000000001） 补发连心卡？原卡二维码立即作废"),
    ],
)
def test_it_withdraws_a_card_naming_the_household(world, login, action, question):
    old = do_issue_token(world.household, acting_user=world.township_staff)
    client = login(world.township_staff)
    url = reverse("people:household_detail", args=[world.household.pk])
    assert any(q.startswith(question) for q in questions(text(client.get(url))))

    page = text(
        client.post(
            reverse("cards:token_change", args=[world.household.pk]),
            {"action": action, "reason": "原卡遗失"},
            follow=True,
        )
    )

    assert "已作废旧卡 1 张" in page
    live = CardToken.objects.filter(household=world.household, revoked_at__isnull=True)
    if action == "revoke":
        assert "尚未签发" in page and not live.exists()
    else:
        assert live.get().token != old.token and old.token not in page


# --- 账号：停用、重置密码、驳回 --------------------------------------------------------------------


def test_it_disables_an_account_naming_it_and_the_list_shows_it_disabled(world, login):
    client = login(world.system_admin)
    url = reverse("accounts:user_list")
    assert any(q.startswith("停用账号 daping") for q in questions(text(client.get(url))))

    page = text(
        client.post(
            reverse("accounts:user_set_active", args=[world.village_staff.pk]),
            {"active": "0", "reason": "调离"},
            follow=True,
        )
    )

    assert "账号“daping”已停用" in page
    assert not any(q.startswith("停用账号 daping") for q in questions(page))
    assert not User.objects.get(pk=world.village_staff.pk).is_active


def test_it_resets_a_password_after_naming_the_account(world, login):
    client = login(world.system_admin)
    url = reverse("accounts:user_reset_password", args=[world.village_staff.pk])
    assert any(
        q.startswith(f"重置 {world.village_staff}（daping）的密码？")
        for q in questions(text(client.get(url)))
    )
    password = PASSWORD + "Xy#9"
    page = text(
        client.post(
            url,
            {"password": password, "password_again": password, "reason": "忘记密码"},
            follow=True,
        )
    )
    assert "已重置“daping”的密码" in page and "须改密码" in page


def test_it_rejects_a_proposal_naming_it_and_the_list_no_longer_offers_it(world, login):
    do_create_user(
        county=world.county,
        username="newcadre",
        password=PASSWORD + "Aa#",
        role=Role.CADRE,
        unit=world.unit,
        acting_user=world.system_admin,
    )
    proposal = AccountProposal.objects.get(username="newcadre")
    client = login(world.security_admin)
    url = reverse("accounts:proposal_list")
    assert any(q.startswith("驳回 newcadre的") for q in questions(text(client.get(url))))

    page = text(
        client.post(
            reverse("accounts:proposal_decide", args=[proposal.pk]),
            {"approve": "0", "note": "非本单位人员"},
            follow=True,
        )
    )

    assert "已驳回" in page and not any("newcadre" in q for q in questions(page))
    assert AccountProposal.objects.get(pk=proposal.pk).status == ProposalStatus.REJECTED


def test_it_withdraws_the_reveal_permission_after_naming_the_account(world, login):
    client = login(world.security_admin)
    url = reverse("accounts:user_reveal_permission", args=[world.township_staff.pk])
    form_page = text(client.get(url))
    assert (
        f"变更 {world.township_staff}（wenjing）的查看权限？目前可以查看完整身份证号和电话。"
        in questions(form_page)
    )
    page = text(client.post(url, {"allowed": "0", "reason": "调岗"}, follow=True))
    assert "已收回“wenjing”查看完整信息的权限" in page
    assert not User.objects.get(pk=world.township_staff.pk).can_reveal

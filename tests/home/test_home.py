"""Each role's home shows what that role acts on, and every card links to exactly the rows it
counts (issue 8, point 12)."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction
from django.urls import resolve

from lianxin.accounts.choices import Role
from lianxin.audit.services import record
from lianxin.geo.services import do_create_county
from lianxin.lib.numbers import count_text
from lianxin.org.choices import UnitKind
from lianxin.org.services import do_create_cadre, do_create_unit
from lianxin.pairing.services import do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.factories import household, user

PERSONAS = [
    "city_admin",
    "township_staff",
    "village_staff",
    "outsider",
    "cadre_user",
    "handler",
    "info_group",
    "leader_user",
    "system_admin",
    "security_admin",
    "audit_admin",
]

CARD = re.compile(
    r'<a class="card[^"]*" href="([^"]+)" data-home-card><div class="num">([\d,]+)</div>'
    r'<div class="label">([^<]+)</div>'
)

# The JSON twin of each list a card may link to (the same rows with the same filters); the
# account pages have none.
TWINS = {
    "pairing:coverage": lambda q: f"/api/coverage/{q.pop('list')}",
    "people:household_list": lambda q: "/api/households",
    "audit:entry_list": lambda q: "/api/audit",
}


def cards(html):
    return [
        (href.replace("&amp;", "&"), int(n.replace(",", "")), label)
        for href, n, label in CARD.findall(html)
    ]


def listed(client, href):
    """How many rows the card's link lists: the page's own total ("共 N 条"), checked against
    its JSON twin's count where it has one."""
    response = client.get(href)
    assert response.status_code == 200, href
    total = response.context["page"].paginator.count
    html = response.content.decode()
    if total:
        assert f"共 {count_text(total)} 条" in html, href
    name = resolve(urlsplit(href).path).view_name
    if name in TWINS:
        query = dict(parse_qsl(urlsplit(href).query))
        api = client.get(TWINS[name](query), query)
        assert api.status_code == 200, (href, api.content)
        assert api.json()["count"] == total, href
    return total


@pytest.fixture
def paired(world):
    """The cadre holds two households of 文井江镇, one of them in difficulty; a third there and
    道明镇's only one (in difficulty too) have no cadre; 民政局 has a cadre with no household."""
    w = world
    w.household3 = household(w.county, w.group2, "51018411000000003", head="王大福")
    do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    do_pair(cadre=w.cadre, household=w.household2, acting_user=None)
    do_add_hardship(w.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    do_add_hardship(w.other_household, kind=HardshipKind.DISABILITY, acting_user=None)
    do_create_cadre(unit=w.other_unit, staff_no="M0001", name="王民政", acting_user=None)
    return w


# A linked cadre's home is 我联系的户, whose figures count the rows of the page itself
# (tests/visits/test_phone_page.py).
CARD_PERSONAS = [p for p in PERSONAS if p != "cadre_user"]


@pytest.mark.parametrize("persona", CARD_PERSONAS)
def test_it_links_every_home_card_to_the_rows_it_counts(paired, login, persona):
    client = login(getattr(paired, persona))
    response = client.get("/")
    assert response.status_code == 200
    found = cards(response.content.decode())
    assert found, f"{persona}'s home has no cards"
    for href, value, label in found:
        assert listed(client, href) == value, (persona, label, href)


def test_it_counts_what_each_role_acts_on(paired, login):
    """The figures themselves, so that a card and its list agreeing on the wrong rows fails."""

    def figures(persona):
        html = login(getattr(paired, persona)).get("/").content.decode()
        return {label: value for _, value, label in cards(html)}

    assert figures("city_admin") == {
        "未结对的户": 2,
        "未联系户的干部": 1,
        "无责任单位的村（社区）": 1,
        "无市级领导联系的乡镇（街道）": 1,
        "困难群众户": 2,
    }
    assert figures("township_staff") == {
        "未结对的户": 1,
        "无责任单位的村（社区）": 1,
        "困难群众户": 1,
        "户": 3,
    }
    cadre_html = login(paired.cadre_user).get("/").content.decode()
    tiles = dict(re.findall(r'data-month-figure="(\w+)"><span class="num">(\d+)<', cadre_html))
    assert tiles == {"overdue": "0", "due": "2", "done": "0"}
    assert figures("handler") == {"本单位未联系户的干部": 1}


def test_it_shows_a_cadre_their_own_households(paired, login):
    html = login(paired.cadre_user).get("/").content.decode()
    assert "我联系的户" in html and paired.household.number in html
    assert paired.household3.number not in html
    assert "乡镇（街道）" not in html.split("我联系的户")[0]  # no county-wide counts


def test_it_tells_a_cadre_without_a_cadre_record_so_instead_of_a_units_home(world, login):
    # A cadre's account in a unit, but no cadre record linked to it.
    unlinked = user(world.county, Role.CADRE, "zhangwei", unit=world.other_unit)
    do_create_cadre(unit=world.other_unit, staff_no="M0001", name="王民政", acting_user=None)
    response = login(unlinked).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "你的账号尚未关联干部档案" in html and "请联系市级管理员" in html
    assert cards(html) == []  # neither the unit's cadres nor any county figure
    assert "未联系户的干部" not in html and "覆盖情况" not in html
    assert "查找居民、户或企业" not in html  # nothing of theirs to find


def test_it_shows_township_staff_their_households_without_a_cadre(paired, login):
    html = login(paired.township_staff).get("/").content.decode()
    assert "没有结对干部的户" in html and "未结对的户" in html
    listed_rows = html.split("没有结对干部的户")[1]
    assert paired.household3.number in listed_rows
    assert paired.household.number not in listed_rows
    assert paired.other_household.number not in listed_rows  # another township's


def _recent_rows(html):
    table = html.split("最近的审计记录")[1].split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>(.*?)</tr>", table, re.S)


def test_it_shows_the_auditor_recent_audit_activity(world, login):
    do_create_unit(
        county=world.county,
        name="崇州市审计核对办公室",
        kind=UnitKind.PARTY_ORGAN,
        acting_user=world.city_admin,
    )
    # Later, so it would be the newest row, but in another county.
    elsewhere = do_create_county(code="510181", name="都江堰市")
    with transaction.atomic():
        record(
            actor=None,
            action="新建单位",
            county_id=elsewhere.pk,
            target_type="org.unit",
            target_label="都江堰市外县核对办公室",
        )

    html = login(world.audit_admin).get("/").content.decode()

    rows = _recent_rows(html)
    mine = [row for row in rows if "崇州市审计核对办公室" in row]
    assert len(mine) == 1 and "新建单位" in mine[0] and "city（city）" in mine[0]
    assert not any("都江堰市外县核对办公室" in row for row in rows)
    assert "登录" in rows[0] and "auditor（auditor）" in rows[0]  # newest first: signing in
    assert "查找居民、户或企业" not in html  # the auditor reads no registry


def test_it_links_the_hardship_card_to_households_in_difficulty_only(paired, login):
    html = login(paired.city_admin).get("/").content.decode()
    hardship = [c for c in cards(html) if c[2] == "困难群众户"]
    assert hardship and "has_hardship=1" in hardship[0][0]

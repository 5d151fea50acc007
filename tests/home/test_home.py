"""Each role's home shows what that role acts on, and every card links to exactly the rows it
counts (issue 8, point 12)."""

import re

import pytest
from django.urls import resolve

from lianxin.pairing.services import do_pair

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


def cards(html):
    return [
        (href.replace("&amp;", "&"), int(n.replace(",", "")), label)
        for href, n, label in CARD.findall(html)
    ]


def counted(response):
    """How many rows the linked page lists: its pager's total, or the coverage list's gap."""
    context = response.context
    name = resolve(response.wsgi_request.path).view_name
    if name == "pairing:coverage":
        return (
            dict((key, gap) for key, _, gap in context["lists"])[context["list"]]
            if context["list"] != "cadres"
            else context["page"].paginator.count
        )
    return context["page"].paginator.count


@pytest.fixture
def paired(world):
    """One household paired, one hardship-free household left without a cadre."""
    return do_pair(cadre=world.cadre, household=world.household, acting_user=None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_links_every_home_card_to_the_rows_it_counts(world, paired, login, persona):
    client = login(getattr(world, persona))
    response = client.get("/")
    assert response.status_code == 200
    found = cards(response.content.decode())
    assert found, f"{persona}'s home has no cards"
    for href, value, label in found:
        target = client.get(href)
        assert target.status_code == 200, (persona, label, href)
        assert counted(target) == value, (persona, label, href)


def test_it_shows_a_cadre_their_own_households(world, paired, login):
    html = login(world.cadre_user).get("/").content.decode()
    assert "我联系的户" in html and world.household.number in html
    assert world.household2.number not in html
    assert "乡镇（街道）" not in html.split("我联系的户")[0]  # no county-wide counts


def test_it_shows_township_staff_their_households_without_a_cadre(world, paired, login):
    html = login(world.township_staff).get("/").content.decode()
    assert "没有结对干部的户" in html and "未结对的户" in html
    listed = html.split("没有结对干部的户")[1]
    assert world.household2.number in listed and world.household.number not in listed


def test_it_shows_the_auditor_recent_audit_activity(world, login):
    html = login(world.audit_admin).get("/").content.decode()
    assert "最近的审计记录" in html and "查看完整信息" in html
    assert "查找居民、户或企业" not in html  # the auditor reads no registry


def test_it_links_the_hardship_card_to_households_in_difficulty_only(world, login):
    html = login(world.city_admin).get("/").content.decode()
    hardship = [c for c in cards(html) if c[2] == "困难群众户"]
    assert hardship and "has_hardship=1" in hardship[0][0]

"""The page behind a card's QR code: no login, the current cadre, nothing about the household."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.cards.services import do_issue_token, do_reissue_token
from lianxin.core.models import today
from lianxin.core.sensitive import unseal_field
from lianxin.org.models import CadreAssignment
from lianxin.org.services import do_cadre_leaves
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_pair
from tests.core.processes import in_processes


def _open(client, token, **extra):
    return client.get(reverse("cards:public", args=[token]), **extra)


def test_it_shows_the_current_cadre_and_the_township_without_login(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    response = _open(client, token)
    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "连心卡",
        "马林增",
        "中共崇州市委宣传部",
        "网信办干部",
        'href="tel:13900000001"',
        "崇州市文井江镇人民政府",
        'href="tel:02882211234"',
        "文井江镇 · 大坪村",  # the township always, beside the village
        "有事怎么办",
    ):
        assert expected in page, expected
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # The token goes to no other site; the page's own form keeps its Origin (not "null").
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in page
    assert "no-store" in response["Cache-Control"]
    assert "<link" not in page and "<script" not in page  # no external assets


def test_it_follows_the_pairing_when_the_cadre_changes(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    assert "马林增" in _open(client, token).content.decode()
    do_pair(cadre=w.cadre2, household=w.household, acting_user=w.city_admin)
    page = _open(client, token).content.decode()
    assert "王秀英" in page and "崇州市民政局" in page and 'href="tel:13900000002"' in page
    assert "马林增" not in page


def test_it_shows_the_township_contact_to_an_unpaired_household(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household2, acting_user=w.township_staff).token
    page = _open(client, token).content.decode()
    assert "暂未结对" in page and "崇州市文井江镇人民政府" in page
    assert "马林增" not in page


def test_it_treats_a_departed_cadre_as_no_cadre(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    # Paired and in office since last month, last day in office yesterday.
    month_ago, yesterday = today() - dt.timedelta(30), today() - dt.timedelta(1)
    Pairing.objects.filter(cadre=w.cadre).update(valid_from=month_ago)
    CadreAssignment.objects.filter(cadre=w.cadre).update(valid_from=month_ago)
    do_cadre_leaves(w.cadre, left_on=yesterday, acting_user=w.city_admin)
    page = _open(client, token).content.decode()
    assert "暂未结对" in page and "马林增" not in page


def test_it_still_shows_a_cadre_on_their_last_day(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    do_cadre_leaves(w.cadre, left_on=today(), acting_user=w.city_admin)
    page = _open(client, token).content.decode()
    assert "马林增" in page and "暂未结对" not in page


def test_it_shows_nothing_personal_about_the_household(cards_world, client):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    page = _open(client, token).content.decode()
    head = w.household.head
    for personal in (
        head.name,
        unseal_field(head, "id_number"),
        head.id_number_masked,
        unseal_field(head, "phone"),
        head.phone_masked,
        w.household.number,
        w.household.address,
        "6组",
    ):
        assert personal not in page, personal
    for member in w.household.members.all():
        assert member.name not in page


def test_it_answers_404_in_chinese_to_a_revoked_or_unknown_token(cards_world, client):
    w = cards_world
    old = do_issue_token(w.household, acting_user=w.township_staff).token
    new = do_reissue_token(w.household, acting_user=w.township_staff, reason="原卡遗失").token
    for token in (old, "x" * 43, "short"):
        response = _open(client, token)
        assert response.status_code == 404
        assert "二维码已失效，请联系村（社区）" in response.content.decode()
        assert "马林增" not in response.content.decode()
    assert _open(client, new).status_code == 200


def test_it_limits_each_client_per_minute(cards_world, client, settings):
    settings.LIANXIN_PUBLIC_RATE_PER_MINUTE = 3
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    assert [_open(client, token).status_code for _ in range(2)] == [200, 200]
    assert _open(client, "x" * 43).status_code == 404  # guessing counts too
    limited = _open(client, token)
    assert limited.status_code == 429
    assert "访问太频繁" in limited.content.decode()
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another client is not held back by the first one.
    assert _open(client, token, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_it_ignores_a_forged_forwarded_for_unless_behind_a_proxy(cards_world, client, settings):
    settings.LIANXIN_PUBLIC_RATE_PER_MINUTE = 1
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token
    assert _open(client, token, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert _open(client, token, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    settings.LIANXIN_PROXY_COUNT = 1  # now the proxy's X-Forwarded-For names the client
    assert _open(client, token, HTTP_X_FORWARDED_FOR="3.3.3.3").status_code == 200
    assert _open(client, token, HTTP_X_FORWARDED_FOR="3.3.3.3").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_limit_across_app_processes(cards_world, settings):
    # Each process has its own memory: a limit counted there let limit × processes through.
    settings.LIANXIN_PUBLIC_RATE_PER_MINUTE = 5
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff).token

    def work(i: int) -> list[tuple[int, bool]]:
        client = Client(REMOTE_ADDR="198.51.100.20")
        answers = [_open(client, token) for _ in range(4)]
        return [(r.status_code, "访问太频繁" in r.content.decode()) for r in answers]

    answers = [a for process in in_processes(4, work) for a in process]
    assert sorted(answers) == [(200, False)] * 5 + [(429, True)] * 11

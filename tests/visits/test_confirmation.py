"""The household's one-tap confirmation on its 连心卡 page (群众确认): recorded once a month, with
no login, CSRF-checked and rate-limited, never by a signed-in account, nothing personal shown;
and the 群众确认率 against a recount."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.test import Client

from lianxin.audit.models import AuditEntry
from lianxin.cards.services import do_issue_token, do_revoke_token
from lianxin.core.errors import Refused
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from lianxin.visits.models import VisitConfirmation
from lianxin.visits.periods import month, quarter, year
from lianxin.visits.rates import KEYS, Level, rates_for
from lianxin.visits.services import do_confirm_contact

from .support import pair
from .test_rates import TODAY, days, group_of, random_program, serves

D = dt.date


@pytest.fixture
def frozen(monkeypatch):
    for where in ("services", "plan", "rates"):
        monkeypatch.setattr(f"lianxin.visits.{where}.today", lambda: TODAY)


@pytest.fixture
def card(world):
    pair(world, world.household, since=D(2025, 1, 1))
    return do_issue_token(world.household, acting_user=None).token


def tap(client, token):
    return client.post(f"/h/{token}/confirm")


def test_it_records_one_confirmation_a_month_however_often_it_is_tapped(world, card, frozen):
    client = Client()
    response = tap(client, card)
    assert response.status_code == 302 and response["Location"] == f"/h/{card}#confirm"
    assert tap(client, card).status_code == 302
    row = VisitConfirmation.objects.get()
    assert (row.household, row.month) == (world.household, D(2025, 6, 1))
    assert AuditEntry.objects.filter(action="群众确认联系").count() == 1
    page = client.get(f"/h/{card}").content.decode()
    assert "已收到" in page and "data-confirm-tap" not in page
    # Next month is a new month.
    assert do_confirm_contact(token=card, acting_user=None, on=D(2025, 7, 3)).created


def test_it_shows_the_tap_and_nothing_personal(world, card):
    page = Client().get(f"/h/{card}").content.decode()
    assert "本月联系干部来过了/联系过我" in page and "csrfmiddlewaretoken" in page
    for personal in ("罗选志", world.household.number, "6组12号"):
        assert personal not in page


def test_it_refuses_a_tap_without_the_csrf_token(world, card):
    response = Client(enforce_csrf_checks=True).post(f"/h/{card}/confirm")
    assert response.status_code == 403
    assert not VisitConfirmation.objects.exists()


def test_it_refuses_a_signed_in_account_even_the_cadre(world, card, login):
    client = login(world.cadre_user)
    response = tap(client, card)
    assert response.status_code == 403 and "不能代为确认" in response.content.decode()
    assert "不能代为确认" in client.get(f"/h/{card}").content.decode()
    with pytest.raises(Refused):
        do_confirm_contact(token=card, acting_user=world.township_staff)
    assert not VisitConfirmation.objects.exists()


def test_it_answers_404_to_a_revoked_or_unknown_card(world, card):
    do_revoke_token(world.household, acting_user=None, reason="遗失")
    assert tap(Client(), card).status_code == 404
    assert tap(Client(), "x" * 40).status_code == 404
    assert not VisitConfirmation.objects.exists()


def test_it_limits_taps_per_client(world, card, settings):
    settings.LIANXIN_CONFIRM_RATE_PER_MINUTE = 2
    client = Client()
    assert [tap(client, card).status_code for _ in range(3)] == [302, 302, 429]


def test_it_scopes_confirmations_like_their_household(world, card, frozen):
    from lianxin.visits.models import VisitConfirmation as VC

    do_confirm_contact(token=card, acting_user=None)
    assert VC.objects.visible_to(world.township_staff).count() == 1
    assert VC.objects.visible_to(world.cadre_user).count() == 1
    for persona in ("outsider", "handler", "system_admin"):
        assert VC.objects.visible_to(getattr(world, persona)).count() == 0


def test_it_never_touches_the_cadres_record(world, card, frozen):
    do_confirm_contact(token=card, acting_user=None)
    rates = rates_for(world.city_admin, month(2025, 6), Level.COUNTY)
    assert (rates.total.met, rates.total.visits, rates.total.confirmed) == (0, 0, 1)
    assert rates.total.confirmation_rate.text == "100.0%"
    assert "不影响干部的走访记录" in rates.definitions["confirmation_rate"]


@pytest.mark.parametrize("seed", [3])
def test_it_matches_a_recount_of_the_confirmation_rate(world, frozen, seed):
    random_program(world, seed)
    rng = random.Random(seed)
    households = list(Household.objects.all())
    for h in households:
        token = do_issue_token(h, acting_user=None).token
        for m in range(1, 7):
            if rng.random() < 0.4:
                do_confirm_contact(token=token, acting_user=None, on=D(2025, m, rng.randint(1, 20)))
    confirmed = {(c.household_id, c.month) for c in VisitConfirmation.objects.all()}
    assert len(confirmed) > 5
    pairings = list(Pairing.objects.select_related("cadre", "household"))
    for period in (month(2025, 2), month(2025, 6), quarter(2025, 2), year(2025)):
        for level in KEYS:
            expected: dict[int, set[int]] = {}
            total: set[int] = set()
            for p in pairings:
                if not any(serves(p, d) for d in days(period)):
                    continue
                if any(
                    hh == p.household_id and period.start.replace(day=1) <= mo <= period.end
                    for hh, mo in confirmed
                ):
                    expected.setdefault(group_of(level, p), set()).add(p.household_id)
                    total.add(p.household_id)
            got = rates_for(world.city_admin, period, level)
            assert {r.id: r.confirmed for r in got.rows if r.confirmed} == {
                k: len(v) for k, v in expected.items()
            }, (period.code, level)
            assert got.total.confirmed == len(total)

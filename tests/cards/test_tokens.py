"""Issuing, re-issuing (a lost card) and revoking a household's QR token."""

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.cards.services import do_issue_token, do_reissue_token, do_revoke_token
from lianxin.core.errors import Refused
from lianxin.pairing.models import CardToken


def _live(household):
    return CardToken.objects.filter(household=household, revoked_at__isnull=True)


def test_it_issues_one_unguessable_token_per_household(cards_world):
    w = cards_world
    first = do_issue_token(w.household, acting_user=w.township_staff)
    again = do_issue_token(w.household, acting_user=w.township_staff)
    other = do_issue_token(w.household2, acting_user=w.township_staff)
    assert first.pk == again.pk
    assert len(first.token) == 43 and first.token != other.token
    assert (
        AuditEntry.objects.filter(action="签发连心卡二维码", target_id=str(w.household.pk)).count()
        == 1
    )


def test_it_reissues_a_lost_card_and_the_old_one_stops_working(cards_world):
    w = cards_world
    old = do_issue_token(w.household, acting_user=w.township_staff)
    new = do_reissue_token(w.household, acting_user=w.township_staff, reason="原卡遗失")
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert list(_live(w.household)) == [new] and new.token != old.token
    entry = AuditEntry.objects.get(action="补发连心卡")
    assert entry.reason == "原卡遗失" and entry.actor == w.township_staff


def test_it_needs_a_reason_to_reissue(cards_world):
    w = cards_world
    with pytest.raises(Refused) as refused:
        do_reissue_token(w.household, acting_user=w.township_staff, reason=" ")
    assert refused.value.field == "reason"


def test_it_revokes_without_a_replacement(cards_world):
    w = cards_world
    do_issue_token(w.household, acting_user=w.township_staff)
    assert (
        do_revoke_token(w.household, acting_user=w.township_staff, reason="该户已迁出") is not None
    )
    assert not _live(w.household).exists()
    assert do_revoke_token(w.household, acting_user=w.township_staff, reason="再次作废") is None
    assert AuditEntry.objects.filter(action="作废连心卡二维码").count() == 1


def test_it_reissues_from_the_household_page(cards_world, login):
    w = cards_world
    client = login(w.village_staff)
    old = do_issue_token(w.household, acting_user=w.village_staff).token
    page = client.get(reverse("people:household_detail", args=[w.household.pk])).content.decode()
    assert "补发连心卡（原卡作废）" in page and reverse("cards:public", args=[old]) in page
    url = reverse("cards:token_change", args=[w.household.pk])
    response = client.post(url, {"action": "reissue", "reason": "原卡遗失"})
    assert response.status_code == 302
    assert client.get(reverse("cards:public", args=[old])).status_code == 404
    new = _live(w.household).get().token
    assert client.get(reverse("cards:public", args=[new])).status_code == 200


def test_it_shows_the_reason_missing_beside_the_field(cards_world, login):
    w = cards_world
    url = reverse("cards:token_change", args=[w.household.pk])
    response = login(w.village_staff).post(url, {"action": "reissue", "reason": ""})
    assert response.status_code == 400
    assert "请填写原因" in response.content.decode()
    assert not CardToken.objects.exists()


def test_it_revokes_from_the_household_page(cards_world, login):
    w = cards_world
    do_issue_token(w.household, acting_user=w.village_staff)
    url = reverse("cards:token_change", args=[w.household.pk])
    response = login(w.village_staff).post(url, {"action": "revoke", "reason": "该户已迁出"})
    assert response.status_code == 302
    assert not _live(w.household).exists()


@pytest.mark.parametrize("persona", ["outsider", "cadre_user", "leader_user", "system_admin"])
def test_it_answers_404_to_those_who_may_not_change_the_household(cards_world, login, persona):
    w = cards_world
    token = do_issue_token(w.household, acting_user=w.township_staff)
    url = reverse("cards:token_change", args=[w.household.pk])
    response = login(getattr(w, persona)).post(url, {"action": "reissue", "reason": "原卡遗失"})
    assert response.status_code == 404
    assert list(_live(w.household)) == [token]


def test_it_shows_the_panel_without_the_reissue_form_to_readers(cards_world, login):
    w = cards_world
    page = login(w.cadre_user).get(reverse("people:household_detail", args=[w.household.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "打印连心卡" in text and "补发连心卡（原卡作废）" not in text

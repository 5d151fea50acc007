"""A password that passes today's rules no longer (set before them: migration 0003 kept existing
hashes and started their age at the upgrade) must be changed at the next log-in."""

from django.contrib.auth.hashers import make_password
from django.urls import reverse

from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user
from lianxin.audit.models import AuditEntry
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
WEAK = "20262026"


def _weaken(user, password=WEAK):
    # As an account carried over from before the rules: the hash set directly.
    User.objects.filter(pk=user.pk).update(password=make_password(password))


def test_it_sends_a_weak_existing_password_to_be_changed(world, client):
    _weaken(world.township_staff)
    response = client.post(LOGIN, {"username": "wenjing", "password": WEAK})
    assert response.status_code == 302
    world.township_staff.refresh_from_db()
    assert world.township_staff.must_change_password
    entry = AuditEntry.objects.get(action="密码不符合规则，需修改")
    assert entry.target_id == str(world.township_staff.pk) and "太短" in entry.reason
    assert WEAK not in entry.reason
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    response = client.get(reverse("accounts:password_change"))
    assert "不符合现行规则" in response.content.decode()


def test_it_flags_a_password_holding_the_username(world, client):
    _weaken(world.township_staff, "Wenjing-2026!")
    client.post(LOGIN, {"username": "wenjing", "password": "Wenjing-2026!"})
    world.township_staff.refresh_from_db()
    assert world.township_staff.must_change_password


def test_it_lets_a_good_password_through_unflagged(world, client):
    response = client.post(LOGIN, {"username": "wenjing", "password": PASSWORD})
    assert response.status_code == 302
    world.township_staff.refresh_from_db()
    assert not world.township_staff.must_change_password
    assert client.get(reverse("people:household_list")).status_code == 200
    assert not AuditEntry.objects.filter(action="密码不符合规则，需修改").exists()


def test_it_exempts_flagged_demo_accounts_in_a_demo(world, client, settings):
    settings.LIANXIN_DEMO_ACCOUNTS = True
    do_create_user(
        county=world.county,
        username="demo-city",
        password="lianxin2014",
        role="city_admin",
        check_password=False,
        is_demo=True,
        acting_user=None,
    )
    assert (
        client.post(LOGIN, {"username": "demo-city", "password": "lianxin2014"}).status_code == 302
    )
    assert not User.objects.get(username="demo-city").must_change_password
    assert client.get(reverse("core:home")).status_code == 200

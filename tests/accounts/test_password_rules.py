"""Password rules as 等保 level 3 asks, through the services (and so every page that sets one)."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.choices import Role
from lianxin.accounts.services import do_change_password, do_create_user
from lianxin.core.errors import Refused


def _refused(user, password):
    with pytest.raises(Refused) as refused:
        do_change_password(user, new_password=password, acting_user=user)
    assert refused.value.field == "password"
    return refused.value.message


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("20262026", "至少 10 个字符"),  # short, digits only
        ("wenjing123", "至少 3 类"),  # two classes
        ("lianxin2014", "至少 3 类"),  # the demo password
        ("Wenjing#2026x", "用户名"),  # contains the username (case ignored)
        ("gnijnew#2026X", "用户名"),  # ... or the username backwards
        ("Password1!", "太常见"),  # Django's common-password list
        ("Abcdefghij", "至少 3 类"),
    ],
)
def test_it_refuses_weak_passwords_in_chinese(world, password, why):
    assert why in _refused(world.township_staff, password)


def test_it_refuses_the_username_itself(world):
    message = _refused(world.handler, "minzheng")  # eight characters: enough for the old rule
    assert "用户名" in message and "至少 10 个字符" in message


def test_it_accepts_a_password_that_keeps_every_rule(world):
    do_change_password(
        world.township_staff, new_password="Qingcheng-Shan-7", acting_user=world.township_staff
    )
    assert world.township_staff.check_password("Qingcheng-Shan-7")


def test_it_refuses_the_last_n_passwords(world, settings):
    settings.LIANXIN_PASSWORD_HISTORY = 3
    staff = world.township_staff
    for password in ("Lishu-Alpha-11", "Lishu-Beta-22"):
        do_change_password(staff, new_password=password, acting_user=staff)
    assert "最近 3 次" in _refused(staff, "Lishu-Alpha-11")
    assert "最近 3 次" in _refused(staff, "Lishu-Beta-22")  # the current one
    do_change_password(staff, new_password="Lishu-Gamma-33", acting_user=staff)
    do_change_password(staff, new_password="Lishu-Delta-44", acting_user=staff)
    # Four changes later the first one has left the window of three.
    do_change_password(staff, new_password="Lishu-Alpha-11", acting_user=staff)


def test_it_checks_the_new_accounts_username_at_creation(world):
    with pytest.raises(Refused) as refused:
        do_create_user(
            county=world.county,
            username="zhangwei",
            password="Zhangwei-2026",
            role=Role.CADRE,
            unit=world.unit,
            acting_user=world.system_admin,
        )
    assert "用户名" in refused.value.message


def test_it_reads_the_minimum_length_from_the_settings(world, settings):
    validate_password("Qingcheng-Shan-7")  # 16 characters
    settings.LIANXIN_PASSWORD_MIN_LENGTH = 17
    with pytest.raises(ValidationError) as refused:
        validate_password("Qingcheng-Shan-7")
    assert refused.value.messages == ["密码太短，至少 17 个字符"]


def test_it_sends_an_expired_password_to_be_changed(world, login, settings):
    staff = world.township_staff
    staff.password_changed_at = timezone.now() - dt.timedelta(days=91)
    staff.save(update_fields=["password_changed_at"])
    client = login(staff)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "密码已使用超过 90 天" in page
    response = client.get("/api/households")
    assert response.status_code == 403 and "修改密码" in response.json()["detail"]
    settings.LIANXIN_PASSWORD_MAX_AGE_DAYS = 0  # expiry off
    assert client.get(reverse("core:home")).status_code == 200


def test_it_clears_the_must_change_flag_by_changing_the_password(world, login):
    staff = world.township_staff
    staff.must_change_password = True
    staff.save(update_fields=["must_change_password"])
    client = login(staff)
    assert client.get("/api/households").status_code == 403
    do_change_password(staff, new_password="Qingcheng-Shan-7", acting_user=staff)
    assert login(staff).get("/api/households").status_code == 200

"""Sessions end after the idle timeout and the absolute lifetime, checked on the server."""

import time

from django.urls import reverse

from lianxin.accounts.middleware import LOGIN_AT, SEEN_AT
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")


def _signed_in(client):
    response = client.post(LOGIN, {"username": "wenjing", "password": PASSWORD})
    assert response.status_code == 302
    return client


def _age(client, *, seen_minutes: float = 0, login_hours: float = 0):
    session = client.session
    now = time.time()
    session[SEEN_AT] = now - seen_minutes * 60
    session[LOGIN_AT] = now - login_hours * 3600
    session.save()


def test_it_signs_out_after_thirty_idle_minutes(world, client):
    _signed_in(client)
    _age(client, seen_minutes=29)
    assert client.get(HOME).status_code == 200
    _age(client, seen_minutes=31)
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "您已超过 30 分钟未操作" in page


def test_it_reads_the_idle_timeout_from_the_settings(world, client, settings):
    settings.LIANXIN_SESSION_IDLE_MINUTES = 5
    _signed_in(client)
    _age(client, seen_minutes=6)
    assert client.get(HOME).status_code == 302


def test_it_keeps_an_active_session_alive(world, client):
    _signed_in(client)
    _age(client, seen_minutes=20)
    assert client.get(HOME).status_code == 200
    # That request moved the idle clock: twenty more minutes are still within thirty.
    session = client.session
    assert time.time() - session[SEEN_AT] < 5


def test_it_ends_a_session_at_its_absolute_lifetime(world, client, settings):
    _signed_in(client)
    _age(client, login_hours=11.9)
    assert client.get(HOME).status_code == 200
    _age(client, login_hours=12.1)
    response = client.get(HOME)
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert "本次登录已超过 12 小时" in client.get(response.url).content.decode()
    settings.LIANXIN_SESSION_MAX_HOURS = 2
    _signed_in(client)
    _age(client, login_hours=2.1)
    assert client.get(HOME).status_code == 302


def test_it_answers_the_api_with_401_in_chinese(world, client):
    _signed_in(client)
    _age(client, seen_minutes=31)
    response = client.get("/api/households")
    assert response.status_code == 401 and "分钟未操作" in response.json()["detail"]

"""Log-in attempts are limited per client address and per user name, across processes, on top
of django-axes' lock-out, which sees the same client address as the rest of the program."""

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from tests.core.processes import in_processes
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def _try(client, username, password="wrong", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_it_limits_attempts_from_one_address(world, client, settings):
    settings.LIANXIN_LOGIN_IP_RATE_PER_MINUTE = 3
    # Three different names, so neither axes nor the per-name limit is what stops the fourth.
    for name in ("wenjing", "malin", "nobody"):
        assert _try(client, name).status_code == 200
    limited = _try(client, "daping", PASSWORD)
    assert limited.status_code == 429
    assert "登录尝试太频繁，请稍后再试" in limited.content.decode()
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "_auth_user_id" not in client.session
    # Another address logs in.
    assert _try(client, "daping", PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_it_limits_attempts_on_one_user_name_from_any_address(world, client, settings):
    settings.LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE = 3
    for i in range(3):
        assert _try(client, "wenjing", REMOTE_ADDR=f"10.0.0.{i}").status_code == 200
    # Even the right password, from a fresh address, and in another case, waits out the minute.
    limited = _try(client, "WenJing ", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert limited.status_code == 429
    assert "登录尝试太频繁" in limited.content.decode()
    limited = _try(client, "wenjing", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert limited.status_code == 429
    assert not AuditEntry.objects.filter(action="登录").exists()
    assert _try(client, "daping", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_it_answers_json_to_a_client_asking_for_json(world, client, settings):
    settings.LIANXIN_LOGIN_IP_RATE_PER_MINUTE = 1
    _try(client, "wenjing")
    limited = _try(client, "wenjing", HTTP_ACCEPT="application/json")
    assert limited.status_code == 429
    assert limited["Content-Type"].startswith("application/json")
    assert limited.json()["detail"] == "登录尝试太频繁，请稍后再试"
    assert limited.json()["field"] == ""


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_user_name_limit_across_app_processes(world, settings):
    settings.LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE = 4

    def work(i: int) -> list[int]:
        # Each process its own address, two wrong passwords each: axes locks nobody out.
        client = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        return [_try(client, "wenjing").status_code for _ in range(2)]

    statuses = sorted(s for process in in_processes(5, work) for s in process)
    assert statuses == [200] * 4 + [429] * 6
    assert AuditEntry.objects.filter(action="登录失败").count() == 4


def test_it_locks_out_by_the_client_address_the_proxy_names(world, client, settings):
    # Without a trusted proxy, a forged X-Forwarded-For does not escape the lock-out ...
    for i in range(5):
        _try(client, "wenjing", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
    assert "账号已暂时锁定" in _try(client, "wenjing", PASSWORD).content.decode()
    # ... and behind one, a client locked out does not lock out the others behind that proxy.
    settings.LIANXIN_PROXY_COUNT = 1
    for _ in range(5):
        _try(client, "daping", HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert (
        "账号已暂时锁定" in _try(client, "daping", HTTP_X_FORWARDED_FOR="2.2.2.2").content.decode()
    )
    response = _try(client, "daping", PASSWORD, HTTP_X_FORWARDED_FOR="3.3.3.3")
    assert response.status_code == 302

"""Chinese 400/403/404/429/500 pages in the site's layout, with the menu when signed in
(issue 8, point 7), and the lock-out page saying how long the lock lasts."""

import pytest
from django.test import Client, RequestFactory

from lianxin.core.views import server_error
from tests.factories import PASSWORD

MENU = 'class="nav"'


def test_it_answers_an_unknown_page_in_chinese_for_anonymous_users(db, client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "找不到该页面或记录" in html and "Not Found" not in html
    assert MENU not in html and 'href="/accounts/login/"' in html


def test_it_answers_an_out_of_scope_object_with_the_menu(world, login):
    response = login(world.outsider).get(f"/people/households/{world.household.pk}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "不在您账号的查看范围内" in html and MENU in html and "返回首页" in html
    assert world.household.number not in html


def test_it_answers_unknown_api_paths_in_chinese_json(db, client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert "找不到" in response.json()["detail"]


def test_it_answers_a_refused_form_token_with_a_chinese_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.city_admin)
    response = client.post("/accounts/logout/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in html and "CSRF" not in html and MENU in html


def test_it_answers_a_bad_host_with_a_chinese_400(db, client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_it_answers_a_server_error_with_the_menu_when_signed_in(world):
    request = RequestFactory().get("/people/households/")
    request.user = world.city_admin
    response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in html and MENU in html


def test_it_still_answers_a_server_error_when_the_page_cannot_be_drawn(world):
    class Broken:
        is_authenticated = True

        def __getattr__(self, name):
            raise RuntimeError("database is down")

    request = RequestFactory().get("/")
    request.user = Broken()
    response = server_error(request)
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


@pytest.mark.parametrize("minutes", [15])
def test_it_says_how_long_a_lock_out_lasts_and_links_back_to_login(world, settings, minutes):
    settings.AXES_ENABLED = True
    settings.AXES_COOLOFF_TIME = minutes / 60
    client = Client()
    response = None
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            "/accounts/login/", {"username": world.city_admin.username, "password": "wrong"}
        )
    html = response.content.decode()
    assert response.status_code in (403, 429)
    assert f"{minutes} 分钟" in html and 'href="/accounts/login/"' in html
    assert "返回登录页" in html
    assert client.post(
        "/accounts/login/", {"username": world.city_admin.username, "password": PASSWORD}
    ).status_code in (403, 429)


def test_it_answers_too_many_log_ins_with_the_code_and_a_way_back(world, settings):
    from lianxin.core.ratelimit import Verdict, too_many

    request = RequestFactory().get("/accounts/login/")
    request.user = world.city_admin
    verdict = Verdict(allowed=False, count=11, retry_after=42)
    response = too_many(request, verdict, message="登录尝试过于频繁")
    html = response.content.decode()
    assert response.status_code == 429 and '<p class="error-code">429</p>' in html
    assert "登录尝试过于频繁" in html and "请 42 秒后再试" in html
    assert MENU in html and "返回首页" in html


def test_it_answers_the_log_in_limit_with_the_one_429_page(world, client, settings):
    """The site has one page per error: the log-in's limit is templates/429.html, with the
    log-in's hint and the way back to it."""
    settings.LIANXIN_LOGIN_IP_RATE_PER_MINUTE = 1
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 429
    assert [t.name for t in response.templates][:1] == ["429.html"]
    assert '<p class="error-code">429</p>' in html and "登录尝试太频繁，请稍后再试" in html
    assert f"请 {response['Retry-After']} 秒后再试" in html and "忘记密码请联系系统管理员" in html
    assert 'href="/accounts/login/"' in html and "返回登录页" in html and MENU not in html


def test_it_asks_an_anonymous_user_to_log_in_on_a_403(db):
    from django.contrib.auth.models import AnonymousUser

    from lianxin.core.views import permission_denied

    request = RequestFactory().get("/cards/print/")
    request.user = AnonymousUser()
    html = permission_denied(request).content.decode()
    assert "没有权限" in html and "请先登录" in html and MENU not in html

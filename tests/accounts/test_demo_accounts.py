"""Demo logins share a published password: only a demo deployment lets them in."""

from django.urls import reverse

from lianxin.accounts.choices import Role
from lianxin.accounts.services import do_create_user

LOGIN = reverse("accounts:login")
DEMO_PASSWORD = "lianxin2014"


def _demo_login(world):
    made = do_create_user(
        county=world.county,
        username="demo-city",
        password=DEMO_PASSWORD,
        role=Role.CITY_ADMIN,
        check_password=False,
        is_demo=True,
        acting_user=None,
    )
    assert made.is_demo
    return made


def test_it_refuses_demo_logins_by_default(world, client, settings):
    assert settings.LIANXIN_DEMO_ACCOUNTS is False
    _demo_login(world)
    response = client.post(LOGIN, {"username": "demo-city", "password": DEMO_PASSWORD})
    assert (
        response.status_code == 200 and "演示账号只能在演示环境中使用" in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_it_lets_them_in_on_a_demo_deployment(world, client, settings):
    settings.LIANXIN_DEMO_ACCOUNTS = True
    _demo_login(world)
    response = client.post(LOGIN, {"username": "demo-city", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    # Their published password is not expired nor forced to change.
    assert client.get(reverse("core:home")).status_code == 200


def test_it_signs_out_a_demo_session_when_the_deployment_is_not_a_demo(world, login, settings):
    client = login(_demo_login(world))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)

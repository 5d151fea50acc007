import pytest
from django.urls import reverse

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused

URL = reverse("accounts:user_create")
PASSWORD = "Qingcheng-2025!"


def form(**kw):
    data = {
        "username": "xinzhuang",
        "full_name": "新庄村文书",
        "role": "village_staff",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(kw)
    return data


def test_it_creates_a_village_staff_account(world, login):
    client = login(world.system_admin)
    page = client.get(URL).content.decode()
    assert "文井江镇 · 大坪村" in page  # the region picker labels villages with their township
    response = client.post(URL, form(region=world.village.pk))
    assert response.status_code == 302
    created = User.objects.get(username="xinzhuang")
    assert created.role == Role.VILLAGE_STAFF and created.region == world.village
    assert created.check_password(PASSWORD) and not created.can_reveal
    assert AuditEntry.objects.filter(action="新建账号", target_id=str(created.pk)).exists()


def test_it_never_grants_the_reveal_permission(world, login):
    login(world.system_admin).post(URL, form(region=world.village.pk, can_reveal="on"))
    assert User.objects.get(username="xinzhuang").can_reveal is False


def test_it_refuses_an_admin_role_with_the_reveal_permission(world):
    with pytest.raises(Refused) as refused:
        do_create_user(
            county=world.county,
            username="auditor2",
            password=PASSWORD,
            role=Role.AUDIT_ADMIN,
            can_reveal=True,
            acting_user=None,  # even at install
        )
    assert refused.value.message == "管理员账号不能查看居民完整信息"
    assert not User.objects.filter(username="auditor2").exists()


def test_it_refuses_a_region_that_does_not_fit_the_role(world, login):
    client = login(world.system_admin)
    response = client.post(URL, form(role="township_staff", region=world.village.pk))
    assert response.status_code == 400
    assert "乡镇工作人员的负责区域应为乡镇（街道）" in response.content.decode()
    response = client.post(URL, form(role="village_staff"))
    assert "村（社区）工作人员必须指定负责区域" in response.content.decode()
    # Administrator roles are not offered here at all: they go through a proposal.
    response = client.post(URL, form(role="audit_admin", region=world.township.pk))
    assert response.status_code == 400 and "audit_admin" in response.content.decode()
    response = client.post(URL, form(role="handler"))
    assert "部门办理人员必须指定所在单位" in response.content.decode()
    assert not User.objects.filter(username="xinzhuang").exists()


def test_it_refuses_weak_mismatched_or_taken_credentials(world, login):
    client = login(world.system_admin)
    response = client.post(URL, form(region=world.village.pk, password_again="other"))
    assert "两次输入的密码不一致" in response.content.decode()
    response = client.post(URL, form(region=world.village.pk, password="123", password_again="123"))
    assert "密码不符合要求" in response.content.decode()
    response = client.post(URL, form(region=world.village.pk, username="wenjing"))
    assert response.status_code == 409 and "用户名“wenjing”已被使用" in response.content.decode()
    assert not User.objects.filter(username="xinzhuang").exists()


def test_it_answers_404_to_everyone_but_the_system_admin(world, login):
    for persona in (
        world.township_staff,
        world.security_admin,
        world.audit_admin,
        world.city_admin,
    ):
        assert login(persona).get(URL).status_code == 404
        assert login(persona).post(URL, form(region=world.village.pk)).status_code == 404
    assert not User.objects.filter(username="xinzhuang").exists()


def test_it_refuses_a_phone_or_id_number_as_username(world, login):
    from lianxin.accounts.services import do_propose_admin
    from tests.factories import id_number, phone

    for sensitive in (phone(12345678), id_number(), f"li{phone(7)}"):
        with pytest.raises(Refused) as refused:
            do_create_user(
                county=world.county,
                username=sensitive,
                password=PASSWORD,
                role=Role.VILLAGE_STAFF,
                region=world.village,
                acting_user=world.system_admin,
            )
        assert refused.value.field == "username" and "身份证号或手机号" in refused.value.message
        with pytest.raises(Refused) as refused:
            do_propose_admin(
                county=world.county,
                username=sensitive,
                full_name="某某",
                role=Role.AUDIT_ADMIN,
                reason="调岗",
                acting_user=world.system_admin,
            )
        assert "身份证号或手机号" in refused.value.message
    response = login(world.system_admin).post(URL, form(username=phone(1), region=world.village.pk))
    assert response.status_code == 400 and "身份证号或手机号" in response.content.decode()
    assert not User.objects.filter(username__startswith="138").exists()
    assert not AuditEntry.objects.filter(actor_label__contains="138").exists()

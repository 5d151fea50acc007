"""Accounts that read people's data need the security administrator: made or changed by the
system administrator, they take effect only on the security administrator's approval."""

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.accounts.choices import ProposalKind, ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, User
from lianxin.accounts.services import (
    do_approve_access_proposals,
    do_approve_proposal,
    do_create_user,
    do_propose_access_change,
    do_reset_password,
    do_set_reveal_permission,
)
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused

INITIAL = "Chongzhou-2026!"
OWN = "Benren-Shezhi-58"
LOGIN = reverse("accounts:login")


def _cadre(world, username):
    return do_create_user(
        county=world.county,
        username=username,
        password=INITIAL,
        role=Role.CADRE,
        unit=world.unit,
        acting_user=world.system_admin,
    )


def _owner_changes_password(username, old=INITIAL, new=OWN):
    """The owner logs in (a browser of their own) with the temporary password and sets their
    own: then they are signed out, to wait for the approval."""
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": old})
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password": new, "new_password_again": new},
    )
    assert response.status_code == 302 and response.url == LOGIN
    assert "_auth_user_id" not in client.session
    return response


def test_it_lets_the_owner_change_the_password_before_the_role_is_approved(world, client):
    made = _cadre(world, "ganbu1")
    proposal = AccountProposal.objects.get(target=made, status=ProposalStatus.PENDING)
    assert proposal.kind == ProposalKind.ACCESS and proposal.proposed_by == world.system_admin
    # Approving while the password is still the one the system administrator chose is refused:
    # else whoever typed it first would own the account.
    with pytest.raises(Refused) as refused:
        do_approve_proposal(proposal, acting_user=world.security_admin)
    assert "请等本人登录并修改密码后再批准" in refused.value.message
    assert not User.objects.get(pk=made.pk).access_approved

    # The owner logs in, and may do nothing but change the password.
    response = client.post(LOGIN, {"username": "ganbu1", "password": INITIAL})
    assert response.status_code == 302
    for elsewhere in (reverse("core:home"), reverse("people:household_list")):
        response = client.get(elsewhere)
        assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    assert client.get("/api/households").status_code == 403
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": INITIAL, "new_password": OWN, "new_password_again": OWN},
    )
    assert response.status_code == 302 and response.url == LOGIN
    assert "_auth_user_id" not in client.session
    page = client.get(LOGIN).content.decode()
    assert "已修改密码，待安全管理员审批后即可使用" in page
    # With its own password but no approval: no log-in at all, no API.
    response = client.post(LOGIN, {"username": "ganbu1", "password": OWN})
    assert "尚待安全管理员审批" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/api/households").status_code == 401

    # The audit administrator is no approver of roles.
    with pytest.raises(Refused):
        do_approve_proposal(proposal, acting_user=world.audit_admin)
    do_approve_proposal(proposal, acting_user=world.security_admin)
    response = client.post(LOGIN, {"username": "ganbu1", "password": OWN})
    assert response.status_code == 302
    assert client.get(reverse("people:household_list")).status_code == 200
    assert AuditEntry.objects.filter(action="批准账号角色", target_id=str(made.pk)).exists()


def test_it_refuses_account_creation_to_the_security_admin(world, login):
    with pytest.raises(Refused) as refused:
        do_create_user(
            county=world.county,
            username="x1",
            password=INITIAL,
            role=Role.CADRE,
            unit=world.unit,
            acting_user=world.security_admin,
        )
    assert refused.value.status == 403
    assert login(world.security_admin).get(reverse("accounts:user_create")).status_code == 404


def test_it_approves_in_bulk_on_the_page(world, client, login):
    for i in range(3):
        _cadre(world, f"ganbu{i}")
        _owner_changes_password(f"ganbu{i}")
    page = login(world.security_admin).get(reverse("accounts:proposal_list")).content.decode()
    assert "全部批准（3 个干部职工账号的角色）" in page
    assert "是您本人登录并设置了新密码吗" in page
    first = AccountProposal.objects.get(username="ganbu0")
    response = login(world.security_admin).post(
        reverse("accounts:proposal_bulk_approve"), {"ids": [str(first.pk)]}
    )
    assert response.status_code == 302
    assert list(
        User.objects.filter(access_approved=False)
        .order_by("username")
        .values_list("username", flat=True)
    ) == ["ganbu1", "ganbu2"]
    login(world.security_admin).post(reverse("accounts:proposal_bulk_approve"), {"all": "1"})
    assert not User.objects.filter(access_approved=False).exists()
    assert AuditEntry.objects.filter(action="批准账号角色").count() == 3
    # The system administrator cannot use the bulk approval.
    _cadre(world, "ganbu9")
    _owner_changes_password("ganbu9")
    assert (
        login(world.system_admin)
        .post(reverse("accounts:proposal_bulk_approve"), {"all": "1"})
        .status_code
        == 404
    )
    with pytest.raises(Refused):
        do_approve_access_proposals(AccountProposal.objects.all(), acting_user=world.system_admin)
    assert not User.objects.get(username="ganbu9").access_approved


def test_it_approves_in_bulk_only_cadres_whose_owners_changed_the_password(world, client, login):
    # The least-privileged intake, owner's password set: the one kind "approve all" takes.
    _cadre(world, "ganbu1")
    _owner_changes_password("ganbu1")
    # Still the system administrator's password: not before its owner changed it.
    _cadre(world, "ganbu2")
    # Region staff and county-wide roles are approved one by one.
    for username, role, region in (
        ("cunwei1", Role.VILLAGE_STAFF, world.village),
        ("lingdao1", Role.LEADER, None),
    ):
        do_create_user(
            county=world.county,
            username=username,
            password=INITIAL,
            role=role,
            region=region,
            acting_user=world.system_admin,
        )
        _owner_changes_password(username)
    # A cadre given the reveal permission is approved one by one too.
    revealer = _cadre(world, "ganbu3")
    _owner_changes_password("ganbu3")
    do_set_reveal_permission(revealer, allowed=True, acting_user=world.security_admin)

    page = login(world.security_admin).get(reverse("accounts:proposal_list")).content.decode()
    assert "全部批准（1 个干部职工账号的角色）" in page
    assert page.count('name="ids"') == 1 and "待本人登录修改密码" in page
    pending = AccountProposal.objects.filter(status=ProposalStatus.PENDING)
    assert do_approve_access_proposals(pending, acting_user=world.security_admin) == 1
    assert list(
        User.objects.filter(access_approved=False, role__in=["cadre", "village_staff", "leader"])
        .order_by("username")
        .values_list("username", flat=True)
    ) == ["cunwei1", "ganbu2", "ganbu3", "lingdao1"]
    # One by one they are approved (those whose owner changed the password).
    for username in ("cunwei1", "ganbu3", "lingdao1"):
        do_approve_proposal(
            AccountProposal.objects.get(username=username, status=ProposalStatus.PENDING),
            acting_user=world.security_admin,
            note="已电话核实本人",
        )
    assert User.objects.get(username="lingdao1").access_approved


def test_it_changes_a_role_only_on_approval(world, login):
    staff = world.village_staff
    response = login(world.system_admin).post(
        reverse("accounts:user_change_access", args=[staff.pk]),
        {"role": "city_admin", "reason": "调任市级"},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == Role.VILLAGE_STAFF and staff.access_approved  # keeps working meanwhile
    with pytest.raises(Refused) as refused:
        do_propose_access_change(staff, role=Role.LEADER, acting_user=world.system_admin)
    assert refused.value.status == 409
    proposal = AccountProposal.objects.get(target=staff, status=ProposalStatus.PENDING)
    do_approve_proposal(proposal, acting_user=world.security_admin)
    staff.refresh_from_db()
    assert staff.role == Role.CITY_ADMIN and staff.region is None


def test_it_refuses_to_change_an_administrators_role(world):
    with pytest.raises(Refused):
        do_propose_access_change(
            world.security_admin, role=Role.CITY_ADMIN, acting_user=world.system_admin
        )
    with pytest.raises(Refused):
        do_propose_access_change(
            world.city_admin, role=Role.AUDIT_ADMIN, acting_user=world.system_admin
        )
    with pytest.raises(Refused):
        do_propose_access_change(
            world.city_admin, role=Role.LEADER, acting_user=world.security_admin
        )


def test_it_resets_a_password_that_must_then_be_changed(world, client):
    do_reset_password(world.village_staff, new_password=INITIAL, acting_user=world.system_admin)
    world.village_staff.refresh_from_db()
    assert world.village_staff.must_change_password
    # It waits for its owner's own password, then the security administrator
    # (tests/accounts/test_reapproval.py).
    client.post(LOGIN, {"username": "daping", "password": INITIAL})
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    client.logout()
    _owner_changes_password("daping")
    do_approve_proposal(
        AccountProposal.objects.get(target=world.village_staff, status=ProposalStatus.PENDING),
        acting_user=world.security_admin,
        note="已电话核实本人",
    )
    client.post(LOGIN, {"username": "daping", "password": OWN})
    assert client.get(reverse("core:home")).status_code == 200
    # An administrator's password is never reset by another administrator.
    with pytest.raises(Refused):
        do_reset_password(
            world.security_admin, new_password=INITIAL, acting_user=world.system_admin
        )
    with pytest.raises(Refused):
        do_reset_password(
            world.village_staff, new_password=INITIAL, acting_user=world.security_admin
        )

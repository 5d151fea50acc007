"""Accounts that read people's data need the security administrator: made or changed by the
system administrator, they take effect only on the security administrator's approval."""

import pytest
from django.urls import reverse

from lianxin.accounts.choices import ProposalKind, ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, User
from lianxin.accounts.services import (
    do_approve_access_proposals,
    do_approve_proposal,
    do_create_user,
    do_propose_access_change,
    do_reset_password,
)
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused

INITIAL = "Chongzhou-2026!"
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


def test_it_keeps_a_new_account_out_until_its_role_is_approved(world, client):
    made = _cadre(world, "ganbu1")
    response = client.post(LOGIN, {"username": "ganbu1", "password": INITIAL})
    assert "尚待安全管理员审批" in response.content.decode()
    proposal = AccountProposal.objects.get(target=made, status=ProposalStatus.PENDING)
    assert proposal.kind == ProposalKind.ACCESS and proposal.proposed_by == world.system_admin
    # The audit administrator is no approver of roles.
    with pytest.raises(Refused):
        do_approve_proposal(proposal, acting_user=world.audit_admin)
    do_approve_proposal(proposal, acting_user=world.security_admin)
    response = client.post(LOGIN, {"username": "ganbu1", "password": INITIAL})
    assert response.status_code == 302
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
    page = login(world.security_admin).get(reverse("accounts:proposal_list")).content.decode()
    assert "全部批准（3 个账号的角色）" in page
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
    assert (
        login(world.system_admin)
        .post(reverse("accounts:proposal_bulk_approve"), {"all": "1"})
        .status_code
        == 404
    )
    with pytest.raises(Refused):
        do_approve_access_proposals(AccountProposal.objects.all(), acting_user=world.system_admin)
    assert not User.objects.get(username="ganbu9").access_approved


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
    # It waits for the security administrator again (tests/accounts/test_reapproval.py).
    do_approve_proposal(
        AccountProposal.objects.get(target=world.village_staff, status=ProposalStatus.PENDING),
        acting_user=world.security_admin,
    )
    client.post(LOGIN, {"username": "daping", "password": INITIAL})
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    # An administrator's password is never reset by another administrator.
    with pytest.raises(Refused):
        do_reset_password(
            world.security_admin, new_password=INITIAL, acting_user=world.system_admin
        )
    with pytest.raises(Refused):
        do_reset_password(
            world.village_staff, new_password=INITIAL, acting_user=world.security_admin
        )

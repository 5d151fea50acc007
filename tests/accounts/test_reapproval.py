"""A password reset or a re-enabling by the system administrator withdraws the approval of an
account that reads people's data: else the system administrator alone could log in as a city
administrator holding the reveal permission (三员分立)."""

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.accounts.choices import ProposalKind, ProposalStatus, Role
from lianxin.accounts.models import AccountProposal
from lianxin.accounts.services import (
    do_approve_access_proposals,
    do_approve_proposal,
    do_change_password,
    do_create_user,
    do_propose_access_change,
    do_reject_proposal,
    do_reset_password,
    do_set_active,
)
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
CHOSEN = "Qingcheng-2025!"  # the password the system administrator picks
OWN = "Shi-Guan-Zhang-58"


def _pending(user):
    return AccountProposal.objects.get(
        target=user, kind=ProposalKind.ACCESS, status=ProposalStatus.PENDING
    )


def _sets_own_password(username, old, new):
    """Whoever logs in with the temporary password (a browser of their own) may only change it,
    and is then signed out to wait for the approval."""
    client = Client()
    assert client.post(LOGIN, {"username": username, "password": old}).status_code == 302
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    assert client.get("/api/households").status_code == 403
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password": new, "new_password_again": new},
    )
    assert response.status_code == 302 and response.url == LOGIN
    assert "_auth_user_id" not in client.session


def _decided(proposal):
    return AccountProposal.objects.get(pk=proposal.pk)


def test_it_needs_the_owner_then_the_security_admin_again_after_a_password_reset(
    world, client, login
):
    city = world.city_admin
    assert city.can_reveal and city.access_approved
    do_reset_password(city, new_password=CHOSEN, reason="忘记密码", acting_user=world.system_admin)
    city.refresh_from_db()
    assert not city.access_approved and city.must_change_password and city.needs_recheck
    entry = AuditEntry.objects.get(target_id=str(city.pk), action__startswith="重置密码")
    assert entry.action == "重置密码（待安全管理员重新审批）"
    assert entry.changes["access_approved"] == [True, False]

    # The security administrator sees that this is a re-approval after a reset ...
    page = login(world.security_admin).get(reverse("accounts:proposal_list")).content.decode()
    assert "重新审批" in page and "密码已由系统管理员重置" in page and "待本人登录修改密码" in page
    client.logout()
    proposal = _pending(city)
    assert proposal.recheck
    # ... which "approve all" leaves for one-by-one approval, and which waits for the owner.
    assert do_approve_access_proposals([proposal], acting_user=world.security_admin) == 0
    with pytest.raises(Refused, match="请等本人登录并修改密码后再批准"):
        do_approve_proposal(proposal, acting_user=world.security_admin, note="已电话核实本人")

    # The owner logs in with the temporary password, may only change it, then waits.
    _sets_own_password("city", CHOSEN, OWN)
    response = client.post(LOGIN, {"username": "city", "password": OWN})
    assert "尚待安全管理员审批" in response.content.decode()
    # The approver has asked the person "did you set a new password?": a note says so.
    with pytest.raises(Refused) as refused:
        do_approve_proposal(proposal, acting_user=world.security_admin, note=" ")
    assert refused.value.field == "note"
    do_approve_proposal(proposal, acting_user=world.security_admin, note="已电话核实本人改了密码")
    city.refresh_from_db()
    assert city.access_approved and not city.needs_recheck
    approval = AuditEntry.objects.get(target_id=str(city.pk), action="批准账号角色")
    assert approval.reason == "已电话核实本人改了密码" and approval.changes["recheck"][1] is None
    assert _decided(proposal).decision_note == "已电话核实本人改了密码"
    response = client.post(LOGIN, {"username": "city", "password": OWN})
    assert response.status_code == 302
    assert client.get(reverse("people:household_list")).status_code == 200


def test_it_keeps_a_rejected_re_approval_a_re_approval(world, client):
    """The wash: reset, rejected, the same role proposed again, "approve all", log in with the
    chosen password. Every proposal stays a re-approval until one is approved individually."""
    city = world.city_admin
    do_reset_password(city, new_password=CHOSEN, acting_user=world.system_admin)
    do_reject_proposal(_pending(city), acting_user=world.security_admin, note="未能联系本人")
    again = do_propose_access_change(
        city, role=Role.CITY_ADMIN, reason="恢复原角色", acting_user=world.system_admin
    )
    assert "密码已由系统管理员重置" in again.recheck
    assert do_approve_access_proposals([again], acting_user=world.security_admin) == 0
    city.refresh_from_db()
    assert not city.access_approved and city.needs_recheck == again.recheck
    # The system administrator, with the password it chose, gets only the change-password page.
    _sets_own_password("city", CHOSEN, OWN)
    city.refresh_from_db()
    assert not city.access_approved and city.needs_recheck
    response = client.post(LOGIN, {"username": "city", "password": OWN})
    assert "尚待安全管理员审批" in response.content.decode()
    # Even proposed again after another rejection, and as a cadre: still a re-approval.
    do_reject_proposal(again, acting_user=world.security_admin, note="本人说没有改过密码")
    third = do_propose_access_change(
        city, role=Role.CADRE, unit=world.unit, acting_user=world.system_admin
    )
    assert third.recheck
    assert do_approve_access_proposals([third], acting_user=world.security_admin) == 0


def test_it_rechecks_under_the_lock_in_bulk(world):
    """ "Approve all" read the list, then a password reset landed before the approval: the
    reset's re-approval is not approved in bulk."""
    cadre = do_create_user(
        county=world.county,
        username="ganbu1",
        password=CHOSEN,
        role=Role.CADRE,
        unit=world.unit,
        acting_user=world.system_admin,
    )
    do_change_password(cadre, new_password=OWN, acting_user=cadre)
    listed = list(AccountProposal.objects.filter(target=cadre, status=ProposalStatus.PENDING))
    assert listed and not listed[0].recheck
    do_reset_password(cadre, new_password="Linshi-Mima-2026", acting_user=world.system_admin)
    assert do_approve_access_proposals(listed, acting_user=world.security_admin) == 0
    cadre.refresh_from_db()
    assert not cadre.access_approved and cadre.must_change_password


def test_it_needs_the_security_admin_again_after_re_enabling(world, client):
    staff = world.township_staff
    do_set_active(staff, active=False, acting_user=world.system_admin)
    do_set_active(staff, active=True, reason="返岗", acting_user=world.system_admin)
    staff.refresh_from_db()
    assert staff.is_active and not staff.access_approved
    assert "重新启用" in _pending(staff).recheck
    assert AuditEntry.objects.filter(
        target_id=str(staff.pk), action="启用账号（待安全管理员重新审批）"
    ).exists()
    response = client.post(LOGIN, {"username": staff.username, "password": PASSWORD})
    assert "尚待安全管理员审批" in response.content.decode()
    # A re-approval says who was contacted, and the note is kept with the decision.
    with pytest.raises(Refused) as refused:
        do_approve_proposal(_pending(staff), acting_user=world.security_admin, note="")
    assert refused.value.field == "note"
    proposal = do_approve_proposal(
        _pending(staff), acting_user=world.security_admin, note="已与本人当面核实"
    )
    assert _decided(proposal).decision_note == "已与本人当面核实"
    assert AuditEntry.objects.filter(
        action="批准账号角色", target_id=str(staff.pk), reason="已与本人当面核实"
    ).exists()
    # Disabling alone withdraws nothing that needs approving.
    assert not AuditEntry.objects.filter(action="停用账号", changes__has_key="access_approved")


def test_it_marks_a_waiting_role_change_as_the_re_approval(world, login):
    # A role change already waits for the security administrator: no second proposal.
    login(world.system_admin).post(
        reverse("accounts:user_change_access", args=[world.city_admin.pk]),
        {"role": "leader", "reason": "转任领导"},
    )
    do_reset_password(world.city_admin, new_password=CHOSEN, acting_user=world.system_admin)
    proposal = _pending(world.city_admin)
    assert proposal.role == "leader" and proposal.recheck
    # The audit row of the reset names the proposal it turned into the re-approval.
    entry = AuditEntry.objects.get(
        target_id=str(world.city_admin.pk), action__startswith="重置密码"
    )
    assert entry.changes["proposal"] == [proposal.pk, proposal.pk]


def test_it_leaves_an_own_change_and_the_console_alone(world, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", OWN)
    call_command(
        "create_account", county="510184", username="city", role="city_admin", reset_password=True
    )
    world.city_admin.refresh_from_db()
    assert world.city_admin.access_approved
    assert not AccountProposal.objects.filter(target=world.city_admin).exists()

"""A password reset or a re-enabling by the system administrator withdraws the approval of an
account that reads people's data: else the system administrator alone could log in as a city
administrator holding the reveal permission (三员分立)."""

from django.urls import reverse

from lianxin.accounts.choices import ProposalKind, ProposalStatus
from lianxin.accounts.models import AccountProposal
from lianxin.accounts.services import (
    do_approve_access_proposals,
    do_approve_proposal,
    do_reset_password,
    do_set_active,
)
from lianxin.audit.models import AuditEntry
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
CHOSEN = "Qingcheng-2025!"  # the password the system administrator picks
OWN = "Shi-Guan-Zhang-58"


def _pending(user):
    return AccountProposal.objects.get(
        target=user, kind=ProposalKind.ACCESS, status=ProposalStatus.PENDING
    )


def test_it_needs_the_security_admin_again_after_a_password_reset(world, client, login):
    city = world.city_admin
    assert city.can_reveal and city.access_approved
    do_reset_password(city, new_password=CHOSEN, reason="忘记密码", acting_user=world.system_admin)
    city.refresh_from_db()
    assert not city.access_approved and city.must_change_password
    entry = AuditEntry.objects.get(target_id=str(city.pk), action__startswith="重置密码")
    assert entry.action == "重置密码（待安全管理员重新审批）"
    assert entry.changes["access_approved"] == [True, False]

    # The system administrator cannot use the password it chose.
    response = client.post(LOGIN, {"username": "city", "password": CHOSEN})
    assert response.status_code == 200 and "尚待安全管理员审批" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # The security administrator sees that this is a re-approval after a reset ...
    page = login(world.security_admin).get(reverse("accounts:proposal_list")).content.decode()
    assert "重新审批" in page and "密码已由系统管理员重置" in page
    proposal = _pending(city)
    assert proposal.recheck
    # ... which "approve all" leaves for one-by-one approval after checking with the person.
    assert do_approve_access_proposals([proposal], acting_user=world.security_admin) == 0
    do_approve_proposal(proposal, acting_user=world.security_admin, note="已电话核实本人")
    client.logout()

    # The owner logs in, and changes the password first.
    response = client.post(LOGIN, {"username": "city", "password": CHOSEN})
    assert response.status_code == 302
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": CHOSEN, "new_password": OWN, "new_password_again": OWN},
    )
    assert response.status_code == 302
    assert client.get(reverse("people:household_list")).status_code == 200


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


def test_it_leaves_an_own_change_and_the_console_alone(world, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", OWN)
    call_command(
        "create_account", county="510184", username="city", role="city_admin", reset_password=True
    )
    world.city_admin.refresh_from_db()
    assert world.city_admin.access_approved
    assert not AccountProposal.objects.filter(target=world.city_admin).exists()

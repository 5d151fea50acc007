"""三员分立 against one administrator acting alone: the attack of issue 6 point 2, step by step,
and the two-person procedure that replaces it."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lianxin.accounts.choices import ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, PasswordHistory, User
from lianxin.accounts.services import (
    do_approve_proposal,
    do_create_user,
    do_propose_admin,
    do_reject_proposal,
    do_set_active,
    do_set_reveal_permission,
)
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from tests.factories import PASSWORD, user

CHOSEN = "Qingcheng-2025!"  # the password the attacking system administrator would pick
OWN = "Shenji-Wenjiang-7"  # the new administrator's own
LOGIN = reverse("accounts:login")


def _create(world, role, username, **kw):
    return do_create_user(
        county=world.county,
        username=username,
        password=CHOSEN,
        role=role,
        acting_user=world.system_admin,
        **kw,
    )


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN])
def test_it_refuses_the_first_step_a_system_admin_creating_an_administrator(world, role):
    with pytest.raises(Refused) as refused:
        _create(world, role, "proxy")
    assert refused.value.status == 403
    assert "不能直接新建" in refused.value.message
    assert not User.objects.filter(username="proxy").exists()


def test_it_refuses_the_first_step_on_the_page_too(world, login):
    client = login(world.system_admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "secadmin2",
            "full_name": "第二安全员",
            "role": "security_admin",
            "password": CHOSEN,
            "password_again": CHOSEN,
        },
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="secadmin2").exists()


def test_it_refuses_every_later_step_of_the_attack(world, client, login):
    # Step 2: a city administrator with a password of the system administrator's choosing is
    # made, but it cannot use the system: with the chosen password it reaches only the
    # change-password page, and its role waits for the security administrator.
    proxy_city = _create(world, Role.CITY_ADMIN, "city2", full_name="代理市管")
    assert not proxy_city.access_approved and proxy_city.must_change_password
    response = client.post(LOGIN, {"username": "city2", "password": CHOSEN})
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    assert client.get("/api/households").status_code == 403
    client.logout()
    # ... nor can the system administrator approve the role itself.
    proposal = AccountProposal.objects.get(target=proxy_city)
    with pytest.raises(Refused) as refused:
        do_approve_proposal(proposal, acting_user=world.system_admin)
    assert refused.value.status == 403
    # Step 3: the reveal permission is the security administrator's; the system administrator
    # cannot grant it, at creation or afterwards.
    with pytest.raises(Refused):
        _create(world, Role.CITY_ADMIN, "city3", can_reveal=True)
    with pytest.raises(Refused):
        do_set_reveal_permission(proxy_city, allowed=True, acting_user=world.system_admin)
    # A proposal for a second security administrator cannot be approved by its proposer.
    second = do_propose_admin(
        county=world.county,
        username="secadmin2",
        full_name="第二安全员",
        role=Role.SECURITY_ADMIN,
        reason="安全员调岗",
        acting_user=world.system_admin,
    )
    with pytest.raises(Refused) as refused:
        do_approve_proposal(second, acting_user=world.system_admin)
    assert refused.value.message == "提议人不能审批自己的提议"
    assert not User.objects.filter(username="secadmin2").exists()
    # Step 4: reading full ID numbers as the proxy city admin: even logged in by force, every
    # request leads to the change-password page, and once changed, signs it out until its role
    # is approved.
    response = login(proxy_city).get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    client.post(
        reverse("accounts:password_change"),
        {"old_password": CHOSEN, "new_password": OWN, "new_password_again": OWN},
    )
    response = login(proxy_city).get(reverse("people:household_list"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    # Step 5: the audit log stays the audit administrator's alone.
    assert login(world.system_admin).get(reverse("audit:entry_list")).status_code == 404
    # Every step that changed something is there for the audit administrator to read.
    page = login(world.audit_admin).get(reverse("audit:entry_list")).content.decode()
    assert "提议新建管理员账号" in page and "提议账号角色" in page


def test_it_refuses_an_approver_of_the_proposers_role(world):
    other_sysadmin = user(world.county, Role.SYSTEM_ADMIN, "sysadmin2")
    proposal = do_propose_admin(
        county=world.county,
        username="auditor2",
        full_name="第二审计员",
        role=Role.AUDIT_ADMIN,
        reason="审计员调岗",
        acting_user=world.system_admin,
    )
    with pytest.raises(Refused) as refused:
        do_approve_proposal(proposal, acting_user=other_sysadmin)
    assert "另一类管理员" in refused.value.message
    # People who are not administrators cannot decide either.
    with pytest.raises(Refused):
        do_approve_proposal(proposal, acting_user=world.city_admin)
    assert not User.objects.filter(username="auditor2").exists()


def test_it_makes_the_account_only_on_approval_by_another_role(world):
    proposal = do_propose_admin(
        county=world.county,
        username="secadmin2",
        full_name="第二安全员",
        role=Role.SECURITY_ADMIN,
        reason="安全员调岗",
        acting_user=world.system_admin,
    )
    assert not User.objects.filter(username="secadmin2").exists()
    proposal = do_approve_proposal(proposal, acting_user=world.audit_admin, note="核实调岗文件")
    created = User.objects.get(username="secadmin2")
    assert proposal.status == ProposalStatus.APPROVED and proposal.decided_by == world.audit_admin
    assert created.role == Role.SECURITY_ADMIN and created.access_approved
    # Nobody knows a password for it, neither the proposer nor the approver.
    assert not created.has_usable_password()
    assert not PasswordHistory.objects.filter(user=created).exists()
    actions = set(AuditEntry.objects.filter(county=world.county).values_list("action", flat=True))
    assert {"提议新建管理员账号", "批准提议", "新建账号"} <= actions
    with pytest.raises(Refused) as refused:
        do_approve_proposal(proposal, acting_user=world.security_admin)
    assert refused.value.status == 409


def test_it_rejects_with_a_reason_and_makes_nothing(world):
    proposal = do_propose_admin(
        county=world.county,
        username="sys2",
        full_name="第二系统员",
        role=Role.SYSTEM_ADMIN,
        reason="增设",
        acting_user=world.security_admin,
    )
    with pytest.raises(Refused):
        do_reject_proposal(proposal, acting_user=world.audit_admin, note="")
    do_reject_proposal(proposal, acting_user=world.audit_admin, note="无编制")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert not User.objects.filter(username="sys2").exists()
    assert AuditEntry.objects.filter(action="驳回提议", reason="无编制").exists()


def test_it_runs_the_procedure_on_the_pages(world, client, login, monkeypatch):
    proposer = login(world.system_admin)
    response = proposer.post(
        reverse("accounts:admin_propose"),
        {
            "username": "auditor2",
            "full_name": "第二审计员",
            "role": "audit_admin",
            "reason": "调岗",
        },
    )
    assert response.status_code == 302
    proposal = AccountProposal.objects.get(username="auditor2")
    listing = proposer.get(reverse("accounts:proposal_list")).content.decode()
    assert "auditor2" in listing and "提议新建管理员账号" in listing
    # The security administrator approves; the page shows no password but how the owner sets
    # one at the server.
    response = login(world.security_admin).post(
        reverse("accounts:proposal_decide", args=[proposal.pk]), {"approve": "1", "note": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "lianxin create-account --county 510184 --username auditor2 --role audit_admin "
        "--reset-password" in page
    )
    assert "没有密码" in page and "initial" not in response.context
    # Nothing the approver could type logs in.
    client.logout()
    response = client.post(LOGIN, {"username": "auditor2", "password": ""})
    assert "_auth_user_id" not in client.session
    # The operator runs the command at the server; the owner types the password there, so it is
    # not "set by someone else" and needs no change.
    monkeypatch.setenv("LIANXIN_NEW_PASSWORD", OWN)
    call_command(
        "create_account",
        county="510184",
        username="auditor2",
        role="audit_admin",
        reset_password=True,
    )
    response = client.post(LOGIN, {"username": "auditor2", "password": OWN})
    assert response.status_code == 302
    assert client.get(reverse("audit:entry_list")).status_code == 200


def test_it_leaves_a_separated_administrators_activation_to_the_server(world, login, client):
    for admin in (world.security_admin, world.audit_admin):
        with pytest.raises(Refused) as refused:
            do_set_active(admin, active=False, acting_user=world.system_admin)
        assert refused.value.status == 403 and "--deactivate" in refused.value.message
        response = login(world.system_admin).post(
            reverse("accounts:user_set_active", args=[admin.pk]), {"active": "0"}
        )
        assert response.status_code == 403 and "在服务器上办理" in response.content.decode()
        admin.refresh_from_db()
        assert admin.is_active
    listing = login(world.system_admin).get(reverse("accounts:user_list"))
    assert reverse("accounts:user_set_active", args=[world.audit_admin.pk]) not in (
        listing.content.decode()
    )
    # At the server, with an audit row.
    call_command(
        "create_account",
        county="510184",
        username="auditor",
        role="audit_admin",
        deactivate=True,
        reason="调离",
    )
    world.audit_admin.refresh_from_db()
    assert not world.audit_admin.is_active
    assert AuditEntry.objects.filter(action="停用账号", actor__isnull=True, reason="调离").exists()
    # Nobody approves at the console: the reason is all the audit log will show, so it is required.
    with pytest.raises(CommandError, match="--reason"):
        call_command(
            "create_account", county="510184", username="auditor", role="audit_admin", activate=True
        )
    call_command(
        "create_account",
        county="510184",
        username="auditor",
        role="audit_admin",
        activate=True,
        reason="返岗",
    )
    world.audit_admin.refresh_from_db()
    assert world.audit_admin.is_active and world.audit_admin.access_approved


def test_it_hides_the_proposal_pages_from_everyone_else(world, login):
    for persona in (world.city_admin, world.township_staff, world.cadre_user, world.leader_user):
        client = login(persona)
        assert client.get(reverse("accounts:proposal_list")).status_code == 404
        assert client.get(reverse("accounts:admin_propose")).status_code == 404


def test_it_keeps_the_install_path(world):
    # The first administrators come from `lianxin create-account` (acting_user=None).
    made = do_create_user(
        county=world.county,
        username="secadmin9",
        password=PASSWORD,
        role=Role.SECURITY_ADMIN,
        acting_user=None,
    )
    assert made.access_approved and not made.must_change_password

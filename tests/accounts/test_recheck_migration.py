"""accounts 0005: accounts left waiting for a re-approval by the old code are flagged, the washed
ones included (a re-approval rejected, then the same role proposed again as a plain proposal)."""

import importlib

from django.apps import apps

from lianxin.accounts.choices import ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, User
from lianxin.accounts.services import (
    do_approve_proposal,
    do_change_password,
    do_propose_access_change,
    do_reject_proposal,
    do_reset_password,
)

migration = importlib.import_module("lianxin.accounts.migrations.0005_user_needs_recheck")
CHOSEN = "Qingcheng-2025!"
OWN = "Shi-Guan-Zhang-58"


def _as_before(user: User) -> None:
    """What the old code left: no flag on the account, a re-proposal without recheck."""
    User.objects.filter(pk=user.pk).update(needs_recheck="")
    AccountProposal.objects.filter(target=user, status=ProposalStatus.PENDING).update(recheck="")


def test_it_flags_the_accounts_still_waiting_for_a_re_approval(world):
    city, staff, cadre = world.city_admin, world.township_staff, world.cadre_user
    # Washed: reset, rejected, proposed again.
    do_reset_password(city, new_password=CHOSEN, acting_user=world.system_admin)
    pending = AccountProposal.objects.get(target=city, status=ProposalStatus.PENDING)
    do_reject_proposal(pending, acting_user=world.security_admin, note="未能联系本人")
    do_propose_access_change(city, role=Role.CITY_ADMIN, acting_user=world.system_admin)
    _as_before(city)
    # Reset and approved again since: nothing left to re-check.
    do_reset_password(staff, new_password=CHOSEN, acting_user=world.system_admin)
    do_change_password(staff, new_password=OWN, acting_user=staff)
    do_approve_proposal(
        AccountProposal.objects.get(target=staff, status=ProposalStatus.PENDING),
        acting_user=world.security_admin,
        note="已电话核实本人",
    )
    _as_before(staff)

    migration.flag_pending_rechecks(apps, None)

    assert "密码已由系统管理员重置" in User.objects.get(pk=city.pk).needs_recheck
    assert User.objects.get(pk=staff.pk).needs_recheck == ""
    assert User.objects.get(pk=cadre.pk).needs_recheck == ""

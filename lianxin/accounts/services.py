"""Account changes under 三员分立.

- The system administrator makes accounts that read people's data (cadres, staff, handlers, ...)
  and proposes changes to their role and scope; none of them can log in, nor does a change take
  effect, until the security administrator approves it.
- An administrator account (system, security, audit) is made only at install (`lianxin
  create-account`, acting_user=None) or by two persons: one administrator proposes, an
  administrator of another of the three roles approves. It is made without a usable password:
  its owner sets the first one at the server (`lianxin create-account --reset-password`), so
  neither administrator ever knows it. Administrators are (de)activated at the server too.
- The security administrator approves roles and grants the reveal permission, and makes no account.
- A password set by someone else must be changed at the account's first log-in, and the owner
  does that BEFORE the security administrator approves: an unapproved account may log in only
  to change its password, and its role is approved only once that is done (the approver asks
  the person "did you set a new password?"). When the system administrator resets the password
  of (or re-enables) an account that reads people's data, its approval is withdrawn and the
  account flagged (needs_recheck) until the security administrator approves it individually.
- "Approve all" takes only the least-privileged intake (cadres without the reveal permission,
  passwords changed by their owners, no re-approval); the rest are approved one by one.
- A password that passes no longer (set before the rules) must be changed at the next log-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import NOT_FOUND, check_actor
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.integrity import refuse_conflicts
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.masking import contains_sensitive
from lianxin.org.models import Unit

from .choices import (
    DATA_ROLES,
    REGION_SCOPED,
    SEPARATED_ADMINS,
    ProposalKind,
    ProposalStatus,
    Role,
)
from .models import AccountProposal, PasswordHistory, User
from .validators import PasswordHistoryValidator

ACCOUNT_FIELDS = {
    "accounts_user_region_staff_have_region": "region",
    "accounts_user_handler_has_unit": "unit",
}


def _check_scope(county: County, role: str, region: Region | None, unit: Unit | None) -> None:
    if role not in Role.values:
        raise Refused(f"无法识别的角色“{role}”", field="role")
    if region is not None and region.county_id != county.pk:
        raise Refused("负责区域不属于本县", field="region")
    if unit is not None and unit.county_id != county.pk:
        raise Refused("所在单位不属于本县", field="unit")
    if role in REGION_SCOPED and region is None:
        raise Refused(f"{Role(role).label}必须指定负责区域", field="region")
    if role == Role.TOWNSHIP_STAFF and region is not None and region.level != Level.TOWNSHIP:
        raise Refused("乡镇工作人员的负责区域应为乡镇（街道）", field="region")
    if role == Role.VILLAGE_STAFF and region is not None and region.level != Level.VILLAGE:
        raise Refused("村（社区）工作人员的负责区域应为村（社区）", field="region")
    if role in (Role.HANDLER, Role.CADRE) and unit is None:
        raise Refused(f"{Role(role).label}必须指定所在单位", field="unit")
    if role in SEPARATED_ADMINS and region is not None:
        raise Refused("系统、安全、审计管理员不按区域划分", field="region")


def _clean_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise Refused("用户名不能为空", field="username")
    # A username sits in clear in the account table and in every audit row's actor.
    if contains_sensitive(username):
        raise Refused(
            "用户名不能是身份证号或手机号（用户名会明文记入账号表和审计日志），请用拼音或工号",
            field="username",
        )
    return username


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Refused("密码不符合要求：" + "；".join(exc.messages), field="password") from None


def _set_password(user: User, password: str | None, *, must_change: bool) -> list[str]:
    """Set the hash and its bookkeeping; the caller saves the user, then _remember_password()."""
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    return ["password", "password_changed_at", "must_change_password"]


def _remember_password(user: User) -> None:
    if user.has_usable_password():
        PasswordHistory.objects.create(user=user, password=user.password)


def _scope_label(role: str, region: Region | None, unit: Unit | None) -> str:
    where = unit.name if unit else (str(region) if region else "全县")
    return f"{Role(role).label}（{where}）"


def do_create_user(
    *,
    county: County,
    username: str,
    password: str,
    role: str,
    acting_user: Any,
    full_name: str = "",
    region: Region | None = None,
    unit: Unit | None = None,
    can_reveal: bool = False,
    check_password: bool = True,
    is_demo: bool = False,
) -> User:
    """Create an account: the installer (acting_user=None) any, the system administrator one
    that reads people's data, which waits for the security administrator's approval."""
    installing = acting_user is None
    check_actor(acting_user, "manages_accounts", "只有系统管理员可以新建账号", county_id=county.pk)
    if not installing and role in SEPARATED_ADMINS:
        raise Refused(
            "系统、安全、审计管理员账号不能直接新建：须由一名管理员提议、另一类管理员批准，"
            "或在安装时用 lianxin create-account 创建",
            field="role",
            status=403,
        )
    if not installing and can_reveal:
        raise Refused("查看完整信息的权限只能由安全管理员授予", field="can_reveal", status=403)
    username = _clean_username(username)
    check_fields(User, {"username": username, "full_name": full_name, "role": role})
    _check_scope(county, role, region, unit)
    if can_reveal and role in SEPARATED_ADMINS:
        raise Refused("管理员账号不能查看居民完整信息", field="can_reveal")
    user = User(
        county=county,
        username=username,
        full_name=full_name,
        role=role,
        region=region,
        unit=unit,
        can_reveal=can_reveal,
        access_approved=installing,
        is_demo=is_demo,
    )
    if check_password:
        _validate_password(password, user)
    with refuse_conflicts(ACCOUNT_FIELDS):
        if User.objects.filter(username=username).exists() or _pending_username(username):
            raise Refused(f"用户名“{username}”已被使用", field="username", status=409)
        # Someone else chose this password: its owner changes it at first log-in.
        _set_password(user, password, must_change=not installing)
        user.save()
        _remember_password(user)
        record(
            actor=acting_user,
            action="新建账号",
            target=user,
            county_id=county.pk,
            changes={
                "role": [None, Role(role).label],
                "region": [None, str(region) if region else "全县"],
                "can_reveal": [None, can_reveal],
            },
        )
        if not installing:
            _propose_access(user, role=role, region=region, unit=unit, acting_user=acting_user)
        return user


def _pending_username(username: str) -> bool:
    return AccountProposal.objects.filter(
        username=username, status=ProposalStatus.PENDING, kind=ProposalKind.NEW_ADMIN
    ).exists()


def _propose_access(
    user: User,
    *,
    role: str,
    region: Region | None,
    unit: Unit | None,
    acting_user: Any,
    reason: str = "",
    recheck: str = "",
) -> AccountProposal:
    # While the account needs a re-approval, every proposal for it is one: rejecting it and
    # proposing the same role again must not turn it into a plain, bulk-approvable proposal.
    recheck = recheck or user.needs_recheck
    proposal = AccountProposal.objects.create(
        county_id=user.county_id,
        kind=ProposalKind.ACCESS,
        target=user,
        username=user.username,
        full_name=user.full_name,
        role=role,
        region=region,
        unit=unit,
        reason=reason,
        recheck=recheck,
        proposed_by=acting_user,
    )
    record(
        actor=acting_user,
        action="提议账号角色",
        target=user,
        changes={
            "role": [None, _scope_label(role, region, unit)],
            "proposal": [None, proposal.pk],
            **({"recheck": [None, recheck]} if recheck else {}),
        },
        reason=reason,
    )
    return proposal


def do_propose_access_change(
    user: User,
    *,
    role: str,
    acting_user: Any,
    region: Region | None = None,
    unit: Unit | None = None,
    reason: str = "",
) -> AccountProposal:
    """The system administrator proposes a new role or scope for an account that reads people's
    data; the account keeps its present one until the security administrator approves."""
    if not acting_user.manages_accounts:
        raise Refused("只有系统管理员可以提议变更账号角色和范围", status=403)
    if user.county_id != acting_user.county_id:
        raise Refused("账号不属于本县", status=404)
    if user.role in SEPARATED_ADMINS or role in SEPARATED_ADMINS:
        raise Refused(
            "系统、安全、审计管理员的角色不能变更；请另行提议新建管理员账号", field="role"
        )
    check_fields(AccountProposal, {"role": role, "reason": reason})
    _check_scope(user.county, role, region, unit)
    with refuse_conflicts():
        user = User.objects.select_for_update().get(pk=user.pk)
        if AccountProposal.objects.filter(
            username=user.username, status=ProposalStatus.PENDING
        ).exists():
            raise Refused("该账号已有待审批的提议，请等安全管理员处理后再提", status=409)
        if (user.role, user.region_id, user.unit_id) == (
            role,
            region.pk if region else None,
            unit.pk if unit else None,
        ) and user.access_approved:
            raise Refused("角色和范围没有变化", field="role")
        return _propose_access(
            user, role=role, region=region, unit=unit, acting_user=acting_user, reason=reason
        )


def do_propose_admin(
    *,
    county: County,
    username: str,
    full_name: str,
    role: str,
    acting_user: Any,
    reason: str = "",
) -> AccountProposal:
    """One administrator proposes a new system, security or audit administrator account."""
    if acting_user is None or not acting_user.is_separated_admin:
        raise Refused("只有系统、安全、审计管理员可以提议新建管理员账号", status=403)
    if role not in SEPARATED_ADMINS:
        raise Refused("这里只提议系统、安全、审计管理员账号", field="role")
    if county.pk != acting_user.county_id:
        raise Refused("只能为本县提议", status=403)
    username = _clean_username(username)
    if len(reason.strip()) < 2:
        raise Refused("请填写事由", field="reason")
    check_fields(AccountProposal, {"username": username, "full_name": full_name, "reason": reason})
    with refuse_conflicts():
        if (
            User.objects.filter(username=username).exists()
            or AccountProposal.objects.filter(
                username=username, status=ProposalStatus.PENDING
            ).exists()
        ):
            raise Refused(f"用户名“{username}”已被使用", field="username", status=409)
        proposal = AccountProposal.objects.create(
            county=county,
            kind=ProposalKind.NEW_ADMIN,
            username=username,
            full_name=full_name,
            role=role,
            reason=reason,
            proposed_by=acting_user,
        )
        record(
            actor=acting_user,
            action="提议新建管理员账号",
            target=proposal,
            changes={"username": [None, username], "role": [None, Role(role).label]},
            reason=reason,
        )
        return proposal


def decision_refusal(proposal: AccountProposal, acting_user: Any) -> Refused | None:
    """Why the user may not decide the proposal, or None when they may: the service's check,
    which the 账号审批 page also asks to show the approve and reject buttons."""
    if acting_user is None or not acting_user.is_separated_admin:
        return Refused("只有系统、安全、审计管理员可以审批", status=403)
    if proposal.county_id != acting_user.county_id:
        return Refused(NOT_FOUND, status=404)
    if proposal.status != ProposalStatus.PENDING:
        return Refused(f"该提议已{proposal.get_status_display()}，不能再审批", status=409)
    if proposal.proposed_by_id == acting_user.pk:
        return Refused("提议人不能审批自己的提议", status=403)
    if proposal.kind == ProposalKind.ACCESS:
        if not acting_user.manages_permissions:
            return Refused("读取居民数据的角色只能由安全管理员审批", status=403)
    elif proposal.proposed_by.role == acting_user.role:
        return Refused(
            f"管理员账号须由另一类管理员审批：提议人是{proposal.proposed_by.get_role_display()}",
            status=403,
        )
    return None


def _check_decider(proposal: AccountProposal, acting_user: Any) -> None:
    refusal = decision_refusal(proposal, acting_user)
    if refusal is not None:
        raise refusal


def _decide(
    proposal_pk: int, *, acting_user: Any, note: str, approve: bool
) -> tuple[AccountProposal, list[str]]:
    """Lock the proposal, check who decides, record the decision (its audit row included).
    Returns the proposal and the fields the caller saves once it has done its part."""
    # Two deciders clicking at once: the row lock makes the second see it decided.
    proposal = (
        AccountProposal.objects.select_for_update()
        .select_related("proposed_by")
        .get(pk=proposal_pk)
    )
    _check_decider(proposal, acting_user)
    check_fields(AccountProposal, {"decision_note": note}, aliases={"decision_note": "note"})
    status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    proposal.status = status
    proposal.decided_by = acting_user
    proposal.decided_at = timezone.now()
    proposal.decision_note = note
    record(
        actor=acting_user,
        action="批准提议" if approve else "驳回提议",
        target=proposal,
        changes={"status": [ProposalStatus.PENDING.label, status.label]},
        reason=note,
    )
    return proposal, ["status", "decided_by", "decided_at", "decision_note"]


def _is_recheck(proposal: AccountProposal, user: User) -> str:
    return proposal.recheck or user.needs_recheck


def bulk_approvable(proposal: AccountProposal, user: User) -> bool:
    """Whether "approve all" may approve this proposal: the least-privileged intake only, a
    cadre (one unit's own households) without the reveal permission whose owner has changed the
    password, and no re-approval. County-wide roles, region staff, reveal holders and
    re-approvals are approved one by one, after checking with the person."""
    return (
        proposal.kind == ProposalKind.ACCESS
        and proposal.status == ProposalStatus.PENDING
        and proposal.role == Role.CADRE
        and not _is_recheck(proposal, user)
        and not user.can_reveal
        and not user.must_change_password
    )


def bulk_approvable_q() -> Q:
    """bulk_approvable() as a filter on proposals, for the count the page shows."""
    return Q(
        kind=ProposalKind.ACCESS,
        status=ProposalStatus.PENDING,
        role=Role.CADRE,
        recheck="",
        target__needs_recheck="",
        target__can_reveal=False,
        target__must_change_password=False,
    )


def _approve_access(proposal: AccountProposal, user: User, *, acting_user: Any, note: str) -> None:
    """The approved role and scope take effect; an individual approval clears the re-approval
    flag (the approver checked with the person)."""
    _check_scope(user.county, proposal.role, proposal.region, proposal.unit)
    before = _scope_label(user.role, user.region, user.unit)
    was_recheck = user.needs_recheck
    user.role = proposal.role
    user.region = proposal.region
    user.unit = proposal.unit
    user.access_approved = True
    user.needs_recheck = ""
    user.save(update_fields=["role", "region", "unit", "access_approved", "needs_recheck"])
    changes: dict[str, list[Any]] = {
        "role": [before, _scope_label(user.role, user.region, user.unit)],
        "proposal": [None, proposal.pk],
    }
    if was_recheck or proposal.recheck:
        changes["recheck"] = [was_recheck or proposal.recheck, None]
    record(
        actor=acting_user,
        action="批准账号角色",
        target=user,
        changes=changes,
        reason=note,
    )


def _check_approvable(proposal: AccountProposal, user: User, note: str) -> None:
    # Whoever typed the temporary password first would own the account: the owner logs in and
    # sets a password of their own first, then the approver asks them whether they did.
    if user.must_change_password:
        raise Refused(
            "该账号的密码仍是他人设置的临时密码：请等本人登录并修改密码后再批准", status=409
        )
    if _is_recheck(proposal, user) and len(note.strip()) < 2:
        raise Refused("重新审批须填写核实情况：与谁、如何核实了是本人修改的密码", field="note")


def do_approve_proposal(
    proposal: AccountProposal, *, acting_user: Any, note: str = ""
) -> AccountProposal:
    """Approve: a new administrator account is made, or an account's role and scope take effect.
    The new administrator has no usable password: whoever knew a password the approver chose
    could take the role, so its owner sets the first one at the server. An account's role is
    approved only once its owner has replaced the temporary password; a re-approval needs a
    note saying who was contacted."""
    with refuse_conflicts(ACCOUNT_FIELDS):
        user = None
        if proposal.kind == ProposalKind.ACCESS:
            # The account before the proposal, as _withdraw_access locks them (no deadlock).
            user = User.objects.select_for_update().get(pk=proposal.target_id)
        proposal, fields = _decide(proposal.pk, acting_user=acting_user, note=note, approve=True)
        if user is not None:
            _check_approvable(proposal, user, note)
            _approve_access(proposal, user, acting_user=acting_user, note=note)
        else:
            if User.objects.filter(username=proposal.username).exists():
                raise Refused(f"用户名“{proposal.username}”已被使用", status=409)
            user = User(
                county_id=proposal.county_id,
                username=proposal.username,
                full_name=proposal.full_name,
                role=proposal.role,
                access_approved=True,
            )
            user.set_unusable_password()
            user.save()
            proposal.target = user
            fields.append("target")
            record(
                actor=acting_user,
                action="新建账号",
                target=user,
                changes={
                    "role": [None, Role(proposal.role).label],
                    "proposal": [None, proposal.pk],
                    "password": [None, "未设置，由本人在服务器上设置"],
                },
            )
        proposal.save(update_fields=fields)
        return proposal


def do_approve_access_proposals(
    proposals: Iterable[AccountProposal], *, acting_user: Any, note: str = ""
) -> int:
    """Bulk approval of the least-privileged intake (a county's thousands of cadre accounts,
    see bulk_approvable), one audit row per account as if approved one by one. Anything else
    is left for one-by-one approval. Returns how many were approved."""
    if acting_user is None or not acting_user.manages_permissions:
        raise Refused("读取居民数据的角色只能由安全管理员审批", status=403)
    approved = 0
    with transaction.atomic(), refuse_conflicts(ACCOUNT_FIELDS):
        for proposal in proposals:
            if proposal.kind != ProposalKind.ACCESS or proposal.target_id is None:
                continue
            # Decide on the rows as they are under the lock, account then proposal (the order
            # _withdraw_access takes them): a password reset landing after the list was read
            # must not be approved in bulk.
            user = User.objects.select_for_update().get(pk=proposal.target_id)
            locked = AccountProposal.objects.select_for_update().get(pk=proposal.pk)
            if locked.target_id != user.pk or not bulk_approvable(locked, user):
                continue
            decided, fields = _decide(locked.pk, acting_user=acting_user, note=note, approve=True)
            _approve_access(decided, user, acting_user=acting_user, note=note)
            decided.save(update_fields=fields)
            approved += 1
    return approved


def do_reject_proposal(
    proposal: AccountProposal, *, acting_user: Any, note: str
) -> AccountProposal:
    """Reject: nothing changes (an account made for a rejected role stays unable to log in)."""
    if len(note.strip()) < 2:
        raise Refused("驳回须填写理由", field="note")
    with transaction.atomic():
        proposal, fields = _decide(proposal.pk, acting_user=acting_user, note=note, approve=False)
        proposal.save(update_fields=fields)
        return proposal


def _withdraw_access(user: User, *, why: str, acting_user: Any) -> tuple[list[str], dict]:
    """Someone other than the owner could now log in as an account that reads people's data (a
    password they chose, an account they re-enabled): its approval is withdrawn, and the account
    is flagged so that every access proposal for it is a re-approval until the security
    administrator approves one individually, after checking with the person. The caller holds
    the user's row lock, saves the returned fields and audits the returned changes."""
    if user.role not in DATA_ROLES:
        return [], {}
    fields = ["needs_recheck"]
    changes: dict[str, list[Any]] = {"needs_recheck": [user.needs_recheck or None, why]}
    user.needs_recheck = why
    pending = (
        AccountProposal.objects.select_for_update()
        .filter(target=user, kind=ProposalKind.ACCESS, status=ProposalStatus.PENDING)
        .first()
    )
    if pending is not None:
        # A role change already waits: it becomes the re-approval.
        pending.recheck = why
        pending.save(update_fields=["recheck"])
        changes["proposal"] = [pending.pk, pending.pk]
    else:
        proposal = _propose_access(
            user,
            role=user.role,
            region=user.region,
            unit=user.unit,
            acting_user=acting_user,
            reason=why,
            recheck=why,
        )
        changes["proposal"] = [None, proposal.pk]
    if user.access_approved:
        user.access_approved = False
        fields.append("access_approved")
        changes["access_approved"] = [True, False]
    return fields, changes


def do_set_reveal_permission(
    user: User, *, allowed: bool, acting_user: Any, reason: str = ""
) -> User:
    """Grant or withdraw the reveal permission: the security administrator's decision."""
    check_actor(
        acting_user,
        "manages_permissions",
        "只有安全管理员可以授予或收回查看权限",
        county_id=user.county_id,
    )
    if allowed and user.role in SEPARATED_ADMINS:
        raise Refused("管理员账号不能查看居民完整信息", field="can_reveal")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.can_reveal == allowed:
            return user
        user.can_reveal = allowed
        user.save(update_fields=["can_reveal"])
        record(
            actor=acting_user,
            action="授予查看权限" if allowed else "收回查看权限",
            target=user,
            changes={"can_reveal": [not allowed, allowed]},
            reason=reason,
        )
        return user


def do_set_active(user: User, *, active: bool, acting_user: Any, reason: str = "") -> User:
    """Disable or re-enable an account. A separated administrator's is changed at the server only
    (`lianxin create-account --deactivate/--activate`, acting_user=None): on the web the system
    administrator alone could leave nobody to approve or to read the audit log. Re-enabling an
    account that reads people's data withdraws its approval until the security administrator
    approves again."""
    console = acting_user is None
    check_actor(
        acting_user,
        "manages_accounts",
        "只有系统管理员可以停用或启用账号",
        county_id=user.county_id,
    )
    if not console and user.role in SEPARATED_ADMINS:
        raise Refused(
            "系统、安全、审计管理员账号的停用和启用须在服务器上办理："
            "lianxin create-account --deactivate 或 --activate",
            status=403,
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        user.is_active = active
        fields = ["is_active"]
        changes: dict[str, list[Any]] = {"is_active": [not active, active]}
        if active and not console:
            withdrawn, more = _withdraw_access(
                user, why="账号重新启用，须重新审批：请先与本人核实", acting_user=acting_user
            )
            fields += withdrawn
            changes.update(more)
        user.save(update_fields=fields)
        record(
            actor=acting_user,
            action="启用账号（待安全管理员重新审批）"
            if "access_approved" in fields
            else ("启用账号" if active else "停用账号"),
            target=user,
            changes=changes,
            reason=reason,
        )
        return user


def do_reset_password(user: User, *, new_password: str, acting_user: Any, reason: str = "") -> User:
    """The system administrator resets a forgotten password; its owner must change it at the
    next log-in, and an account that reads people's data waits for the security administrator
    to approve it again (else the system administrator alone could log in as it). An
    administrator's password is never reset by another administrator (that would hand over the
    role): at the console (`lianxin create-account --reset-password`, acting_user=None), where
    its owner types the new one."""
    console = acting_user is None
    if not console and not acting_user.manages_accounts:
        raise Refused("只有系统管理员可以重置密码", status=403)
    if not console and user.county_id != acting_user.county_id:
        raise Refused(NOT_FOUND, status=404)
    if not console and user.role in SEPARATED_ADMINS:
        raise Refused(
            "系统、安全、审计管理员的密码不能由他人重置：由本人修改，或在服务器上用命令行重置",
            status=403,
        )
    _validate_password(new_password, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        fields = _set_password(user, new_password, must_change=not console)
        changes: dict[str, list[Any]] = {"password": ["*", "*"]}
        if not console and acting_user.pk != user.pk:
            withdrawn, more = _withdraw_access(
                user,
                why="密码已由系统管理员重置，须重新审批：请先与本人核实",
                acting_user=acting_user,
            )
            fields += withdrawn
            changes.update(more)
        user.save(update_fields=fields)
        _remember_password(user)
        record(
            actor=acting_user,
            action="重置密码（待安全管理员重新审批）"
            if "access_approved" in fields
            else "重置密码",
            target=user,
            changes=changes,
            reason=reason,
        )
        return user


def do_flag_weak_password(user: User, *, password: str, acting_user: Any) -> bool:
    """At a successful log-in, check the typed password against today's rules: one set before
    them (or by a path that skipped them) must be changed before the account is used. The
    published demo password is exempt while demo logins are allowed. Returns whether flagged."""
    if acting_user is not None and acting_user.pk != user.pk:
        raise Refused("只能在本人登录时检查密码", status=403)
    if user.must_change_password or (user.is_demo and settings.LIANXIN_DEMO_ACCOUNTS):
        return False
    errors: list[str] = []
    for validator in get_default_password_validators():
        # The typed password is the current one: "not reused" does not apply to it.
        if isinstance(validator, PasswordHistoryValidator):
            continue
        try:
            validator.validate(password, user)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not errors:
        return False
    with transaction.atomic():
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
        record(
            actor=acting_user,
            action="密码不符合规则，需修改",
            target=user,
            changes={"must_change_password": [False, True]},
            reason="；".join(errors),
        )
    return True


def do_change_password(user: User, *, new_password: str, acting_user: Any) -> User:
    """Change one's own password (which clears the must-change flag)."""
    if acting_user is not None and acting_user.pk != user.pk:
        raise Refused("只能修改自己的密码", status=403)
    _validate_password(new_password, user)
    with transaction.atomic():
        user.save(update_fields=_set_password(user, new_password, must_change=False))
        _remember_password(user)
        record(actor=acting_user, action="修改密码", target=user, changes={"password": ["*", "*"]})
        return user

"""Accounts: one role per account, scoped to a county and optionally a region subtree or unit."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lianxin.core.models import CountyOwned

from .choices import (
    CARD_PRINTERS,
    COUNTY_WIDE,
    DATA_ROLES,
    DIARY_WRITERS,
    ORG_WRITERS,
    PAIRING_MANAGERS,
    PAIRING_READERS,
    REGION_SCOPED,
    REGION_WRITERS,
    REGISTRY_RULE_SETTERS,
    REGISTRY_WRITERS,
    SEPARATED_ADMINS,
    STORY_REVIEWERS,
    UNIT_SCOPED,
    ProposalKind,
    ProposalStatus,
    Role,
)


class LianxinUserManager(UserManager):
    def visible_to(self, user):
        """Accounts the user may manage: the system and security administrators, county-wide."""
        if not user.is_authenticated or not (user.manages_accounts or user.manages_permissions):
            return self.none()
        return self.filter(county_id=user.county_id)


class User(CountyOwned, AbstractUser):
    """A person's login. A single role keeps the three separated administrators apart by design."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "geo.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="负责区域",
        help_text="乡镇或村（社区）；留空表示全县",
    )
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所在单位",
    )
    can_reveal = models.BooleanField(
        "可查看完整身份证号和电话",
        default=False,
        help_text="由安全管理员授予；每次查看都需填写事由并记入审计日志",
    )
    access_approved = models.BooleanField(
        "角色已审批",
        default=False,
        help_text="读取居民数据的角色须经安全管理员批准后才能登录",
    )
    # Set whenever someone else could log in as this account (its password reset, the account
    # re-enabled) and cleared only by an individual approval: every access proposal made while it
    # is set is a re-approval, so a rejected one cannot be washed off by proposing the role again.
    needs_recheck = models.CharField(
        "须重新审批原因",
        max_length=100,
        blank=True,
        help_text="安全管理员须逐个核实本人后批准，不能“全部批准”",
    )
    must_change_password = models.BooleanField(
        "须修改密码", default=False, help_text="由他人设置或重置的密码，登录后须先修改"
    )
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    is_demo = models.BooleanField(
        "演示账号", default=False, help_text="由 lianxin demo 创建；非演示部署拒绝其登录"
    )

    objects: ClassVar[LianxinUserManager] = LianxinUserManager()  # type: ignore[assignment]
    REQUIRED_FIELDS = ["county", "role"]

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            # Nobody bypasses the role model: superusers would hold all three admin powers.
            models.CheckConstraint(
                condition=Q(is_superuser=False),
                name="%(app_label)s_%(class)s_no_superuser",
                violation_error_message="不允许超级用户：系统、安全、审计管理员必须分设",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(REGION_SCOPED)) | Q(region__isnull=False),
                name="%(app_label)s_%(class)s_region_staff_have_region",
                violation_error_message="乡镇和村（社区）工作人员必须指定负责区域",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.HANDLER) | Q(unit__isnull=False),
                name="%(app_label)s_%(class)s_handler_has_unit",
                violation_error_message="部门办理人员必须指定所在单位",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    # --- Role predicates: what the account's role allows. The one home of authorisation: every
    # do_* service asks them (lianxin.core.access.check_actor), and views, API and templates ask
    # the same ones to decide what to show. Built on the role sets in choices.py.

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_separated_admin(self) -> bool:
        return self.role in SEPARATED_ADMINS

    @property
    def is_county_wide(self) -> bool:
        return self.role in COUNTY_WIDE

    @property
    def is_region_scoped(self) -> bool:
        return self.role in REGION_SCOPED

    @property
    def is_unit_scoped(self) -> bool:
        """Cadres and handlers: their scope is their unit (its own households or its zone)."""
        return self.role in UNIT_SCOPED

    @property
    def sees_people(self) -> bool:
        """Whether the role reads the household registry at all."""
        return self.role in DATA_ROLES

    @property
    def writes_registry(self) -> bool:
        """Households, residents, enterprises, hardships; re-issuing and revoking 连心卡."""
        return self.role in REGISTRY_WRITERS

    @property
    def sets_registry_rules(self) -> bool:
        """The county's registry rules: the pattern every 户号 must follow."""
        return self.role in REGISTRY_RULE_SETTERS

    @property
    def writes_org(self) -> bool:
        """Units, cadres, responsibility zones, leaders' township liaisons."""
        return self.role in ORG_WRITERS

    @property
    def writes_regions(self) -> bool:
        """The region map: create, rename, move, merge and end regions."""
        return self.role in REGION_WRITERS

    @property
    def manages_pairing(self) -> bool:
        """Pairings, the pairing policy, load overrides, exclusions, automatic pairing runs."""
        return self.role in PAIRING_MANAGERS

    @property
    def reads_pairing(self) -> bool:
        """The automatic pairing pages: runs, their previews, the policy and its rows."""
        return self.role in PAIRING_READERS

    @property
    def prints_cards(self) -> bool:
        """Print 连心卡 for the households the account sees (issuing missing QR tokens)."""
        return self.role in CARD_PRINTERS

    @property
    def writes_diary(self) -> bool:
        """Keep a 干部日记 (their own; Diary.objects.visible_to) and put it forward as a story."""
        return self.role in DIARY_WRITERS

    @property
    def reviews_stories(self) -> bool:
        """Return or publish cadres' stories: county-wide (city admin) or their unit's (a
        handler); which stories is Story.objects.writable_by."""
        return self.role in STORY_REVIEWERS

    @property
    def reveals_sensitive(self) -> bool:
        """See a full ID number or phone (a reason each time): the security administrator's
        grant (can_reveal), which only a role that reads people's data can hold."""
        return self.can_reveal and self.role in DATA_ROLES

    @property
    def reads_audit(self) -> bool:
        return self.role == Role.AUDIT_ADMIN

    @property
    def manages_accounts(self) -> bool:
        return self.role == Role.SYSTEM_ADMIN

    @property
    def manages_permissions(self) -> bool:
        return self.role == Role.SECURITY_ADMIN

    @property
    def password_expired(self) -> bool:
        """Past LIANXIN_PASSWORD_MAX_AGE_DAYS (0: never). Demo logins keep their published one."""
        days = settings.LIANXIN_PASSWORD_MAX_AGE_DAYS
        if not days or self.is_demo or self.password_changed_at is None:
            return False
        return timezone.now() - self.password_changed_at > dt.timedelta(days=days)


class PasswordHistory(models.Model):
    """A hash the account once had, so a new password cannot repeat one of the last N."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "历史密码"
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_pwhist_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The three separated administrators see their county's proposals; nobody else."""
        if not user.is_authenticated or not user.is_separated_admin:
            return self.none()
        return self.filter(county_id=user.county_id)


class AccountProposal(CountyOwned):
    """One half of a two-person step (三员分立): a new administrator account, or the role and
    scope of an account that reads people's data, waiting for another administrator's decision."""

    kind = models.CharField("类型", max_length=12, choices=ProposalKind.choices)
    status = models.CharField(
        "状态", max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    # The account concerned: set from the start for an access proposal, on approval for a new
    # administrator (the account only exists once approved).
    target = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name="账号",
    )
    username = models.CharField("用户名", max_length=150)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "geo.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="负责区域",
    )
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所在单位",
    )
    reason = models.CharField("事由", max_length=200, blank=True)
    # Set when the account's approval was withdrawn because someone else could now log in as it
    # (its password reset, the account re-enabled): the approver checks with the person first.
    recheck = models.CharField("重新审批原因", max_length=100, blank=True)
    proposed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name="提议人"
    )
    proposed_at = models.DateTimeField("提议时间", default=timezone.now)
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "账号审批"
        constraints = [
            # Two persons: whoever proposed can never be the one who decides.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="%(app_label)s_%(class)s_two_persons",
                violation_error_message="提议人不能审批自己的提议",
            ),
            models.UniqueConstraint(
                fields=["username"],
                condition=Q(status=ProposalStatus.PENDING),
                name="%(app_label)s_%(class)s_one_pending_per_username",
                violation_error_message="该账号已有待审批的提议",
            ),
        ]
        indexes = [models.Index(fields=["county", "status"], name="accounts_prop_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.username}（{self.get_role_display()}）"

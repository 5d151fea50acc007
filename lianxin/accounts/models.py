"""Accounts: one role per account, scoped to a county and optionally a region subtree or unit."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from lianxin.core.models import CountyOwned

from .choices import COUNTY_WIDE, REGION_SCOPED, REGISTRY_WRITERS, SEPARATED_ADMINS, Role


class LianxinUserManager(UserManager):
    def visible_to(self, user):
        """Accounts the user may manage: the system and security administrators, county-wide."""
        if not user.is_authenticated or user.role not in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
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
    def sees_people(self) -> bool:
        """Whether the role reads the household registry at all."""
        return self.role not in SEPARATED_ADMINS

    @property
    def writes_registry(self) -> bool:
        return self.role in REGISTRY_WRITERS

    @property
    def reads_audit(self) -> bool:
        return self.role == Role.AUDIT_ADMIN

    @property
    def manages_accounts(self) -> bool:
        return self.role == Role.SYSTEM_ADMIN

    @property
    def manages_permissions(self) -> bool:
        return self.role == Role.SECURITY_ADMIN

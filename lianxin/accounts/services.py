"""Account changes. The system administrator makes accounts; the security administrator grants
the reveal permission; nobody holds two of the three administrator roles (one role per account)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.integrity import refuse_conflicts
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.org.models import Unit

from .choices import REGION_SCOPED, SEPARATED_ADMINS, Role
from .models import User

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
) -> User:
    """Create an account. Only the system administrator (or the installer, acting_user=None)."""
    if acting_user is not None and not acting_user.manages_accounts:
        raise Refused("只有系统管理员可以新建账号", status=403)
    username = username.strip()
    if not username:
        raise Refused("用户名不能为空", field="username")
    _check_scope(county, role, region, unit)
    if can_reveal and role in SEPARATED_ADMINS:
        raise Refused("管理员账号不能查看居民完整信息", field="can_reveal")
    if check_password:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise Refused("密码不符合要求：" + "；".join(exc.messages), field="password") from None
    with refuse_conflicts(ACCOUNT_FIELDS):
        if User.objects.filter(username=username).exists():
            raise Refused(f"用户名“{username}”已被使用", field="username", status=409)
        user = User(
            county=county,
            username=username,
            full_name=full_name,
            role=role,
            region=region,
            unit=unit,
            can_reveal=can_reveal,
        )
        user.set_password(password)
        user.save()
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
        return user


def do_set_reveal_permission(
    user: User, *, allowed: bool, acting_user: Any, reason: str = ""
) -> User:
    """Grant or withdraw the reveal permission: the security administrator's decision."""
    if acting_user is not None and not acting_user.manages_permissions:
        raise Refused("只有安全管理员可以授予或收回查看权限", status=403)
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
    if acting_user is not None and not acting_user.manages_accounts:
        raise Refused("只有系统管理员可以停用或启用账号", status=403)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(
            actor=acting_user,
            action="启用账号" if active else "停用账号",
            target=user,
            changes={"is_active": [not active, active]},
            reason=reason,
        )
        return user


def do_change_password(user: User, *, new_password: str, acting_user: Any) -> User:
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise Refused("密码不符合要求：" + "；".join(exc.messages), field="password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(actor=acting_user, action="修改密码", target=user, changes={"password": ["*", "*"]})
        return user

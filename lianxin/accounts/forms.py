"""Forms of the account pages. Role and scope rules live in accounts/services.py and come back
as Refused, shown beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db.models import Q

from lianxin.core.fields import form_field
from lianxin.geo.choices import Level
from lianxin.geo.models import Region, tree_order
from lianxin.org.models import Unit

from .choices import DATA_ROLES, SEPARATED_ADMINS, Role
from .middleware import refusal
from .models import AccountProposal, User

# The account page offers the roles the system administrator can give directly; the three
# administrator roles go through a proposal (三员分立).
DATA_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in DATA_ROLES]
ADMIN_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in SEPARATED_ADMINS]


def password_help() -> str:
    return "；".join(password_validators_help_texts())


class LoginForm(AuthenticationForm):
    """The log-in form, which also refuses demo logins outside a demo and unapproved accounts."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确，请重试。连续多次错误后账号将被暂时锁定。",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        why = refusal(user)
        if why:
            raise forms.ValidationError(why, code="refused")


class RegionField(forms.ModelChoiceField):
    """A current township, or a village labelled with its township."""

    def label_from_instance(self, obj: Region) -> str:
        if obj.level == Level.VILLAGE and obj.parent is not None:
            return f"{obj.parent.short_name} · {obj.short_name}"
        return obj.short_name


class UserCreateForm(forms.Form):
    """A new account, made by the system administrator."""

    username = form_field(User, "username", help_text="登录用，建议用拼音或工号")
    full_name = form_field(User, "full_name", required=True)
    role = forms.ChoiceField(
        label="角色",
        choices=DATA_ROLE_CHOICES,
        help_text="新账号须经安全管理员审批角色后才能登录；管理员账号请走“提议新建管理员”",
    )
    region = RegionField(
        label="负责区域",
        queryset=Region.objects.none(),
        required=False,
        empty_label="全县（不限区域）",
        help_text="乡镇工作人员选乡镇（街道），村（社区）工作人员选村（社区）",
    )
    unit = forms.ModelChoiceField(
        label="所在单位",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="（无）",
        help_text="干部职工和部门办理人员必填",
    )
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="本人首次登录后须修改",
    )
    password_again = forms.CharField(
        label="再次输入初始密码", widget=forms.PasswordInput(render_value=False), strip=False
    )

    def __init__(self, *args: Any, county_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (  # type: ignore[attr-defined]
            Region.objects.current()
            .filter(county_id=county_id, level__in=[Level.TOWNSHIP, Level.VILLAGE])
            .select_related("parent")
            .order_by(*tree_order())
        )
        self.fields["unit"].queryset = Unit.objects.filter(county_id=county_id).order_by("name")  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "两次输入的密码不一致")
        return data


class SetActiveForm(forms.Form):
    """Disable or re-enable an account (the intended state travels with the form, so a second
    click does not flip it back)."""

    active = forms.TypedChoiceField(
        choices=[("1", "启用"), ("0", "停用")],
        coerce=lambda v: v == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label="事由", max_length=200, required=False)


class RevealPermissionForm(forms.Form):
    """Grant or withdraw the permission to see full ID numbers and phones."""

    allowed = forms.TypedChoiceField(
        label="查看完整身份证号和电话",
        choices=[("1", "授予"), ("0", "收回")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="事由", max_length=200, min_length=2, help_text="记入审计日志，如“承担困难群众核查”"
    )


class PasswordChangeForm(forms.Form):
    """Change one's own password."""

    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput, strip=False)
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput, strip=False)
    new_password_again = forms.CharField(
        label="再次输入新密码", widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["new_password"].help_text = password_help()

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("原密码不正确")
        return value

    def clean(self):
        data = super().clean()
        new = data.get("new_password")
        if new and new != data.get("new_password_again"):
            self.add_error("new_password_again", "两次输入的新密码不一致")
        elif new and new == data.get("old_password"):
            self.add_error("new_password", "新密码不能与原密码相同")
        return data


class UserFilter(forms.Form):
    """Filters of the account list."""

    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部"), *Role.choices])
    active = forms.NullBooleanField(
        label="状态",
        required=False,
        widget=forms.Select(choices=[("", "全部"), ("true", "启用"), ("false", "停用")]),
    )
    q = forms.CharField(label="用户名或姓名", required=False, max_length=50)

    def apply(self, qs):
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["role"]:
            qs = qs.filter(role=data["role"])
        if data["active"] is not None:
            qs = qs.filter(is_active=data["active"])
        text = data["q"].strip()
        if text:
            qs = qs.filter(Q(username__icontains=text) | Q(full_name__icontains=text))
        return qs


class AccessChangeForm(forms.Form):
    """A new role or scope for an account, proposed to the security administrator."""

    role = forms.ChoiceField(label="角色", choices=DATA_ROLE_CHOICES)
    region = RegionField(
        label="负责区域",
        queryset=Region.objects.none(),
        required=False,
        empty_label="全县（不限区域）",
    )
    unit = forms.ModelChoiceField(
        label="所在单位", queryset=Unit.objects.none(), required=False, empty_label="（无）"
    )
    reason = forms.CharField(label="事由", max_length=200, min_length=2)

    def __init__(self, *args: Any, county_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (  # type: ignore[attr-defined]
            Region.objects.current()
            .filter(county_id=county_id, level__in=[Level.TOWNSHIP, Level.VILLAGE])
            .select_related("parent")
            .order_by(*tree_order())
        )
        self.fields["unit"].queryset = Unit.objects.filter(county_id=county_id).order_by("name")  # type: ignore[attr-defined]


class ResetPasswordForm(forms.Form):
    """The system administrator sets a temporary password, changed by its owner at next log-in."""

    password = forms.CharField(
        label="临时密码", widget=forms.PasswordInput, strip=False, help_text="本人下次登录后须修改"
    )
    password_again = forms.CharField(label="再次输入", widget=forms.PasswordInput, strip=False)
    reason = forms.CharField(label="事由", max_length=200, min_length=2)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "两次输入的密码不一致")
        return data


class AdminProposalForm(forms.Form):
    """Propose a new system, security or audit administrator (approved by another role)."""

    username = form_field(AccountProposal, "username")
    full_name = form_field(AccountProposal, "full_name", required=True)
    role = forms.ChoiceField(label="角色", choices=ADMIN_ROLE_CHOICES)
    reason = form_field(
        AccountProposal,
        "reason",
        required=True,
        min_length=2,
        help_text="如“安全管理员调岗，由某某接任”",
    )


class DecisionForm(forms.Form):
    """Approve or reject one proposal."""

    approve = forms.TypedChoiceField(
        choices=[("1", "批准"), ("0", "驳回")], coerce=lambda v: v == "1"
    )
    note = form_field(AccountProposal, "decision_note", label="意见")

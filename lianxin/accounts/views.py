"""Account pages. The system administrator lists, creates and (de)activates accounts; the
security administrator grants and withdraws the reveal permission; everyone changes their own
password. Nobody else sees the account pages (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core.access import get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.views import paginate, query_without_page

from . import services
from .forms import (
    PasswordChangeForm,
    RevealPermissionForm,
    SetActiveForm,
    UserCreateForm,
    UserFilter,
)
from .models import User

GET_POST = require_http_methods(["GET", "POST"])
LIST_CRUMBS = [("账号", "accounts:user_list", None)]


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404("对象不存在或不在您的权限范围内")


def _form_page(
    request: HttpRequest, form: Any, *, title: str, crumbs: list, status: int = 200, **ctx: Any
) -> HttpResponse:
    if request.method == "POST" and status == 200:
        status = 400
    context = {"form": form, "title": title, "crumbs": crumbs, **ctx}
    return render(request, "org/form.html", context, status=status)


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.manages_accounts or user.manages_permissions)  # type: ignore[union-attr]
    filters = UserFilter(request.GET)
    users = filters.apply(
        User.objects.visible_to(user).select_related("region", "unit").order_by("username")
    )
    context = {
        "filters": filters,
        "page": paginate(request, users),
        "query": query_without_page(request),
    }
    return render(
        request, "accounts/user_list.html", context, status=200 if filters.is_valid() else 400
    )


@login_required
@GET_POST
def user_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.manages_accounts)  # type: ignore[union-attr]
    form = UserCreateForm(request.POST or None, county_id=user.county_id)  # type: ignore[union-attr]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The reveal permission is never set here: granting it is the security
            # administrator's decision (separation of the three administrators).
            created = services.do_create_user(
                county=user.county,  # type: ignore[union-attr]
                username=data["username"],
                password=data["password"],
                role=data["role"],
                full_name=data["full_name"],
                region=data["region"],
                unit=data["unit"],
                acting_user=user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"已新建账号“{created.username}”（{created.get_role_display()}）"
            )
            return redirect("accounts:user_list")
    return _form_page(request, form, title="新建账号", crumbs=LIST_CRUMBS, status=status)


@login_required
@GET_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user.manages_accounts)  # type: ignore[union-attr]
    target = get_visible_or_404(User, user, pk)
    form = SetActiveForm(request.POST or None, initial={"active": "0" if target.is_active else "1"})
    status = 200
    if request.method == "POST" and form.is_valid():
        active = form.cleaned_data["active"]
        if not active and target.pk == user.pk:
            form.add_error(None, "不能停用自己正在使用的账号")
        else:
            try:
                services.do_set_active(
                    target, active=active, reason=form.cleaned_data["reason"], acting_user=user
                )
            except Refused as exc:
                refuse_into(form, exc)
                status = exc.status
            else:
                word = "启用" if active else "停用"
                messages.success(request, f"账号“{target.username}”已{word}")
                return redirect("accounts:user_list")
    word = "停用" if target.is_active else "启用"
    return _form_page(
        request,
        form,
        title=f"{word}账号：{target}（{target.username}）",
        crumbs=LIST_CRUMBS,
        status=status,
        note=f"当前状态：{'启用' if target.is_active else '停用'}。停用后该账号不能登录，数据和审计记录保留。",
    )


@login_required
@GET_POST
def user_reveal_permission(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user.manages_permissions)  # type: ignore[union-attr]
    target = get_visible_or_404(User, user, pk)
    form = RevealPermissionForm(
        request.POST or None, initial={"allowed": "0" if target.can_reveal else "1"}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        allowed = form.cleaned_data["allowed"]
        try:
            services.do_set_reveal_permission(
                target, allowed=allowed, reason=form.cleaned_data["reason"], acting_user=user
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            word = "已授予" if allowed else "已收回"
            messages.success(request, f"{word}“{target.username}”查看完整信息的权限")
            return redirect("accounts:user_list")
    state = "可以" if target.can_reveal else "不能"
    return _form_page(
        request,
        form,
        title=f"查看权限：{target}（{target.username}）",
        crumbs=LIST_CRUMBS,
        status=status,
        note=f"{target.get_role_display()}，目前{state}查看完整身份证号和电话。每次查看仍须填写事由并记入审计日志。",
    )


@login_required
@GET_POST
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordChangeForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_password(
                user,  # type: ignore[arg-type]
                new_password=form.cleaned_data["new_password"],
                acting_user=user,
            )
        except Refused as exc:
            # The service names "password"; on this form that is the new password box.
            form.add_error("new_password", exc.message)
            status = exc.status
        else:
            # Keep this session signed in; other sessions of the account are signed out.
            update_session_auth_hash(request, user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改")
            return redirect("core:home")
    return _form_page(
        request, form, title="修改密码", crumbs=[("首页", "core:home", None)], status=status
    )

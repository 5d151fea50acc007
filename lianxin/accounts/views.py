"""Account pages. The system administrator lists, creates and (de)activates accounts and proposes
role changes; the security administrator approves roles and grants the reveal permission; new
administrator accounts are proposed by one administrator and approved by another of a different
role; everyone changes their own password. Nobody else sees the account pages (404)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core import ratelimit
from lianxin.core.access import get_visible_or_404
from lianxin.core.context import client_ip
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.views import paginate, query_without_page

from . import services
from .choices import ProposalKind, ProposalStatus
from .forms import (
    AccessChangeForm,
    AdminProposalForm,
    DecisionForm,
    LoginForm,
    PasswordChangeForm,
    ResetPasswordForm,
    RevealPermissionForm,
    SetActiveForm,
    UserCreateForm,
    UserFilter,
)
from .middleware import AWAITS_APPROVAL, must_change_reason
from .models import AccountProposal, User

GET_POST = require_http_methods(["GET", "POST"])
LIST_CRUMBS = [("账号", "accounts:user_list", None)]
LOGIN_LIMITED = "登录尝试太频繁，请稍后再试"
# What the 429 page (templates/429.html) adds for a log-in: why, and the way back.
LIMITED_PAGE = {
    "hint": "多次输错密码会暂时锁定账号；忘记密码请联系系统管理员。",
    "back_url": reverse_lazy("accounts:login"),
    "back_label": "返回登录页",
}


def _login_limited(request: HttpRequest) -> HttpResponse | None:
    """The 429 answer once this address, or this user name from any address, has tried too
    often this minute; None to go on. django-axes' lock-out after failed passwords stays: the
    limit bounds how fast anyone can try at all, across processes and app servers."""
    username = request.POST.get("username", "").strip().casefold()
    checks = [("login-ip", client_ip(request), settings.LIANXIN_LOGIN_IP_RATE_PER_MINUTE)]
    if username:
        checks.append(("login-user", username, settings.LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE))
    for scope, key, limit in checks:
        verdict = ratelimit.hit(scope, key, limit=limit)
        if not verdict.allowed:
            return ratelimit.too_many(request, verdict, message=LOGIN_LIMITED, context=LIMITED_PAGE)
    return None


class LoginView(auth_views.LoginView):
    """Django's log-in, which then checks the typed password against today's rules: a password
    set before them is flagged, and the middleware sends its owner to change it."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _login_limited(request) or super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if services.do_flag_weak_password(
            user, password=form.cleaned_data["password"], acting_user=user
        ):
            messages.warning(self.request, "您的密码不符合现行密码规则，请先修改")
        return response


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
                request,
                f"已新建账号“{created.username}”（{created.get_role_display()}）："
                "请本人先登录并修改密码，再由安全管理员与本人核实后审批角色",
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
                target = services.do_set_active(
                    target, active=active, reason=form.cleaned_data["reason"], acting_user=user
                )
            except Refused as exc:
                refuse_into(form, exc)
                status = exc.status
            else:
                word = "启用" if active else "停用"
                waits = (
                    "，须经安全管理员重新审批后才能登录"
                    if active and not target.access_approved
                    else ""
                )
                messages.success(request, f"账号“{target.username}”已{word}{waits}")
                return redirect("accounts:user_list")
    word = "停用" if target.is_active else "启用"
    return _form_page(
        request,
        form,
        title=f"{word}账号：{target}（{target.username}）",
        crumbs=LIST_CRUMBS,
        status=status,
        note=f"当前状态：{'启用' if target.is_active else '停用'}。停用后该账号不能登录，数据和审计记录保留。",
        submit=f"{word}账号",
        confirm=f"停用账号 {target}（{target.username}）？停用后不能登录，数据和审计记录保留。"
        if target.is_active
        else "",
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
        # The radio may be turned either way, so the question names the account and its state.
        confirm=f"变更 {target}（{target.username}）的查看权限？目前{state}查看完整身份证号和电话。",
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
            if not user.access_approved:  # type: ignore[union-attr]
                # Logged in only to set its own password: nothing else until approved.
                logout(request)
                messages.success(request, AWAITS_APPROVAL)
                return redirect("accounts:login")
            # Keep this session signed in; other sessions of the account are signed out.
            update_session_auth_hash(request, user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改")
            return redirect("core:home")
    return _form_page(
        request,
        form,
        title="修改密码",
        crumbs=[("首页", "core:home", None)],
        status=status,
        note=must_change_reason(user),
    )


@login_required
@GET_POST
def user_change_access(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user.manages_accounts)  # type: ignore[union-attr]
    target = get_visible_or_404(User, user, pk)
    form = AccessChangeForm(
        request.POST or None,
        county_id=user.county_id,  # type: ignore[union-attr]
        initial={"role": target.role, "region": target.region_id, "unit": target.unit_id},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_propose_access_change(
                target,
                role=data["role"],
                region=data["region"],
                unit=data["unit"],
                reason=data["reason"],
                acting_user=user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"已提议变更“{target.username}”的角色和范围，待安全管理员审批"
            )
            return redirect("accounts:user_list")
    return _form_page(
        request,
        form,
        title=f"变更角色和范围：{target}（{target.username}）",
        crumbs=LIST_CRUMBS,
        status=status,
        note=f"目前是{target.get_role_display()}。变更经安全管理员批准后生效，在此之前保持原角色。",
    )


@login_required
@GET_POST
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user.manages_accounts)  # type: ignore[union-attr]
    target = get_visible_or_404(User, user, pk)
    form = ResetPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            target = services.do_reset_password(
                target,
                new_password=form.cleaned_data["password"],
                reason=form.cleaned_data["reason"],
                acting_user=user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            waits = (
                ""
                if target.access_approved
                else "；本人登录只能修改密码，改后须经安全管理员与本人核实、重新审批才能使用"
            )
            messages.success(request, f"已重置“{target.username}”的密码，本人下次登录须修改{waits}")
            return redirect("accounts:user_list")
    return _form_page(
        request,
        form,
        title=f"重置密码：{target}（{target.username}）",
        crumbs=LIST_CRUMBS,
        status=status,
        note="临时密码只用于本人下次登录，登录后只能修改密码。本人改好密码后，该账号须经安全"
        "管理员与本人核实、逐个重新审批才能使用。管理员账号的密码不能由他人重置。",
        submit="重置密码",
        confirm=f"重置 {target}（{target.username}）的密码？原密码立即失效，本人须用临时密码登录后修改。",
    )


PROPOSAL_CRUMBS = [("账号审批", "accounts:proposal_list", None)]


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.is_separated_admin)  # type: ignore[union-attr]
    status = request.GET.get("status", ProposalStatus.PENDING)
    if status not in ProposalStatus.values:
        status = ProposalStatus.PENDING
    proposals = (
        AccountProposal.objects.visible_to(user)
        .filter(status=status)
        .select_related("proposed_by", "decided_by", "region", "unit", "target")
        .order_by("-proposed_at", "-pk")
    )
    pending_access = (
        AccountProposal.objects.visible_to(user).filter(services.bulk_approvable_q()).count()
        if user.manages_permissions  # type: ignore[union-attr]
        else 0
    )
    page = paginate(request, proposals)
    bulk_ids = set(
        AccountProposal.objects.visible_to(user)
        .filter(services.bulk_approvable_q(), pk__in=[p.pk for p in page])
        .values_list("pk", flat=True)
    )
    context = {
        "page": page,
        "bulk_ids": bulk_ids,
        "decidable": {p.pk for p in page if services.decision_refusal(p, user) is None},
        "status": status,
        "statuses": ProposalStatus.choices,
        "pending_access": pending_access,
        "query": query_without_page(request),
    }
    return render(request, "accounts/proposal_list.html", context)


@login_required
@GET_POST
def admin_propose(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.is_separated_admin)  # type: ignore[union-attr]
    form = AdminProposalForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_propose_admin(
                county=user.county,  # type: ignore[union-attr]
                username=data["username"],
                full_name=data["full_name"],
                role=data["role"],
                reason=data["reason"],
                acting_user=user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"已提议新建管理员账号“{data['username']}”，待另一类管理员审批"
            )
            return redirect("accounts:proposal_list")
    return _form_page(
        request,
        form,
        title="提议新建管理员账号",
        crumbs=PROPOSAL_CRUMBS,
        status=status,
        note="系统、安全、审计管理员账号须两人办理：您提议，另一类管理员批准后才创建。"
        "批准后的账号没有密码，由本人在服务器上用 lianxin create-account --reset-password 设置，"
        "提议人和批准人都不知道它。",
    )


@login_required
@require_http_methods(["POST"])
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user.is_separated_admin)  # type: ignore[union-attr]
    proposal = get_visible_or_404(AccountProposal, user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择批准或驳回")
        return redirect("accounts:proposal_list")
    note = form.cleaned_data["note"]
    approve = form.cleaned_data["approve"]
    try:
        if approve:
            proposal = services.do_approve_proposal(proposal, acting_user=user, note=note)
        else:
            proposal = services.do_reject_proposal(proposal, acting_user=user, note=note)
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("accounts:proposal_list")
    if approve and proposal.kind == ProposalKind.NEW_ADMIN:
        # No password to hand over: the next step is at the server, with the owner.
        return render(request, "accounts/admin_created.html", {"proposal": proposal})
    word = "已批准" if approve else "已驳回"
    messages.success(request, f"{word}：{proposal}")
    return redirect("accounts:proposal_list")


@login_required
@require_http_methods(["POST"])
def proposal_bulk_approve(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.manages_permissions)  # type: ignore[union-attr]
    pending = AccountProposal.objects.visible_to(user).filter(
        status=ProposalStatus.PENDING, kind=ProposalKind.ACCESS
    )
    if request.POST.get("all") != "1":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        pending = pending.filter(pk__in=ids)
    try:
        count = services.do_approve_access_proposals(
            pending.select_related("proposed_by").order_by("pk"),
            acting_user=user,
            note=request.POST.get("note", "")[:200],
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已批准 {count} 个账号的角色")
    return redirect("accounts:proposal_list")

"""Session and account rules checked on every request, server-side (the cookie's own age is only
the outer bound): idle timeout, absolute lifetime, demo logins outside a demo, accounts whose
role is not approved, and passwords that must be changed first."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

LOGIN_AT = "lianxin_login_at"
SEEN_AT = "lianxin_seen_at"
# Writing the session on every request would turn each page view into a database write; the
# idle clock only needs to move once a minute.
SEEN_RESOLUTION = 60


AWAITS_APPROVAL = "已修改密码，待安全管理员审批后即可使用"


def refusal(user) -> str:
    """Why this account may not log in or stay logged in right now ("" when it may). An
    unapproved account whose password someone else set may log in to change it, and nothing
    else (the change page is all the middleware lets it reach): its owner sets their own
    password before the security administrator approves, so whoever typed the temporary one
    first does not get the account."""
    if user.is_demo and not settings.LIANXIN_DEMO_ACCOUNTS:
        return "演示账号只能在演示环境中使用，本系统不允许其登录"
    if not user.access_approved and not user.must_change_password:
        return "该账号的角色和范围尚待安全管理员审批，批准后才能登录"
    return ""


def must_change_reason(user) -> str:
    if user.must_change_password and not user.access_approved:
        return (
            "该账号的密码由他人设置：请先设置您自己的新密码，"
            "修改后待安全管理员与您核实并审批，即可使用系统"
        )
    if user.must_change_password:
        return "该账号的密码由他人设置或不符合现行规则，请先修改密码再使用系统"
    if user.password_expired:
        return f"密码已使用超过 {settings.LIANXIN_PASSWORD_MAX_AGE_DAYS} 天，请修改密码后继续使用"
    return ""


def mark_login(request: HttpRequest) -> None:
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


class AccountPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        ended = self._ended(request, user)
        if ended:
            logout(request)
            return self._to_login(request, ended)
        reason = must_change_reason(user)
        if reason and not self._exempt(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": reason, "field": ""}, status=403)
            messages.warning(request, reason)
            return redirect("accounts:password_change")
        return self.get_response(request)

    def _ended(self, request: HttpRequest, user) -> str:
        session = request.session
        now = time.time()
        login_at = session.get(LOGIN_AT)
        seen_at = session.get(SEEN_AT)
        if login_at is None:
            # A session from before these rules: its clocks start now.
            mark_login(request)
            return refusal(user)
        idle = settings.LIANXIN_SESSION_IDLE_MINUTES
        if idle and seen_at is not None and now - seen_at > idle * 60:
            return f"您已超过 {idle} 分钟未操作，为保护数据已自动退出，请重新登录"
        hours = settings.LIANXIN_SESSION_MAX_HOURS
        if hours and now - login_at > hours * 3600:
            return f"本次登录已超过 {hours} 小时，请重新登录"
        why = refusal(user)
        if why:
            return why
        if seen_at is None or now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""

    def _to_login(self, request: HttpRequest, reason: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": reason, "field": ""}, status=401)
        messages.warning(request, reason)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        return request.path in (reverse("accounts:password_change"), reverse("accounts:logout"))

"""Log-ins, log-outs and failed log-ins reach the audit trail too."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from lianxin.audit.services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    from .middleware import mark_login

    # The idle and absolute session clocks start at log-in.
    if request is not None and hasattr(request, "session"):
        mark_login(request)
    with transaction.atomic():
        record(actor=user, action="登录", target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        with transaction.atomic():
            record(actor=user, action="退出登录", target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only a failure against an existing account has a county to file it under; guesses at
    # unknown names are counted by django-axes, not audited.
    from .models import User

    user = User.objects.filter(username=credentials.get("username", "")).first()
    if user is not None:
        with transaction.atomic():
            record(actor=None, action="登录失败", target=user)

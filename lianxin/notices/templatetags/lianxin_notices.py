"""The header's unread-notice badge: one indexed count per page."""

from __future__ import annotations

from typing import Any

from django import template

from lianxin.notices.models import Notice

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notice.objects.filter(user=user, read_at__isnull=True).count()

"""The 连心卡 panel on the household page: the card's state, printing and re-issuing."""

from __future__ import annotations

from typing import Any

from django import template

from lianxin.pairing.models import CardToken

register = template.Library()


@register.inclusion_tag("cards/_household_panel.html", takes_context=True)
def card_panel(context: dict[str, Any], household: Any) -> dict[str, Any]:
    """Renders the panel; the household was already looked up through the user's scope."""
    tokens = list(CardToken.objects.filter(household=household).order_by("-issued_at", "-pk"))
    user = context["request"].user
    return {
        "household": household,
        "live": next((t for t in tokens if t.revoked_at is None), None),
        "revoked": sum(1 for t in tokens if t.revoked_at is not None),
        "can_write": user.writes_registry,
        "can_print": user.prints_cards,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.filter
def tel(number: str) -> str:
    """A phone number as a tel: URI target: digits only (a leading + kept)."""
    number = (number or "").strip()
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"+{digits}" if number.startswith("+") else digits


@register.filter
def spaced_phone(number: str) -> str:
    """A mobile number in 3-4-4 groups, as printed on the card."""
    from lianxin.cards.pdf import format_phone

    return format_phone(number or "")

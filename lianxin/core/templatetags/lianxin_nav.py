"""{% nav_link "people:household_list" "户" %}: a header link, marked as the current section."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, name: str, label: str) -> str:
    """The link to a named URL; aria-current="page" when the request is at or under it (the
    home link only when it is exactly the home page)."""
    url = reverse(name)
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if url == "/" else path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)

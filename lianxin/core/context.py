"""Who is acting and from where, for the audit trail, without threading the request through."""

from __future__ import annotations

import contextvars
import socket
from collections.abc import Iterator
from contextlib import contextmanager

_source: contextvars.ContextVar[str] = contextvars.ContextVar("lianxin_source", default="")


def current_source() -> str:
    """The client address of the current request, or "cli@host" outside a request."""
    return _source.get() or f"cli@{socket.gethostname()}"


@contextmanager
def acting_from(source: str) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def client_ip(request) -> str:
    """The client's address. X-Forwarded-For is trusted only for the configured number of
    proxies in front of the app (LIANXIN_PROXY_COUNT): otherwise anyone could forge the address
    that the audit trail records and the rate limit counts."""
    from django.conf import settings

    hops = settings.LIANXIN_PROXY_COUNT
    if hops > 0:
        forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [h for h in forwarded if h]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def axes_client_ip(request) -> str | None:
    """The client's address for django-axes, which stores it in an IP-address column: None when
    the request has none or a forwarded value is not an address (PostgreSQL refuses those)."""
    import ipaddress

    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


class RequestSourceMiddleware:
    """Remembers the client address for audit rows written while serving the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_from(client_ip(request)):
            return self.get_response(request)

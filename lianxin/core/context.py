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


class RequestSourceMiddleware:
    """Remembers the client address for audit rows written while serving the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Behind a reverse proxy the first X-Forwarded-For hop is the client.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
        with acting_from(ip or "unknown"):
            return self.get_response(request)

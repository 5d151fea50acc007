"""What a page says after its cancel button: one reply for every kind of long work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest

from lianxin.core.errors import Refused

from .choices import JobStatus

T = TypeVar("T")


def tell_cancel(
    request: HttpRequest,
    cancel: Callable[[], T],
    *,
    cancelled: Callable[[T], str],
    stopping: str,
) -> None:
    """Run a `do_cancel_*` and say how the work stands: `cancelled(obj)` when it stopped at
    once (it was still queued), `stopping` while its worker finishes the step it is on, or the
    service's refusal. Every status enum of long work spells "cancelled" alike."""
    try:
        obj: Any = cancel()
    except Refused as exc:
        messages.error(request, exc.message)
        return
    if obj.status == JobStatus.CANCELLED:
        messages.success(request, cancelled(obj))
    else:
        messages.info(request, stopping)

"""Long work (imports, exports, pairing runs) off the request: a worker thread of the web
process, started once the row describing the work is committed — or inline when
settings.LIANXIN_JOBS_INLINE is set (tests), so the request returns after the work is done."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction

from lianxin.core.context import current_source


def start_after_commit(work: Callable[..., None], pk: int, *, name: str) -> None:
    """Call work(pk, source=...) with the audit source of the request that asked for it."""
    source = current_source()
    if settings.LIANXIN_JOBS_INLINE:
        work(pk, source=source)
        return
    thread = threading.Thread(
        target=_in_thread, args=(work, pk, source), name=f"{name}-{pk}", daemon=True
    )
    transaction.on_commit(thread.start)


def _in_thread(work: Callable[..., None], pk: int, source: str) -> None:
    try:
        work(pk, source=source)
    finally:
        # A worker thread has its own database connection; do not leave it open.
        connection.close()

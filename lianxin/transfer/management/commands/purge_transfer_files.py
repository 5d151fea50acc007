"""`lianxin purge-transfer-files`: the former name of `lianxin purge-exports`, kept so existing
cron lines go on working; the lifetimes are now settings, not a --days option."""

from __future__ import annotations

from .purge_exports import Command as PurgeExports


class Command(PurgeExports):
    pass

"""`lianxin purge-transfer-files`: the former name of `lianxin purge-exports`, kept so existing
cron lines go on working."""

from __future__ import annotations

from .purge_exports import Command as PurgeExports


class Command(PurgeExports):
    pass

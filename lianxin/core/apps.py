import os
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


def _private_sqlite_files(sender, connection, **kwargs) -> None:
    """The SQLite file holds every sealed column and the keyed hashes: owner-only, with its
    -wal and -shm (SQLite gives those the main file's mode, but they may predate the fix)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(name + suffix)
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:  # not there (yet), or not ours
            continue


class CoreConfig(AppConfig):
    name = "lianxin.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from . import checks, keys, lookups

        del checks, lookups  # register the key checks and the `prefix` lookup
        # No key made up on the spot outside development: a missing key stops every entry point.
        keys.refuse_without_keys()
        # Export files, error reports, uploads and the database are created owner-only, whichever
        # entry point loaded the app (gunicorn, manage.py, the lianxin command, a worker thread).
        os.umask(settings.LIANXIN_UMASK)
        connection_created.connect(_private_sqlite_files, dispatch_uid="lianxin-private-sqlite")

"""The `lianxin` console script: the management commands under one name, and `lianxin new-key`
(a fresh 32-byte key for LIANXIN_FIELD_KEY, _LOOKUP_KEY or _AUDIT_KEY)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args[:1] == ["new-key"]:
        # Before Django: the first key of a new installation is made without any key present.
        from lianxin.lib.crypto import generate_key

        print(generate_key())
        return
    # `lianxin import-regions` reads better than Django's import_regions; accept both.
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["lianxin", *args])


if __name__ == "__main__":
    main()

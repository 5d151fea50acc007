"""A tqdm progress bar on stderr, shared by the transfer commands."""

from __future__ import annotations

import sys

from tqdm import tqdm


def bar(total: int | None, unit: str = "行", desc: str = "") -> tqdm:
    """A bar that writes to stderr, so stdout keeps only the summary and the bad rows."""
    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True, leave=True)

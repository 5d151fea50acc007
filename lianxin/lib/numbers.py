"""How counts and rates are written, on pages, in the API's texts and in exports: one rule.

Counts carry a thousands separator (4,621). A rate is a share of a whole shown as a percentage
with one decimal, **rounded down** (4,334 of 4,621 is 93.7%, not 93.8%): the program is judged by
its rates, and a county with one household uncovered must never read as 100%. A rate of nothing
(a whole of 0) is "—", not 0% or 100%.
"""

from __future__ import annotations

DASH = "—"


def count_text(n: int | None) -> str:
    """4621 → "4,621"; None → "—"."""
    return DASH if n is None else f"{n:,}"


def percent_value(part: int, whole: int) -> float | None:
    """The rate as a number of percent, one decimal, rounded down (93.7 for 4,334/4,621); None
    when the whole is 0. Integer arithmetic, so no float can round 99.95 up to 100.0."""
    if not whole:
        return None
    return (part * 1000 // whole) / 10


def percent_text(part: int, whole: int) -> str:
    """4,334 of 4,621 → "93.7%"; of nothing → "—"."""
    value = percent_value(part, whole)
    return DASH if value is None else f"{value:.1f}%"


# The format spreadsheet cells get for the same figures (exports write numbers, not text).
XLSX_COUNT_FORMAT = "#,##0"
XLSX_PERCENT_FORMAT = '0.0"%"'

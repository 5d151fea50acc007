"""Short display names for administrative divisions."""

from __future__ import annotations

# (official suffix, unit the short name must end with). Longest suffixes first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("街道办事处", "街道"),
    ("街道办", "街道"),
    ("管理委员会", ""),
    ("管委会", ""),
    ("办事处", ""),
    ("人民政府", ""),
)


def short_region_name(full: str) -> str:
    """'大坪村村民委员会' -> '大坪村', '崇阳街道办事处' -> '崇阳街道'; other names unchanged."""
    name = "".join(full.split())
    for suffix, unit in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            # '大坪村民委员会' and '大坪村村民委员会' both mean 大坪村.
            if unit and not base.endswith(unit):
                base += unit
            return base
    return name

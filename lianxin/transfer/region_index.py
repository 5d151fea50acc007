"""The county's current regions by every name an import file may use for them, for placing a
row (or refusing it) without a query per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.names import short_region_name

from . import layouts as L


class RegionIndex:
    """The county's current regions by every name a file may use for them, and the acting
    user's region, so a row is placed (or refused) without a query per row."""

    def __init__(self, county: County, acting_user: Any):
        self.by_id: dict[int, Region] = {}
        self.townships: dict[str, Region] = {}
        self.children: dict[tuple[int, str], Region] = {}
        for region in Region.objects.filter(county=county).current().order_by("id"):
            self.by_id[region.pk] = region
            for key in self._keys(region):
                if region.level == Level.TOWNSHIP:
                    self.townships[key] = region
                else:
                    self.children[(region.parent_id, key)] = region
        region = getattr(acting_user, "region", None)
        self.scope_ids: list[int] = region.ancestor_ids if region is not None else []
        self._cache: dict[tuple[str, str, str], tuple[tuple[int, int, int] | None, Any]] = {}

    @staticmethod
    def _keys(region: Region) -> set[str]:
        return {
            "".join(n.split())
            for n in (region.name, region.short_name, short_region_name(region.name))
        }

    @staticmethod
    def _lookups(text: str, *, group: bool = False) -> list[str]:
        text = "".join(text.split())
        keys = [text, short_region_name(text)]
        if group and text.isdigit():
            keys.append(f"{int(text)}组")
        return keys

    def name(self, region_id: int) -> str:
        region = self.by_id.get(region_id)
        return region.short_name if region else ""

    def resolve(
        self, township: str, village: str, group: str
    ) -> tuple[tuple[int, int, int] | None, tuple[str, str] | None]:
        """((township_id, village_id, region_id), None) or (None, (column, reason))."""
        key = (township, village, group)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._resolve(township, village, group)
            # Bounded: a file full of distinct bad names must not grow this without limit.
            if len(self._cache) < 20000:
                self._cache[key] = hit
        return hit

    def _resolve(self, township: str, village: str, group: str):
        if not township:
            return None, (L.TOWNSHIP, "乡镇（街道）不能为空")
        t = next(filter(None, map(self.townships.get, self._lookups(township))), None)
        if t is None:
            return None, (
                L.TOWNSHIP,
                f"找不到乡镇（街道）“{township}”（应为本县现有乡镇（街道）的名称）",
            )
        if not village:
            return None, (L.VILLAGE, "村（社区）不能为空")
        v = next(filter(None, (self.children.get((t.pk, k)) for k in self._lookups(village))), None)
        if v is None:
            return None, (L.VILLAGE, f"“{t.short_name}”下找不到村（社区）“{village}”")
        region = v
        if group:
            g = next(
                filter(
                    None,
                    (self.children.get((v.pk, k)) for k in self._lookups(group, group=True)),
                ),
                None,
            )
            if g is None:
                return None, (L.GROUP, f"“{t.short_name}{v.short_name}”下找不到组“{group}”")
            region = g
        ids = (t.pk, v.pk, region.pk)
        outside = self.outside(ids)
        if outside is not None:
            column = (L.TOWNSHIP, L.VILLAGE, L.GROUP)[outside]
            shown = (t, v, region)[min(outside, 2)].short_name
            return None, (column, f"“{shown}”不在您的负责区域内")
        return ids, None

    def outside(self, ids: Sequence[int]) -> int | None:
        """The level (0 township, 1 village, 2 group) where a placement leaves the user's
        region, or None when it is inside (always None for county-wide users and the CLI)."""
        for level, scope_id in enumerate(self.scope_ids):
            if level >= len(ids) or ids[level] != scope_id:
                return level
        return None

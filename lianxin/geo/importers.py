"""Importing the map: the statistics bureau's `code,name,level,parent_code` table, or a
names-only `township,village` table. Re-running a file changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.core.tabular import iter_rows
from lianxin.lib.names import short_region_name

from .choices import ChangeKind, Level
from .models import County, Region, RegionChange
from .services import do_create_county, do_create_region, do_end_region

LEVEL_WORDS = {
    "county": "county",
    "县": "county",
    "township": Level.TOWNSHIP,
    "乡镇": Level.TOWNSHIP,
    "街道": Level.TOWNSHIP,
    "village": Level.VILLAGE,
    "村": Level.VILLAGE,
    "社区": Level.VILLAGE,
    "group": Level.GROUP,
    "组": Level.GROUP,
}
LEVEL_ORDER = {"county": 0, Level.TOWNSHIP: 1, Level.VILLAGE: 2, Level.GROUP: 3}


@dataclass
class RegionImportReport:
    created: int = 0
    recoded: int = 0
    renamed: int = 0
    unchanged: int = 0
    ended: int = 0
    errors: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    county: County | None = None

    def summary(self) -> str:
        return (
            f"新建 {self.created}，补充代码 {self.recoded}，更名 {self.renamed}，"
            f"未变 {self.unchanged}，撤销 {self.ended}"
        )


@dataclass
class _Row:
    number: int
    level: str
    name: str
    code: str = ""
    parent_code: str = ""
    parent_name: str = ""


def _read(path: Path) -> tuple[str, list[_Row], list[str]]:
    rows: list[_Row] = []
    errors: list[str] = []
    with path.open("rb") as stream:
        it = iter_rows(stream, path.name)
        try:
            _, header = next(it)
        except StopIteration:
            raise Refused("文件为空", field="file") from None
        cols = [h.strip().lower() for h in header]
        if cols[:4] == ["code", "name", "level", "parent_code"]:
            kind = "statistics"
            for number, cells in it:
                cells = [*cells, "", "", "", ""][:4]
                code, name, level_word, parent_code = cells
                level = LEVEL_WORDS.get(level_word.lower())
                if not name:
                    errors.append(f"第{number}行 name 列：名称为空")
                elif level is None:
                    errors.append(f"第{number}行 level 列：无法识别的层级“{level_word}”")
                elif not code.isdigit():
                    errors.append(f"第{number}行 code 列：区划代码应为数字，现为“{code}”")
                else:
                    rows.append(_Row(number, level, name, code, parent_code))
        elif cols[:2] == ["township", "village"]:
            kind = "names"
            for number, cells in it:
                township, village = [*cells, ""][:2]
                if not township:
                    errors.append(f"第{number}行 township 列：乡镇名称为空")
                    continue
                rows.append(_Row(number, Level.TOWNSHIP, township))
                if village:
                    rows.append(_Row(number, Level.VILLAGE, village, parent_name=township))
        else:
            raise Refused(
                "无法识别的表头：应为 code,name,level,parent_code（统计局格式）"
                "或 township,village（名称格式）",
                field="file",
            )
    return kind, rows, errors


def import_regions(
    path: Path,
    *,
    county_code: str = "",
    county_name: str = "",
    valid_from: dt.date | None = None,
    end_missing: bool = False,
    acting_user: Any = None,
    progress: Any = None,
) -> RegionImportReport:
    """Import a division table in one transaction; every bad row is reported and nothing saved."""
    kind, rows, errors = _read(path)
    report = RegionImportReport(errors=errors)
    valid_from = valid_from or today()
    counties = [r for r in rows if r.level == "county"]
    if kind == "statistics" and counties:
        county_code, county_name = counties[0].code, counties[0].name
    if not county_code:
        errors.append("缺少县级区划：名称格式的文件请用 --county 指定县级代码和 --county-name 名称")
    if errors:
        return report
    rows.sort(key=lambda r: LEVEL_ORDER[r.level])
    with transaction.atomic():
        existing = County.objects.filter(code=county_code).first()
        county = existing or do_create_county(
            code=county_code, name=county_name or county_code, acting_user=acting_user
        )
        report.county = county
        current = list(Region.objects.filter(county=county, valid_to__isnull=True))
        by_code = {r.code: r for r in current if r.code}
        by_name = {(r.parent_id, r.name): r for r in current}
        by_name.update({(r.parent_id, r.short_name): r for r in current})
        seen: set[int] = set()
        for row in rows:
            if progress:
                progress.update(1)
            if row.level == "county":
                continue
            if kind == "statistics":
                parent = None if row.level == Level.TOWNSHIP else by_code.get(row.parent_code)
                if row.level != Level.TOWNSHIP and parent is None:
                    report.errors.append(
                        f"第{row.number}行 parent_code 列：找不到上级区划代码“{row.parent_code}”"
                    )
                    continue
            else:
                parent = None
                if row.parent_name:
                    parent = by_name.get((None, row.parent_name)) or by_name.get(
                        (None, short_region_name(row.parent_name))
                    )
            parent_id = parent.pk if parent else None
            region = (
                (by_code.get(row.code) if row.code else None)
                or by_name.get((parent_id, row.name))
                or by_name.get((parent_id, short_region_name(row.name)))
            )
            if region is None:
                region = do_create_region(
                    county=county,
                    level=row.level,
                    name=row.name,
                    parent=parent,
                    code=row.code,
                    valid_from=valid_from,
                    acting_user=acting_user,
                    audit=False,
                )
                report.created += 1
            else:
                changed = False
                if row.code and region.code != row.code:
                    RegionChange.objects.create(
                        county=county,
                        region=region,
                        kind=ChangeKind.RECODE,
                        effective_on=valid_from,
                        before={"code": region.code},
                        after={"code": row.code},
                    )
                    region.code = row.code
                    region.save(update_fields=["code"])
                    report.recoded += 1
                    changed = True
                if region.name != row.name and row.code:
                    RegionChange.objects.create(
                        county=county,
                        region=region,
                        kind=ChangeKind.RENAME,
                        effective_on=valid_from,
                        before={"name": region.name},
                        after={"name": row.name},
                    )
                    region.name, region.short_name = row.name, short_region_name(row.name)
                    region.save(update_fields=["name", "short_name"])
                    report.renamed += 1
                    changed = True
                if not changed:
                    report.unchanged += 1
            seen.add(region.pk)
            if region.code:
                by_code[region.code] = region
            by_name[(parent_id, region.name)] = region
            by_name[(parent_id, region.short_name)] = region
        if end_missing:
            # Deepest first, so a township is ended after its villages.
            missing = [r for r in current if r.pk not in seen and r.level != Level.GROUP]
            for region in sorted(missing, key=lambda r: -LEVEL_ORDER[r.level]):
                try:
                    do_end_region(region, effective_on=valid_from, acting_user=acting_user)
                    report.ended += 1
                except Refused as exc:
                    report.kept.append(f"{region.short_name}：{exc.message}")
        if report.errors:
            transaction.set_rollback(True)
            return report
        record(
            actor=acting_user,
            action="导入行政区划",
            county_id=county.pk,
            target_type="geo.region",
            target_label=path.name,
            changes={"summary": [None, report.summary()]},
        )
    return report

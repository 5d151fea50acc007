"""State changes of the map: counties and regions. History is kept by dates, never overwritten."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from lianxin.audit.services import record
from lianxin.core.access import check_actor, check_console, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import today
from lianxin.lib.names import short_region_name

from .choices import CHILD_LEVEL, ChangeKind, Level
from .models import County, Region, RegionChange

REGION_FIELDS = {
    "geo_region_valid_dates": "effective_on",
    "geo_region_parent_by_level": "parent",
}
NOT_WRITER = "只有市级管理员可以调整区划"


def _check_writer(acting_user: Any, county_id: int, *regions: Region | None) -> None:
    """The county's city administrator (writes_regions), every region in their write scope;
    acting_user None is the server (install, `lianxin import-divisions`, the demo)."""
    check_actor(acting_user, "writes_regions", NOT_WRITER, county_id=county_id)
    check_in_scope(acting_user, *regions)


def do_create_county(*, code: str, name: str, acting_user: Any = None) -> County:
    """A new tenant: set up at the server only (install, `lianxin import-divisions`)."""
    check_console(acting_user, "县（市、区）只能在服务器上设立")
    check_fields(County, {"code": code, "name": name, "short_name": short_region_name(name)})
    with transaction.atomic():
        county, created = County.objects.get_or_create(
            code=code, defaults={"name": name, "short_name": short_region_name(name)}
        )
        if created:
            record(
                actor=acting_user,
                action="设立县（市、区）",
                target=county,
                county_id=county.pk,
                changes={"code": [None, code], "name": [None, name]},
            )
        return county


def _check_parent(level: str, parent: Region | None, county: County) -> None:
    if level == Level.TOWNSHIP:
        if parent is not None:
            raise Refused("乡镇（街道）直属于县，不能有上级区划", field="parent")
        return
    if parent is None:
        raise Refused("村（社区）和组必须指定上级区划", field="parent")
    if parent.county_id != county.pk:
        raise Refused("上级区划不属于本县", field="parent")
    if CHILD_LEVEL.get(Level(parent.level)) != level:
        raise Refused(f"{parent.get_level_display()}下不能设{Level(level).label}", field="level")
    if parent.valid_to is not None:
        raise Refused(f"上级区划“{parent.short_name}”已撤销", field="parent")


def do_create_region(
    *,
    county: County,
    level: str,
    name: str,
    parent: Region | None = None,
    code: str = "",
    short_name: str = "",
    valid_from: dt.date | None = None,
    acting_user: Any = None,
    audit: bool = True,
) -> Region:
    """Create a region under its parent and record its creation."""
    _check_writer(acting_user, county.pk, parent)
    if parent is None and acting_user is not None and acting_user.region_id:
        # A township hangs off the county: outside an administrator narrowed to one region.
        raise Refused(NOT_WRITER, status=403)
    short_name = short_name or short_region_name(name)
    check_fields(Region, {"level": level, "code": code, "name": name, "short_name": short_name})
    _check_parent(level, parent, county)
    # No look for a duplicate code first: the constraint's message says it all.
    with refuse_conflicts(REGION_FIELDS):
        region = Region.objects.create(
            county=county,
            parent=parent,
            level=level,
            code=code,
            name=name,
            short_name=short_name,
            valid_from=valid_from or today(),
            path="",
        )
        region.path = f"{parent.path if parent else '/'}{region.pk}/"
        region.save(update_fields=["path"])
        RegionChange.objects.create(
            county=county,
            region=region,
            kind=ChangeKind.CREATE,
            effective_on=region.valid_from,
            after={"name": name, "code": code, "parent": parent.pk if parent else None},
        )
        if audit:
            record(
                actor=acting_user,
                action="设立区划",
                target=region,
                changes={"name": [None, name], "code": [None, code]},
            )
        return region


def do_rename_region(
    region: Region, *, name: str, effective_on: dt.date, acting_user: Any, short_name: str = ""
) -> Region:
    """Rename; the old name stays in the region's change history."""
    _check_writer(acting_user, region.county_id, region)
    after = {"name": name, "short_name": short_name or short_region_name(name)}
    check_fields(Region, after)
    with transaction.atomic():
        region = Region.objects.select_for_update().get(pk=region.pk)
        before = {"name": region.name, "short_name": region.short_name}
        if before == after:
            return region
        region.name, region.short_name = after["name"], after["short_name"]
        region.save(update_fields=["name", "short_name"])
        RegionChange.objects.create(
            county_id=region.county_id,
            region=region,
            kind=ChangeKind.RENAME,
            effective_on=effective_on,
            before=before,
            after=after,
        )
        record(
            actor=acting_user,
            action="区划更名",
            target=region,
            changes={"name": [before["name"], name]},
        )
        return region


def _repath_subtree(old_prefix: str, new_prefix: str, county_id: int) -> None:
    # One UPDATE per move: every descendant's path keeps its tail under the new prefix.
    from django.db.models.functions import Substr

    Region.objects.filter(county_id=county_id, path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr(F("path"), len(old_prefix) + 1))
    )


def _relocate_rows(region: Region) -> None:
    """Recompute the denormalised township/village of households and enterprises below region."""
    from lianxin.people.models import Enterprise, Household

    for row_model in (Household, Enterprise):
        for sub in Region.objects.filter(path__startswith=region.path):
            ids = sub.ancestor_ids
            row_model.objects.filter(region=sub).update(
                township_id=ids[0], village_id=ids[1] if len(ids) > 1 else sub.pk
            )


def do_move_region(
    region: Region, *, new_parent: Region, effective_on: dt.date, acting_user: Any
) -> Region:
    """Put a village under another township (or a group under another village)."""
    _check_writer(acting_user, region.county_id, region, new_parent)
    with refuse_conflicts(REGION_FIELDS):
        region = Region.objects.select_for_update().get(pk=region.pk)
        _check_parent(region.level, new_parent, region.county)
        if region.parent_id == new_parent.pk:
            return region
        old_parent_id = region.parent_id
        old_prefix, new_prefix = region.path, f"{new_parent.path}{region.pk}/"
        region.parent = new_parent
        region.save(update_fields=["parent"])
        _repath_subtree(old_prefix, new_prefix, region.county_id)
        region.refresh_from_db()
        _relocate_rows(region)
        RegionChange.objects.create(
            county_id=region.county_id,
            region=region,
            kind=ChangeKind.MOVE,
            effective_on=effective_on,
            before={"parent": old_parent_id},
            after={"parent": new_parent.pk},
        )
        record(
            actor=acting_user,
            action="调整区划隶属",
            target=region,
            changes={"parent": [old_parent_id, new_parent.pk]},
        )
        return region


def do_merge_regions(
    absorbed: Region, *, into: Region, effective_on: dt.date, acting_user: Any
) -> Region:
    """Merge one region into another of the same level: the absorbed one is ended (kept for
    history, so last year's ledgers still add up the old way), its children and rows move."""
    from lianxin.people.models import Enterprise, Household

    _check_writer(acting_user, absorbed.county_id, absorbed, into)
    if absorbed.pk == into.pk or absorbed.level != into.level:
        raise Refused("只能撤并同一层级的两个不同区划", field="into")
    if absorbed.county_id != into.county_id:
        raise Refused("不能跨县撤并", field="into")
    with refuse_conflicts(REGION_FIELDS):
        absorbed = Region.objects.select_for_update().get(pk=absorbed.pk)
        if absorbed.valid_to is not None:
            raise Refused(f"“{absorbed.short_name}”已于{absorbed.valid_to}撤销", field="absorbed")
        if effective_on <= absorbed.valid_from:
            raise Refused(
                f"撤并日期须晚于“{absorbed.short_name}”的设立日期{absorbed.valid_from}",
                field="effective_on",
            )
        for child in absorbed.children.filter(valid_to__isnull=True):
            do_move_region(
                child, new_parent=into, effective_on=effective_on, acting_user=acting_user
            )
        for row_model in (Household, Enterprise):
            row_model.objects.filter(region=absorbed).update(
                region=into, township_id=into.township_id, village_id=into.village_id or into.pk
            )
        absorbed.valid_to = effective_on - dt.timedelta(days=1)
        absorbed.successor = into
        absorbed.save(update_fields=["valid_to", "successor"])
        RegionChange.objects.create(
            county_id=absorbed.county_id,
            region=absorbed,
            kind=ChangeKind.MERGE,
            effective_on=effective_on,
            after={"successor": into.pk, "successor_name": into.name},
        )
        record(
            actor=acting_user,
            action="撤并区划",
            target=absorbed,
            changes={"successor": [None, str(into)]},
        )
        return absorbed


def do_end_region(region: Region, *, effective_on: dt.date, acting_user: Any) -> Region:
    """End a region that holds nothing current (no current children, households, enterprises)."""
    from lianxin.people.models import Enterprise, Household

    _check_writer(acting_user, region.county_id, region)
    with refuse_conflicts(REGION_FIELDS):
        region = Region.objects.select_for_update().get(pk=region.pk)
        if region.valid_to is not None:
            return region
        if effective_on <= region.valid_from:
            raise Refused(f"撤销日期须晚于设立日期{region.valid_from}", field="effective_on")
        if region.children.filter(valid_to__isnull=True).exists():
            raise Refused(f"“{region.short_name}”下还有未撤销的区划，请先撤并", field="region")
        if (
            Household.objects.filter(region=region).exists()
            or Enterprise.objects.filter(region=region).exists()
        ):
            raise Refused(f"“{region.short_name}”下还有户或企业，请先迁移或撤并", field="region")
        region.valid_to = effective_on - dt.timedelta(days=1)
        region.save(update_fields=["valid_to"])
        RegionChange.objects.create(
            county_id=region.county_id,
            region=region,
            kind=ChangeKind.END,
            effective_on=effective_on,
        )
        record(
            actor=acting_user,
            action="撤销区划",
            target=region,
            changes={"valid_to": [None, str(region.valid_to)]},
        )
        return region

"""The coverage page's gap lists and summary tables as spreadsheet rows, and their xlsx export
(masked values only; no ID numbers at all)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lianxin.core import sheets
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.models import Household, HouseholdHardship, Resident

from .coverage import Coverage
from .coverage_figures import LOAD_CHOICES, LOAD_NONE, NONE
from .models import Pairing

CHUNK_SIZE = 2000
WHOLE_TOWNSHIP = "（全乡镇）"


@dataclass
class Table:
    """A titled header and its rows, streamed from the database as they are written."""

    title: str
    columns: list[sheets.Column]
    rows: Iterable[list[Any]]
    # Which rows the totals row adds up (all of them unless a table nests its rows).
    counts_row: Callable[[Sequence[Any]], bool] = lambda _row: True

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


# Tells an export job how many rows are coming, once the table knows (for its progress bar).
OnTotal = Callable[[int], None] | None


def _household_rows(cov: Coverage, on_total: OnTotal = None) -> Iterable[list[Any]]:
    """The gap households for a whole export (all of a county's, before its first pairing run):
    their ids first, read from the indexes alone, then plain tuples a chunk at a time, so a
    quarter of a million rows never become model instances."""
    ids = list(
        cov.households()
        .exclude(cov.covered_q())
        .order_by("number", "pk")
        .values_list("pk", flat=True)
    )
    if on_total is not None:
        on_total(len(ids))
    kinds = dict(HardshipKind.choices)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        heads = {
            h: (name, phone)
            for h, name, phone in Resident.objects.filter(
                household_id__in=chunk, relation=Relation.HEAD
            ).values_list("household_id", "name", "phone_masked")
        }
        hardships: dict[int, list[str]] = defaultdict(list)
        for h, kind in (
            HouseholdHardship.objects.current(cov.on)
            .filter(household_id__in=chunk)
            .order_by("kind")
            .values_list("household_id", "kind")
        ):
            hardships[h].append(kinds.get(kind, kind))
        stale = {
            h: f"原结对干部{name}已于{left_on:%Y-%m-%d}退出"
            for h, name, left_on in Pairing.objects.current(cov.on)
            .filter(household_id__in=chunk, cadre__left_on__isnull=False)
            .values_list("household_id", "cadre__name", "cadre__left_on")
        }
        rows = (
            Household.objects.filter(pk__in=chunk)
            .order_by("number", "pk")
            .values_list(
                "pk",
                "number",
                "township__short_name",
                "village__short_name",
                "region__short_name",
                "region_id",
                "village_id",
            )
        )
        for pk, number, township, village, group, region_id, village_id in rows:
            name, phone = heads.get(pk, ("（未登记户主）", ""))
            yield [
                number,
                township,
                village,
                group if region_id != village_id else "",
                name,
                phone,
                "、".join(hardships.get(pk, [])),
                stale.get(pk, ""),
            ]


def _cadre_rows(cov: Coverage, load: str, on_total: OnTotal = None) -> Iterable[list[Any]]:
    if on_total is not None:
        on_total(cov.cadres_by_load(load).count())
    for c in cov.cadres_by_load(load).iterator(chunk_size=CHUNK_SIZE):
        low, high = cov.bounds_of(c.unit_on)  # type: ignore[attr-defined]
        yield [
            c.staff_no,
            c.name,
            c.unit_name_on,  # type: ignore[attr-defined]
            c.post_on,  # type: ignore[attr-defined]
            c.phone_masked,
            c.load,  # type: ignore[attr-defined]
            low,
            high,
        ]


def _village_rows(cov: Coverage) -> Iterable[list[Any]]:
    for v in cov.villages_without_unit():
        r = cov.village_households.get(v.pk, NONE)
        yield [v.parent.short_name if v.parent else "", v.short_name, v.code, r.total, r.covered]


def _township_rows(cov: Coverage) -> Iterable[list[Any]]:
    for t in cov.townships_without_leader():
        r = cov.township_households.get(t.pk, NONE)
        yield [t.short_name, t.code, cov.village_counts.get(t.pk, 0), r.total, r.covered]


def _region_rows(cov: Coverage) -> Iterable[list[Any]]:
    for t in cov.region_rows():
        r = t.households
        leaders = "、".join(t.leaders) or "（无市级领导联系）"
        yield [
            t.township.short_name,
            WHOLE_TOWNSHIP,
            leaders,
            r.total,
            r.covered,
            r.gaps,
            r.percent_value,
        ]
        for v in t.villages:
            r = v.households
            units = "、".join(v.units) or "（无责任单位）"
            yield [
                t.township.short_name,
                v.village.short_name,
                units,
                r.total,
                r.covered,
                r.gaps,
                r.percent_value,
            ]


def _unit_rows(cov: Coverage) -> Iterable[list[Any]]:
    for u in cov.unit_rows():
        loads, zone = u.loads, u.zone_households
        yield [
            u.unit.name,
            "、".join(v.short_name for v in u.zone) or "（无责任区）",
            f"{u.min_load}–{u.max_load}",
            u.cadres.total,
            u.cadres.covered,
            u.cadres.gaps,
            loads.households,
            loads.min,
            loads.max,
            loads.avg,
            loads.over_max,
            loads.under_min,
            zone.total,
            zone.covered,
            zone.percent_value,
        ]


def _township_row(row: Sequence[Any]) -> bool:
    # The regions table lists each township and then its villages: only the township rows add
    # up to the county's totals.
    return row[1] == WHOLE_TOWNSHIP


# The lists that can grow with the county (households, cadres); the others have a row per
# township, village or unit, a few hundred at most.
LONG_LISTS = ("households", "cadres")


def rows_at_most(cov: Coverage, name: str, limit: int, *, load: str = LOAD_NONE) -> int:
    """The rows the table will have, counted only up to limit + 1: whether an export is short
    enough to write while the user waits, without counting a quarter of a million gaps (the
    database stops at the first limit + 1 it finds). The short tables answer 0."""
    qs: Any
    if name == "households":
        qs = cov.households_without_cadre()
    elif name == "cadres":
        qs = cov.cadres_by_load(load)
    else:
        return 0
    return qs.order_by().values("pk")[: limit + 1].count()


def table(cov: Coverage, name: str, *, load: str = LOAD_NONE, on_total: OnTotal = None) -> Table:
    """One gap list or summary table of the coverage page as rows for a spreadsheet.
    `on_total` hears how many rows the long lists have before their first row is read."""
    if name == "households":
        columns = [
            sheets.text("户号", width=19),
            sheets.text("乡镇（街道）"),
            sheets.text("村（社区）"),
            sheets.text("组"),
            sheets.text("户主"),
            sheets.text("户主电话（脱敏）"),
            sheets.text("困难类型"),
            sheets.text("说明"),
        ]
        return Table("未结对的户", columns, _household_rows(cov, on_total))
    if name == "cadres":
        columns = [
            sheets.text("人员编号"),
            sheets.text("姓名"),
            sheets.text("单位"),
            sheets.text("职务"),
            sheets.text("电话（脱敏）"),
            sheets.count("联系户数"),
            sheets.count("最少户数", total=False),
            sheets.count("最多户数", total=False),
        ]
        return Table(LOAD_CHOICES[load], columns, _cadre_rows(cov, load, on_total))
    if name == "villages":
        columns = [
            sheets.text("乡镇（街道）"),
            sheets.text("村（社区）"),
            sheets.text("统计区划代码"),
            sheets.count("须覆盖户数"),
            sheets.count("已结对户数"),
        ]
        return Table("无责任单位的村（社区）", columns, _village_rows(cov))
    if name == "townships":
        columns = [
            sheets.text("乡镇（街道）"),
            sheets.text("统计区划代码"),
            sheets.count("村（社区）数"),
            sheets.count("须覆盖户数"),
            sheets.count("已结对户数"),
        ]
        return Table("无市级领导联系的乡镇（街道）", columns, _township_rows(cov))
    if name == "regions":
        columns = [
            sheets.text("乡镇（街道）"),
            sheets.text("村（社区）"),
            sheets.text("联系领导／责任单位"),
            sheets.count("须覆盖户数"),
            sheets.count("已结对户数"),
            sheets.count("未结对户数"),
            sheets.rate("覆盖率（%）", part="已结对户数", whole="须覆盖户数"),
        ]
        return Table("分乡镇、村（社区）覆盖情况", columns, _region_rows(cov), _township_row)
    if name == "units":
        columns = [
            sheets.text("单位"),
            sheets.text("责任区村（社区）"),
            sheets.text("每人户数范围"),
            sheets.count("可参与结对干部"),
            sheets.count("已结对干部"),
            sheets.count("未结对干部"),
            sheets.count("联系户数合计"),
            sheets.count("每人最少", total=False),
            sheets.count("每人最多", total=False),
            sheets.number("每人平均"),
            sheets.count("超过上限人数"),
            sheets.count("低于下限人数"),
            # Zones of different units are different villages: their households add up.
            sheets.count("责任区须覆盖户数"),
            sheets.count("责任区已结对户数"),
            sheets.rate("责任区覆盖率（%）", part="责任区已结对户数", whole="责任区须覆盖户数"),
        ]
        return Table("分单位结对情况", columns, _unit_rows(cov))
    raise ValueError(f"unknown coverage table {name!r}")


def write_xlsx(
    target: Any, tab: Table, notes: Iterable[tuple[str, str]], heading: sheets.Heading | None = None
) -> int:
    """Stream the table into an .xlsx through the shared writer (memory flat whatever the
    size; title, filters, frozen header, widths, totals, print setup), with a second sheet
    saying what it is: the day, the filters, the definitions. Returns the rows written."""
    return sheets.write_xlsx(
        target,
        tab.columns,
        tab.rows,
        heading=heading or sheets.Heading(title=tab.title),
        sheet_name=tab.title,
        counts_row=tab.counts_row,
        notes=notes,
    )

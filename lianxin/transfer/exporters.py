"""Exports in the import layouts, and the blank templates. Rows stream from the database in
chunks straight into the file, so a county-wide export keeps memory flat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core import sheets
from lianxin.core.errors import Refused
from lianxin.core.sensitive import unseal_field
from lianxin.core.tabular import write_rows
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.people.choices import HardshipKind, Relation, Trade
from lianxin.people.models import Enterprise, HouseholdHardship, Resident

from . import layouts as L
from .choices import DataKind

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportFilters:
    """The household list's filters that an export honours (all optional)."""

    township: Region | None = None
    village: Region | None = None
    hardship: str = ""

    def describe(self) -> dict[str, str]:
        """For the audit row and the job page."""
        out = {}
        if self.township:
            out["township"] = self.township.short_name
        if self.village:
            out["village"] = self.village.short_name
        if self.hardship:
            out["hardship"] = HardshipKind(self.hardship).label
        return out


def _scoped(model, *, county: County, user: Any):
    if user is None:
        return model.objects.filter(county=county)
    if not user.sees_people:
        raise Refused("您没有查看户籍和企业数据的权限", status=403)
    return model.objects.visible_to(user).filter(county=county)


def check_full_export(user: Any, reason: str) -> str:
    """Full ID numbers and phones need the reveal permission and a stated reason."""
    if user is not None and not user.reveals_sensitive:
        raise Refused("您没有导出完整身份证号和电话的权限", field="full", status=403)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Refused("导出完整信息须填写事由（至少2个字）", field="reason")
    return reason


def _group(region: Region) -> str:
    return region.short_name if region.level == Level.GROUP else ""


def _resident_rows(qs, full: bool) -> Iterator[list[str]]:
    relation = dict(Relation.choices)
    for r in qs:
        h = r.household
        yield [
            h.number,
            h.township.short_name,
            h.village.short_name,
            _group(h.region),
            h.address,
            L.hardship_text({x.kind for x in h.hardships.all()}),
            r.name,
            unseal_field(r, "id_number") if full else r.id_number_masked,
            relation.get(r.relation, r.relation),
            (unseal_field(r, "phone") if full else r.phone_masked) if r.phone_enc else "",
        ]


def _enterprise_rows(qs) -> Iterator[list[str]]:
    trade = dict(Trade.choices)
    for e in qs:
        yield [
            e.credit_code,
            e.name,
            trade.get(e.trade, e.trade),
            e.township.short_name,
            e.village.short_name,
            _group(e.region),
            e.address,
        ]


def _counted(rows: Iterator[list[str]], progress: Callable[[int], Any] | None, box: list[int]):
    """Pass rows through, counting them and reporting progress every chunk."""
    n = 0
    for row in rows:
        n += 1
        if progress and n % CHUNK_SIZE == 0:
            progress(CHUNK_SIZE)
        yield row
    if progress and n % CHUNK_SIZE:
        progress(n % CHUNK_SIZE)
    box.append(n)


def export_queryset(kind: str, *, county: County, user: Any, filters: ExportFilters):
    """The rows an export writes: the user's scope, the list filters, in a stable order."""
    if kind == DataKind.RESIDENTS:
        qs = _scoped(Resident, county=county, user=user)
        if filters.township:
            qs = qs.filter(household__township=filters.township)
        if filters.village:
            qs = qs.filter(household__village=filters.village)
        if filters.hardship:
            qs = qs.filter(
                household_id__in=HouseholdHardship.objects.current()
                .filter(county=county, kind=filters.hardship)
                .values("household_id")
            )
        # The head first in each household, then the members in the order they were registered.
        head_first = Case(
            When(relation=Relation.HEAD, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (
            qs.select_related("household__township", "household__village", "household__region")
            .prefetch_related(
                Prefetch("household__hardships", queryset=HouseholdHardship.objects.current())
            )
            .order_by("household__number", "household_id", head_first, "id")
        )
    if kind == DataKind.ENTERPRISES:
        qs = _scoped(Enterprise, county=county, user=user)
        if filters.township:
            qs = qs.filter(township=filters.township)
        if filters.village:
            qs = qs.filter(village=filters.village)
        return qs.select_related("township", "village", "region").order_by("credit_code")
    raise Refused(f"无法识别的导出数据类型“{kind}”", field="kind")


def export_people(
    target: str | IO[Any] | Any,
    name: str,
    *,
    county: County,
    kind: str,
    user: Any,
    filters: ExportFilters | None = None,
    full: bool = False,
    reason: str = "",
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Write the user's households/residents or enterprises to `target` (a path or binary stream;
    `name` gives the format, .xlsx or .csv) in the import layout; returns the number of rows.

    ID numbers and phones are masked unless `full`, which needs the reveal permission and a
    reason. Every export is audited; a full one as "导出完整信息" with its reason, recorded
    before the first row is written so that even an interrupted export leaves its trace."""
    filters = filters or ExportFilters()
    if user is not None and user.county_id != county.pk:
        raise Refused("只能导出本县的数据", field="county", status=403)
    qs = export_queryset(kind, county=county, user=user, filters=filters)
    # Enterprises carry nothing sensitive: there is no full form to ask for.
    full = full and kind == DataKind.RESIDENTS
    if full:
        reason = check_full_export(user, reason)
    layout = L.LAYOUTS[kind]
    with transaction.atomic():
        record(
            actor=user,
            action="导出完整信息" if full else f"批量导出{layout.label}",
            county_id=county.pk,
            target_type="people.resident" if kind == DataKind.RESIDENTS else "people.enterprise",
            target_label=name,
            changes={
                "kind": [None, layout.label],
                **{k: [None, v] for k, v in filters.describe().items()},
            },
            reason=reason if full else "",
        )
    rows = (
        _resident_rows(qs.iterator(chunk_size=CHUNK_SIZE), full)
        if kind == DataKind.RESIDENTS
        else _enterprise_rows(qs.iterator(chunk_size=CHUNK_SIZE))
    )
    box: list[int] = []
    write_rows(
        target,
        name,
        layout.titles,
        _counted(rows, progress, box),
        columns=[sheets.text(c.title, width=c.width) for c in layout.columns],
        heading=export_heading(county, layout.label, filters, user, full=full, reason=reason),
    )
    return box[0] if box else 0


def export_heading(
    county: County, label: str, filters: ExportFilters, user: Any, *, full: bool, reason: str
) -> sheets.Heading:
    """The title and filters rows above an .xlsx export's header. The importers skip them, so
    an export still reads back as an import file."""
    described = "；".join(filters.describe().values())
    if full:
        described = "；".join(x for x in (described, f"完整身份证号和电话（事由：{reason}）") if x)
    return sheets.Heading(
        title=f"{county.name} {label} 导出",
        filters=described,
        made_by=str(user) if user is not None else "系统",
        made_at=timezone.localtime(),
    )


def write_template(target: Any, kind: str, fmt: str) -> None:
    """The blank file to fill in: the header row (required columns marked *), and for .xlsx a
    second sheet explaining every column. Cells of number-like columns are formatted as text, so
    Excel keeps all 18 digits of an ID number."""
    layout = L.LAYOUTS[kind]
    if fmt == "csv":
        write_rows(target, "template.csv", layout.template_header(), [])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = layout.label
    sheet.append(layout.template_header())
    bold = Font(bold=True)
    for i, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        sheet.cell(row=1, column=i).font = bold
        if column.text:
            # A column style (not per-cell formats, which would make the sheet report a
            # thousand rows): Excel applies it to whatever is typed or pasted in the column.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "填写说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in layout.columns:
        notes.append(
            [column.title, "必填" if column.required else "选填", column.note, column.example]
        )
    notes.append([])
    notes.append(["说明", "", "第一张表的第一行是表头，请从第二行起填写；带 * 的列必须填写。", ""])
    if kind == DataKind.RESIDENTS:
        notes.append(
            [
                "",
                "",
                "每位居民一行；同一户的户号、乡镇（街道）、村（社区）、组、住址、困难类型各行相同。",
                "",
            ]
        )
    for letter, width in zip("ABCD", (16, 10, 80, 24), strict=True):
        notes.column_dimensions[letter].width = width
    book.save(target)

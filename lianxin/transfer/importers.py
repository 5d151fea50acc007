"""Bulk import of households with their residents, and of enterprises, in the layouts of
layouts.py. Rows stream through in batches: each batch is validated, looked up with one query
per kind of key and written with one multi-row insert/update per table, so memory does not grow
with the file (except for the checks across the file, see _ResidentImporter). Re-running a file
changes nothing."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, NoReturn

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.core.sensitive import Sealed, clear_birth_year, seal_id_number, seal_phone
from lianxin.core.tabular import FromNumber, Header
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.errors import InvalidValue
from lianxin.lib.masking import scrub
from lianxin.lib.names import short_region_name
from lianxin.lib.pinyin import initials
from lianxin.lib.uscc import validate as validate_credit_code
from lianxin.people import disclosure
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.models import Enterprise, Household, HouseholdHardship, Resident

from . import layouts as L
from .choices import DataKind, ImportMode

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
AUDIT_ACTIONS = {DataKind.RESIDENTS: "批量导入居民", DataKind.ENTERPRISES: "批量导入企业"}

# Chinese names repeat a great deal across a county: pinyin is worth caching.
_initials = lru_cache(maxsize=65536)(initials)


@dataclass(slots=True)
class RowError:
    """One reason a row was refused: the row number as the spreadsheet shows it, the column."""

    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    """What an import did: counts, and every bad row with its column and reason."""

    kind: str
    mode: str
    rows_read: int = 0
    bad_rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    hardships_added: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    enterprises_created: int = 0
    enterprises_updated: int = 0
    unchanged: int = 0
    # Bad rows past the errors-kept limit: counted, not listed (their reasons not kept).
    bad_rows_not_listed: int = 0
    # False when mode "all" found bad rows and rolled everything back.
    saved: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The first `errors_kept` bad rows keep their reasons (None: all of them).
    errors_kept: int | None = None
    # Error entries of the bad rows not listed, for the job's error total.
    errors_not_listed: int = 0
    # Why the import stopped before the end of its file ("" when it read the file through).
    stopped: str = ""
    # Out-of-scope ID-number answers given, and rows refused once the account's daily budget
    # of them was spent (people/disclosure.py).
    outside_shown: int = 0
    over_limit: int = 0

    WRITE_COUNTS = (
        "households_created",
        "households_updated",
        "hardships_added",
        "residents_created",
        "residents_updated",
        "enterprises_created",
        "enterprises_updated",
        "unchanged",
    )

    def counts(self) -> dict[str, int]:
        """The figures that apply to this kind of import, by field name."""
        skip = (
            {"enterprises_created", "enterprises_updated"}
            if self.kind == DataKind.RESIDENTS
            else {
                "households_created",
                "households_updated",
                "hardships_added",
                "residents_created",
                "residents_updated",
            }
        )
        if not self.bad_rows_not_listed:
            skip.add("bad_rows_not_listed")
        skip |= {"errors_kept", "errors_not_listed", "outside_shown", "over_limit"}
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), int)
            and not isinstance(getattr(self, f.name), bool)
            and f.name not in skip
        }

    @property
    def error_total(self) -> int:
        """Error entries, listed or not."""
        return len(self.errors) + self.errors_not_listed

    @property
    def wrote_anything(self) -> bool:
        return any(getattr(self, name) for name in self.WRITE_COUNTS if name != "unchanged")

    def summary(self) -> str:
        from .models import COUNT_LABELS

        parts = [f"{COUNT_LABELS[k]} {v}" for k, v in self.counts().items()]
        text = "，".join(parts)
        if self.stopped:
            text = f"导入中途停止：{self.stopped}。" + (
                f"停止前已保存：{text}" if self.saved else f"本次未保存任何数据（{text}）"
            )
        elif self.mode == ImportMode.ALL and self.bad_rows:
            text += "。发现错误行，按“全部正确才保存”方式，本次未保存任何数据"
        if self.bad_rows_not_listed:
            text += (
                f"。错误行只列出前 {self.errors_kept:,} 行（错误报告的限制），"
                f"另有 {self.bad_rows_not_listed:,} 行错误未列出"
            )
        return text

    def _zero_writes(self) -> None:
        for name in self.WRITE_COUNTS:
            setattr(self, name, 0)


class _RegionIndex:
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


class _Inserter:
    """executemany straight into a model's table: the import's hot path.

    bulk_create spent about half of an import's time building model instances and preparing
    every value of each (profiled at 20,000 residents); here rows are plain tuples.
    Columns the importer does not give get the field's default (now, for auto_now fields), so
    a field added to the model later is still filled the way the ORM would fill it."""

    def __init__(self, model: type[models.Model], given: Sequence[str]):
        ops = connection.ops
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_name = {f.attname: f for f in fields}
        self.given = [by_name[name] for name in given]
        self.rest = [f for f in fields if f.attname not in set(given)]
        columns = [*self.given, *self.rest]
        self.sql = (
            f"INSERT INTO {ops.quote_name(model._meta.db_table)} ("
            + ", ".join(ops.quote_name(str(f.column)) for f in columns)
            + ") VALUES ("
            + ", ".join(["%s"] * len(columns))
            + ")"
        )
        # Dates need the backend's adapter (SQLite stores text); DateTimeField is a DateField.
        self.dates = [i for i, f in enumerate(self.given) if isinstance(f, models.DateField)]

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        now = timezone.now()
        tail = tuple(
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default(),
                connection,
            )
            for f in self.rest
        )
        if self.dates:
            adapt = [(i, self.given[i]) for i in self.dates]
            prepared = []
            for row in rows:
                values = list(row)
                for i, f in adapt:
                    values[i] = f.get_db_prep_save(values[i], connection)
                prepared.append((*values, *tail))
        else:
            prepared = [(*row, *tail) for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, prepared)


def _placement_ids(row: dict[str, Any]) -> tuple[int, int, int]:
    return (row["township_id"], row["village_id"], row["region_id"])


def _resident_placement(row: dict[str, Any]) -> tuple[int, int, int]:
    return (
        row["household__township_id"],
        row["household__village_id"],
        row["household__region_id"],
    )


class _Importer:
    """What both importers share: the header's column positions, batching, error bookkeeping."""

    layout: L.Layout

    def __init__(self, *, county: County, header: Header, acting_user: Any, result: ImportResult):
        self.county = county
        self.acting_user = acting_user
        self.result = result
        self.regions = _RegionIndex(county, acting_user)
        self.positions = {title: header.index.get(title) for title in self.layout.titles}
        self.titles = {i: title for title, i in header.index.items()}
        self.text_positions: list[tuple[str, int]] = [
            (title, i)
            for title in self.layout.text_titles
            if (i := self.positions[title]) is not None
        ]
        # Row numbers of the batch being written, to report them if the write fails.
        self.pending: list[int] = []
        # Out-of-scope answers the account may still be given (None: not budgeted), and those
        # given whose audit row is not written yet (people/disclosure.py).
        self.answers_left: int | None = None
        self.answers_unrecorded = 0
        # Shows the job alive while the import waits for the budget's lock (import_people).
        self.heartbeat: Callable[[], Any] | None = None
        # Whether the job may still commit (import_people's `claim`).
        self.claim: Callable[[], bool] | None = None

    def still_claimed(self) -> None:
        """Raise Abandoned when the job was given up (the stall sweep failed it and wrote its
        audit row): what this transaction holds must not commit behind that row. Called where
        the transaction has written no audit row yet, so it takes the job row's lock before
        the audit chain's, in the sweep's order."""
        if self.claim is not None and not self.claim():
            raise Abandoned()

    def cells(self, cells: list[str]) -> dict[str, str]:
        out = {}
        for title, i in self.positions.items():
            out[title] = cells[i] if i is not None and i < len(cells) else ""
        return out

    def unreadable(self, cells: list[str]) -> list[tuple[str, str]]:
        """Why a row cannot be read at all: a cell the reader could not decode or that is
        past the cell limit, a text-only cell that arrived as a number (its digits are gone,
        so it is refused, never converted back). Such a row is not parsed further."""
        problem = getattr(cells, "problem", None)
        if problem is not None:
            index, reason = problem
            return [(self.titles.get(index, "") if index is not None else "", reason)]
        errors = []
        for title, i in self.text_positions:
            value = cells[i] if i < len(cells) else ""
            if isinstance(value, FromNumber) or L.is_excel_number(value):
                errors.append((title, L.NUMBER_CELL_MESSAGE))
        return errors

    def fail(self, row: int, errors: Iterable[tuple[str, str]]) -> None:
        result = self.result
        result.bad_rows += 1
        listed = result.bad_rows - result.bad_rows_not_listed
        if result.errors_kept is not None and listed > result.errors_kept:
            # Past the limit only the count is kept: a million bad rows must not become a
            # million reasons in memory and a 190 MB report.
            result.bad_rows_not_listed += 1
            result.errors_not_listed += sum(1 for _ in errors)
            return
        # Reasons are kept (job row, report file): a cell they echo is masked like a log line.
        result.errors.extend(RowError(row, column, scrub(reason)) for column, reason in errors)

    def process(self, batch: list[tuple[int, list[str]]], *, write: bool) -> None:
        raise NotImplementedError

    def open_budget(self) -> None:
        """Lock the account's answer budget for the caller's transaction and read what is left
        (only importers whose rows carry ID numbers need it)."""

    def record_answers(self, label: str) -> None:
        """The audit row of the answers given since the last one, in the transaction that
        called open_budget (the row is the budget's count)."""
        disclosure.record_answers(self.acting_user, shown=self.answers_unrecorded, label=label)
        self.answers_unrecorded = 0


@dataclass(slots=True)
class _ResidentRow:
    row: int
    number: str
    placement: tuple[int, int, int]
    address: str
    kinds: frozenset[str]
    name: str
    sealed_id: Sealed
    sex: str
    birth_year: int
    relation: str
    phone: Sealed


@dataclass(slots=True)
class _HouseholdSeen:
    """What the file said about a household the first time: later rows must agree."""

    row: int
    placement: tuple[int, int, int]
    address: str
    kinds: frozenset[str]
    head_row: int = 0


class _ResidentImporter(_Importer):
    """Households keyed by 户号, residents by the keyed hash of their ID number, in the county.

    The checks that span the whole file keep one small entry per resident and per household:
    the first 128 bits of each ID number's HMAC as an int (uniform, so as good a key as the
    whole 64-hex-digit hash) with its row number, about 110 bytes each — some 75 MB for the
    county's 670,000 residents — and the first row of each 户号 (about 55 MB for 220,000
    households). Everything else lives only for its batch.
    """

    layout = L.RESIDENTS

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen_ids: dict[int, int] = {}
        self.seen_households: dict[str, _HouseholdSeen] = {}
        # Identical hardship sets share one frozenset instead of one per household.
        self._kind_sets: dict[frozenset[str], frozenset[str]] = {}
        self.insert_households = _Inserter(
            Household, ("county_id", "number", "township_id", "village_id", "region_id", "address")
        )
        self.insert_hardships = _Inserter(
            HouseholdHardship, ("county_id", "household_id", "kind", "valid_from")
        )
        self.insert_residents = _Inserter(
            Resident,
            (
                "county_id",
                "household_id",
                "name",
                "name_initials",
                "id_number_enc",
                "id_number_hash",
                "id_number_masked",
                "sex",
                "birth_year",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "relation",
            ),
        )

    def _parse(self, row: int, cells: list[str]) -> tuple[_ResidentRow | None, list]:
        c = self.cells(cells)
        errors: list[tuple[str, str]] = []
        number = c[L.NUMBER]
        if not number:
            errors.append((L.NUMBER, "户号不能为空"))
        elif len(number) > 30:
            errors.append((L.NUMBER, f"户号不能超过30个字符，现为{len(number)}个"))
        placement, problem = self.regions.resolve(c[L.TOWNSHIP], c[L.VILLAGE], c[L.GROUP])
        if problem:
            errors.append(problem)
        address = c[L.ADDRESS]
        if len(address) > 120:
            errors.append((L.ADDRESS, f"住址不能超过120个字符，现为{len(address)}个"))
        kinds, unknown = L.parse_hardships(c[L.HARDSHIP])
        if unknown:
            errors.append(
                (
                    L.HARDSHIP,
                    f"无法识别的困难类型“{'、'.join(unknown)}”（可填："
                    + "、".join(HardshipKind.labels)
                    + "）",
                )
            )
        kinds = self._kind_sets.setdefault(kinds, kinds)
        name = c[L.NAME]
        if not name:
            errors.append((L.NAME, "姓名不能为空"))
        elif len(name) > 30:
            errors.append((L.NAME, f"姓名不能超过30个字符，现为{len(name)}个"))
        sealed_id = card = None
        try:
            sealed_id, card = seal_id_number(c[L.ID_NUMBER])
        except InvalidValue as exc:
            errors.append((L.ID_NUMBER, str(exc)))
        relation = L.parse_relation(c[L.RELATION])
        if relation is None:
            errors.append(
                (
                    L.RELATION,
                    f"无法识别的与户主关系“{c[L.RELATION]}”（可填："
                    + "、".join(Relation.labels)
                    + "）"
                    if c[L.RELATION]
                    else "与户主关系不能为空",
                )
            )
        phone = None
        try:
            phone = seal_phone(c[L.PHONE])
        except InvalidValue as exc:
            errors.append((L.PHONE, str(exc)))

        # Checks across the file. The ID number is remembered even on a row that is bad for
        # another reason, so its duplicate is still reported.
        if sealed_id is not None:
            key = int(sealed_id.hash[:32], 16)
            first = self.seen_ids.get(key)
            if first is None:
                self.seen_ids[key] = row
            else:
                errors.append((L.ID_NUMBER, f"第{first}行和第{row}行的身份证号相同"))
        # The household's columns are remembered only from a row where they are all valid, so
        # a typo on one row is reported once, not as a disagreement on every later row.
        household_ok = bool(number) and len(number) <= 30 and placement is not None
        household_ok = household_ok and len(address) <= 120 and not unknown
        if household_ok and placement is not None:
            seen = self.seen_households.get(number)
            if seen is None:
                seen = _HouseholdSeen(row, placement, address, kinds)
                self.seen_households[number] = seen
            else:
                errors.extend(self._disagreements(number, seen, placement, address, kinds))
            if relation == Relation.HEAD:
                if seen.head_row and seen.head_row != row:
                    errors.append(
                        (
                            L.RELATION,
                            f"户号“{number}”已在第{seen.head_row}行登记户主，一户只能有一名户主",
                        )
                    )
                else:
                    seen.head_row = row
        if errors:
            return None, errors
        assert placement and sealed_id and card and relation and phone is not None
        return (
            _ResidentRow(
                row,
                number,
                placement,
                address,
                kinds,
                name,
                sealed_id,
                card.sex,
                clear_birth_year(card.birth_date, today()),
                relation,
                phone,
            ),
            [],
        )

    def _shown(self, placement: tuple[int, int, int], level: int) -> str:
        # A household straight under its village has region == village: its group is blank.
        if level == 2 and placement[2] == placement[1]:
            return ""
        return self.regions.name(placement[level])

    def _disagreements(self, number, seen: _HouseholdSeen, placement, address, kinds):
        """(column, reason) for each household column that differs from the 户号's first row."""
        where = f"户号“{number}”在第{seen.row}行"
        for level, column in enumerate((L.TOWNSHIP, L.VILLAGE, L.GROUP)):
            if seen.placement[level] != placement[level]:
                before, after = self._shown(seen.placement, level), self._shown(placement, level)
                yield column, f"{where}的{column}为“{before}”，本行为“{after}”，同一户各行应一致"
                # The levels below a differing township or village differ as a consequence.
                break
        if seen.address != address:
            yield L.ADDRESS, f"{where}的住址为“{seen.address}”，本行为“{address}”，同一户各行应一致"
        if seen.kinds != kinds:
            yield (
                L.HARDSHIP,
                f"{where}的困难类型为“{L.hardship_text(seen.kinds)}”，本行为"
                f"“{L.hardship_text(kinds)}”，同一户各行应一致",
            )

    def _sees(self, placement: Sequence[int]) -> bool:
        return self.regions.outside(placement) is None

    def open_budget(self) -> None:
        left = disclosure.remaining(self.acting_user, heartbeat=self.heartbeat)
        # An all-or-nothing import keeps one transaction (and the lock): its answers so far
        # are not in the audit table yet.
        self.answers_left = None if left is None else max(0, left - self.answers_unrecorded)

    def process(self, batch, *, write):
        rows: list[_ResidentRow] = []
        for number, cells in batch:
            self.result.rows_read += 1
            errors = self.unreadable(cells)
            parsed = None
            if not errors:
                parsed, errors = self._parse(number, cells)
            if errors:
                self.fail(number, errors)
            else:
                rows.append(parsed)
        if not rows:
            return
        county = self.county
        households = {
            h["number"]: h
            for h in Household.objects.filter(
                county=county, number__in={r.number for r in rows}
            ).values("id", "number", "township_id", "village_id", "region_id", "address")
        }
        residents = {
            r["id_number_hash"]: r
            for r in Resident.objects.filter(
                county=county, id_number_hash__in=[r.sealed_id.hash for r in rows]
            ).values(
                "id",
                "id_number_hash",
                "household_id",
                "household__number",
                "household__township_id",
                "household__village_id",
                "household__region_id",
                "name",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "relation",
            )
        }
        household_ids = [h["id"] for h in households.values()]
        heads = {
            r["household_id"]: r
            for r in Resident.objects.filter(
                household_id__in=household_ids, relation=Relation.HEAD
            ).values("household_id", "id_number_hash", "name")
        }
        open_kinds: dict[int, set[str]] = {}
        for household_id, kind in HouseholdHardship.objects.filter(
            household_id__in=household_ids, valid_to__isnull=True
        ).values_list("household_id", "kind"):
            open_kinds.setdefault(household_id, set()).add(kind)

        accepted: list[_ResidentRow] = []
        for r in rows:
            existing = residents.get(r.sealed_id.hash)
            if (
                self.answers_left is not None
                and self.answers_left <= 0
                and (existing is None or not self._sees(_resident_placement(existing)))
            ):
                # The day's budget of out-of-scope answers is spent: every row the user cannot
                # see registered (registered elsewhere or new) is refused the same way, so
                # refused-or-accepted no longer tells one from the other (people/disclosure.py).
                # A number registered in scope goes on to its usual answer: the user sees that
                # record anyway, and yesterday's file can be imported again.
                self.result.over_limit += 1
                self.fail(r.row, [(L.ID_NUMBER, disclosure.LIMIT_MESSAGE)])
                continue
            household = households.get(r.number)
            if household is not None and not self._sees(_placement_ids(household)):
                # Only this: the checks below would describe another township's household
                # (its head's name, whether this ID number is its head's).
                self.fail(r.row, [(L.NUMBER, f"户号“{r.number}”已在其他辖区登记，不能在此导入")])
                continue
            errors = []
            if existing is not None and existing["household__number"] != r.number:
                if self._sees(_resident_placement(existing)):
                    # In scope: the user sees that record anyway, so no budget is spent.
                    reason = (
                        f"该身份证号已登记在户号“{existing['household__number']}”"
                        f"（{existing['name']}），不能在两户重复登记"
                    )
                else:
                    reason = disclosure.OUTSIDE_SCOPE_MESSAGE
                    self.result.outside_shown += 1
                    self.answers_unrecorded += 1
                    if self.answers_left is not None:
                        self.answers_left -= 1
                errors.append((L.ID_NUMBER, reason))
            if r.relation == Relation.HEAD and household is not None:
                head = heads.get(household["id"])
                if head is not None and head["id_number_hash"] != r.sealed_id.hash:
                    errors.append(
                        (
                            L.RELATION,
                            f"户号“{r.number}”已登记户主（{head['name']}），一户只能有一名户主；"
                            "如需更换户主，请先在户页面修改原户主的关系",
                        )
                    )
            if errors:
                self.fail(r.row, errors)
            else:
                accepted.append(r)
        if write and accepted:
            self.pending = [r.row for r in accepted]
            self._write(accepted, households, residents, open_kinds)

    def _write(self, rows, households, residents, open_kinds) -> None:
        county_id = self.county.pk
        now = timezone.now()
        new_households: dict[str, tuple] = {}
        changed_households: dict[str, Household] = {}
        for r in rows:
            existing = households.get(r.number)
            if existing is None:
                if r.number not in new_households:
                    new_households[r.number] = (county_id, r.number, *r.placement, r.address)
            elif r.number not in changed_households and (
                _placement_ids(existing) != r.placement
                or (r.address and r.address != existing["address"])
            ):
                township_id, village_id, region_id = r.placement
                changed_households[r.number] = Household(
                    pk=existing["id"],
                    township_id=township_id,
                    village_id=village_id,
                    region_id=region_id,
                    address=r.address or existing["address"],
                    updated_at=now,
                )
        self.insert_households.insert(list(new_households.values()))
        Household.objects.bulk_update(
            changed_households.values(),
            ["township_id", "village_id", "region_id", "address", "updated_at"],
        )
        ids = {number: h["id"] for number, h in households.items()}
        if new_households:
            ids.update(
                Household.objects.filter(county_id=county_id, number__in=list(new_households))
                .values_list("number", "id")
                .iterator()
            )

        hardships: list[tuple] = []
        since = today()
        for r in rows:
            if not r.kinds:
                continue
            household_id = ids[r.number]
            have = open_kinds.setdefault(household_id, set())
            for kind in sorted(r.kinds - have):
                have.add(kind)
                hardships.append((county_id, household_id, kind, since))
        self.insert_hardships.insert(hardships)

        created: list[tuple] = []
        updated: list[Resident] = []
        unchanged = 0
        for r in rows:
            existing = residents.get(r.sealed_id.hash)
            if existing is None:
                sealed, phone = r.sealed_id, r.phone
                created.append(
                    (
                        county_id,
                        ids[r.number],
                        r.name,
                        _initials(r.name)[:30],
                        sealed.enc,
                        sealed.hash,
                        sealed.masked,
                        r.sex,
                        r.birth_year,
                        phone.enc,
                        phone.hash,
                        phone.masked,
                        r.relation,
                    )
                )
                continue
            # An empty phone cell leaves the registered number alone (see docs/import-layout.md).
            phone = r.phone if r.phone.hash else None
            if (
                existing["name"] == r.name
                and existing["relation"] == r.relation
                and (phone is None or phone.hash == existing["phone_hash"])
            ):
                unchanged += 1
                continue
            updated.append(
                Resident(
                    pk=existing["id"],
                    name=r.name,
                    name_initials=_initials(r.name)[:30],
                    phone_enc=phone.enc if phone else existing["phone_enc"],
                    phone_hash=phone.hash if phone else existing["phone_hash"],
                    phone_masked=phone.masked if phone else existing["phone_masked"],
                    relation=r.relation,
                    updated_at=now,
                )
            )
        self.insert_residents.insert(created)
        Resident.objects.bulk_update(
            updated,
            [
                "name",
                "name_initials",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "relation",
                "updated_at",
            ],
        )
        result = self.result
        result.households_created += len(new_households)
        result.households_updated += len(changed_households)
        result.hardships_added += len(hardships)
        result.residents_created += len(created)
        result.residents_updated += len(updated)
        result.unchanged += unchanged


@dataclass(slots=True)
class _EnterpriseRow:
    row: int
    credit_code: str
    name: str
    trade: str
    placement: tuple[int, int, int]
    address: str


class _EnterpriseImporter(_Importer):
    """Enterprises keyed by credit code in the county (one 18-character key per row kept for
    the duplicate check across the file)."""

    layout = L.ENTERPRISES

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen_codes: dict[str, int] = {}

    def _parse(self, row: int, cells: list[str]):
        c = self.cells(cells)
        errors: list[tuple[str, str]] = []
        code = ""
        try:
            code = validate_credit_code(c[L.CREDIT_CODE])
        except InvalidValue as exc:
            errors.append((L.CREDIT_CODE, str(exc)))
        name = c[L.ENTERPRISE_NAME]
        if not name:
            errors.append((L.ENTERPRISE_NAME, "企业名称不能为空"))
        elif len(name) > 100:
            errors.append((L.ENTERPRISE_NAME, f"企业名称不能超过100个字符，现为{len(name)}个"))
        trade = L.parse_trade(c[L.TRADE])
        if trade is None:
            errors.append(
                (
                    L.TRADE,
                    f"无法识别的行业门类“{c[L.TRADE]}”（填门类字母 A–T 或名称，如 C 或 制造业）"
                    if c[L.TRADE]
                    else "行业门类不能为空",
                )
            )
        placement, problem = self.regions.resolve(c[L.TOWNSHIP], c[L.VILLAGE], c[L.GROUP])
        if problem:
            errors.append(problem)
        address = c[L.ENTERPRISE_ADDRESS]
        if len(address) > 120:
            errors.append((L.ENTERPRISE_ADDRESS, f"地址不能超过120个字符，现为{len(address)}个"))
        if code:
            first = self.seen_codes.get(code)
            if first is None:
                self.seen_codes[code] = row
            else:
                errors.append((L.CREDIT_CODE, f"第{first}行和第{row}行的统一社会信用代码相同"))
        if errors:
            return None, errors
        assert trade and placement
        return _EnterpriseRow(row, code, name, trade, placement, address), []

    def process(self, batch, *, write):
        rows: list[_EnterpriseRow] = []
        for number, cells in batch:
            self.result.rows_read += 1
            errors = self.unreadable(cells)
            parsed = None
            if not errors:
                parsed, errors = self._parse(number, cells)
            if errors:
                self.fail(number, errors)
            else:
                rows.append(parsed)
        if not rows:
            return
        existing = {
            e["credit_code"]: e
            for e in Enterprise.objects.filter(
                county=self.county, credit_code__in=[r.credit_code for r in rows]
            ).values(
                "id",
                "credit_code",
                "name",
                "trade",
                "township_id",
                "village_id",
                "region_id",
                "address",
            )
        }
        accepted = []
        for r in rows:
            found = existing.get(r.credit_code)
            if found is not None and self.regions.outside(_placement_ids(found)) is not None:
                self.fail(
                    r.row,
                    [(L.CREDIT_CODE, "该统一社会信用代码已在其他辖区登记，不能在此导入")],
                )
            else:
                accepted.append(r)
        if not (write and accepted):
            return
        self.pending = [r.row for r in accepted]
        now = timezone.now()
        created, updated, unchanged = [], [], 0
        for r in accepted:
            found = existing.get(r.credit_code)
            township_id, village_id, region_id = r.placement
            if found is None:
                created.append(
                    Enterprise(
                        county_id=self.county.pk,
                        credit_code=r.credit_code,
                        name=r.name,
                        name_initials=_initials(r.name)[:60],
                        trade=r.trade,
                        township_id=township_id,
                        village_id=village_id,
                        region_id=region_id,
                        address=r.address,
                    )
                )
                continue
            address = r.address or found["address"]
            if (
                found["name"] == r.name
                and found["trade"] == r.trade
                and _placement_ids(found) == r.placement
                and found["address"] == address
            ):
                unchanged += 1
                continue
            updated.append(
                Enterprise(
                    pk=found["id"],
                    name=r.name,
                    name_initials=_initials(r.name)[:60],
                    trade=r.trade,
                    township_id=township_id,
                    village_id=village_id,
                    region_id=region_id,
                    address=address,
                    updated_at=now,
                )
            )
        Enterprise.objects.bulk_create(created)
        Enterprise.objects.bulk_update(
            updated,
            [
                "name",
                "name_initials",
                "trade",
                "township_id",
                "village_id",
                "region_id",
                "address",
                "updated_at",
            ],
        )
        self.result.enterprises_created += len(created)
        self.result.enterprises_updated += len(updated)
        self.result.unchanged += unchanged


IMPORTERS: dict[str, type[_Importer]] = {
    DataKind.RESIDENTS: _ResidentImporter,
    DataKind.ENTERPRISES: _EnterpriseImporter,
}


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    """Lists of at most `size` rows, pulled from the source only as each batch is needed.
    Rows whose cells are all blank (stray formatting in a spreadsheet) are skipped."""
    while True:
        batch = [
            r
            for r in itertools.islice(rows, size)
            if "".join(r[1]).strip() or getattr(r[1], "problem", None) is not None
        ]
        if not batch:
            # islice came back empty only at the end; a batch of blank rows just continues.
            peek = next(rows, None)
            if peek is None:
                return
            rows = itertools.chain([peek], rows)
            continue
        yield batch


class ImportStopped(Refused):
    """An import that stopped before the end of its file (a limit, a crash, a conflict):
    `result` says what it saved; the audit row saying so is already written."""

    def __init__(self, message: str, result: ImportResult, status: int = 400):
        super().__init__(message, field="file", status=status)
        self.result = result


class Abandoned(Exception):
    """The job was given up while the import ran (the stall sweep failed it and wrote its
    audit row): the import's open transaction was rolled back and it writes nothing more."""


class _Tracked:
    """The source's rows, remembering the last row number pulled (where a stop happened)."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]):
        self.rows = rows
        self.last = 1

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[str]]:
        number, cells = next(self.rows)
        self.last = number
        return number, cells


def import_people(
    source: Iterable[tuple[int, list[str]]],
    *,
    county: County,
    kind: str,
    mode: str,
    acting_user: Any,
    progress: Callable[[int], Any] | None = None,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    errors_kept: int | None = None,
    on_batch: Callable[[ImportResult], Any] | None = None,
    claim: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import households/residents or enterprises from rows (header first), as
    `lianxin.core.tabular.iter_rows` yields them. Mode "all" saves nothing when any row is bad;
    mode "good" saves the good rows batch by batch. The first `errors_kept` bad rows (all when
    None) are in `errors` with their reasons, the rest only counted. In mode "good",
    `on_batch(result)` runs inside each batch's transaction, so what it saves (the job's
    running counts) commits with the batch.

    An import that stops before the end of its file (the reader refusing it past a limit, a
    conflict, any exception) raises ImportStopped after writing an audit row with what it
    saved: nothing in mode "all", the batches written before the stop in mode "good".

    `claim()` runs in each transaction that commits the import's work, before its audit rows,
    and says whether the job still owns the import (the job row locked, still running): when
    it does not, the transaction is rolled back and Abandoned raised, with no audit row of its
    own (the stall sweep wrote the job's). While it waits for the account's answer budget, the
    import calls `progress(0)` so the job shows it is alive."""
    if kind not in IMPORTERS:
        raise Refused(f"无法识别的导入数据类型“{kind}”", field="kind")
    if mode not in ImportMode.values:
        raise Refused(f"无法识别的导入方式“{mode}”", field="mode")
    if acting_user is not None:
        if not acting_user.writes_registry:
            raise Refused("您没有导入户籍和企业数据的权限", status=403)
        if acting_user.county_id != county.pk:
            raise Refused("只能导入本县的数据", field="county", status=403)
    rows = iter(source)
    try:
        _, header_cells = next(rows)
    except StopIteration:
        raise Refused("文件为空：第一行应为表头（请下载模板对照）", field="file") from None
    layout = L.LAYOUTS[kind]
    header = Header(header_cells, layout.required, layout.titles)
    result = ImportResult(
        kind=kind, mode=mode, ignored_columns=header.unknown, errors_kept=errors_kept
    )
    importer = IMPORTERS[kind](county=county, header=header, acting_user=acting_user, result=result)
    importer.claim = claim
    if progress is not None:
        importer.heartbeat = lambda: progress(0)
    tracked = _Tracked(rows)
    label = file_name or "（程序生成的数据）"
    try:
        with _import_cache():
            if mode == ImportMode.ALL:
                _import_all(importer, tracked, batch_size, progress, file_name)
            else:
                _import_good(importer, tracked, batch_size, progress, file_name, on_batch)
    except Abandoned:
        # Its refusals were never shown: the job page shows the sweep's message.
        result.over_limit = 0
        raise
    except Exception as exc:
        _stop(importer, tracked, exc, file_name)
    finally:
        # One row per import, whether it saved, stopped or rolled back: the refusals were shown.
        with transaction.atomic():
            disclosure.record_limit_refusals(acting_user, refused=result.over_limit, label=label)
    result.errors.sort(key=lambda e: e.row)
    return result


def _stop(importer: _Importer, tracked: _Tracked, exc: Exception, file_name: str) -> NoReturn:
    """Leave the audit row of an import that did not reach the end of its file, then raise
    ImportStopped. Mode "all" rolled everything back; mode "good" keeps its written batches
    (their counts are added only once a batch's transaction has committed)."""
    result = importer.result
    status = exc.status if isinstance(exc, Refused) else 500
    if isinstance(exc, IntegrityError):
        reason, status = "保存时与同时进行的其他修改冲突，请重新导入", 409
    elif isinstance(exc, Refused):
        reason = exc.message
    else:
        logger.error("import of %s stopped", file_name or "rows", exc_info=exc)
        reason = f"导入出错（{exc.__class__.__name__}），请联系系统管理员查看日志"
    result.stopped = f"{reason}（读到第{tracked.last}行时停止）"
    if result.mode == ImportMode.ALL:
        result._zero_writes()
        result.saved = False
    else:
        result.saved = result.wrote_anything
    result.errors.sort(key=lambda e: e.row)
    with transaction.atomic():
        importer.still_claimed()
        _audit(result, importer.county, importer.acting_user, file_name)
    raise ImportStopped(result.summary(), result, status=status) from exc


# SQLite's default page cache is 2 MB; a county's resident table has indexes on random keys
# (the ID-number and phone hashes) of some 50 MB each, and with the small cache every insert
# evicts and rereads pages. 64 MB for the length of an import halves the insert time at 670,000
# rows (bench/README.md); the connection gets its usual cache back afterwards.
SQLITE_IMPORT_CACHE_KIB = 65536


@contextmanager
def _import_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _audit(result: ImportResult, county: County, acting_user: Any, file_name: str) -> None:
    stopped = (result.stopped, result.saved) if result.stopped else None
    record_import(
        result.kind,
        result.counts(),
        county_id=county.pk,
        acting_user=acting_user,
        file_name=file_name,
        stopped=stopped,
    )


def record_import(
    kind: str,
    counts: dict[str, int],
    *,
    county_id: int,
    acting_user: Any,
    file_name: str,
    stopped: tuple[str, bool] | None = None,
) -> None:
    """The audit row of one import: what it counted and, for one that stopped before the end of
    its file, why and whether it saved anything (also written by the stall sweep)."""
    changes: dict[str, Any] = {key: [None, value] for key, value in counts.items()}
    if stopped is not None:
        changes["stopped"] = [None, stopped[0]]
        changes["saved"] = [None, stopped[1]]
    record(
        actor=acting_user,
        action=AUDIT_ACTIONS[DataKind(kind)],
        county_id=county_id,
        target_type="people.enterprise" if kind == DataKind.ENTERPRISES else "people.household",
        target_label=file_name or "（程序生成的数据）",
        changes=changes,
    )


def _import_all(importer: _Importer, rows, batch_size, progress, file_name) -> None:
    """One transaction; the data is a savepoint inside it, rolled back when any row is bad,
    while the audit row of the out-of-scope answers given (the budget's count, see
    people/disclosure.py) commits in the outer transaction whatever became of the data."""
    result = importer.result
    stop: Exception | None = None
    with transaction.atomic():
        importer.open_budget()
        try:
            with transaction.atomic():
                for batch in _batches(rows, batch_size):
                    # After the first bad row nothing will be kept: only validate the rest, so
                    # every bad row is still reported, without the cost of writing rows to roll
                    # back.
                    importer.process(batch, write=not result.bad_rows)
                    if progress:
                        progress(len(batch))
                # Locks the job row until the commit, so the sweep cannot fail it behind us.
                importer.still_claimed()
                if result.bad_rows:
                    transaction.set_rollback(True)
                    result._zero_writes()
                else:
                    _audit(result, importer.county, importer.acting_user, file_name)
                    result.saved = True
        except Abandoned:
            # Out of the outer block too: the answers were never shown, nothing commits.
            raise
        except Exception as exc:
            stop = exc
            result.saved = False
        importer.record_answers(file_name or "（程序生成的数据）")
    if stop is not None:
        raise stop


def _import_good(importer: _Importer, rows, batch_size, progress, file_name, on_batch) -> None:
    """A transaction per batch, holding the batch's writes (a savepoint, so a conflict rolls
    back only them), the audit row of its out-of-scope answers and `on_batch`'s save: an import
    killed between batches leaves the counts of what it committed."""
    result = importer.result
    label = file_name or "（程序生成的数据）"
    for batch in _batches(rows, batch_size):
        importer.pending = []
        stop: Exception | None = None
        with transaction.atomic():
            importer.open_budget()
            importer.still_claimed()
            try:
                with transaction.atomic():
                    importer.process(batch, write=True)
            except IntegrityError:
                # A concurrent change collided with this batch: its writes were rolled back as
                # a whole (the counts are added only after a batch's writes succeed).
                for row in importer.pending:
                    importer.fail(
                        row, [("", "保存时与同时进行的其他修改冲突，本行未保存，请重新导入")]
                    )
            except Exception as exc:
                stop = exc
            importer.record_answers(label)
            if on_batch and stop is None:
                on_batch(result)
        if stop is not None:
            raise stop
        if progress:
            progress(len(batch))
    result.saved = True
    with transaction.atomic():
        importer.still_claimed()
        _audit(result, importer.county, importer.acting_user, file_name)

"""Importing households with their residents: households keyed by 户号, residents by the keyed
hash of their ID number, in the county."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from lianxin.core.fields import problem as field_problem
from lianxin.core.models import new_seal_ref, today
from lianxin.core.sensitive import Sealed, clear_birth_year, hasher, keyring, reseal
from lianxin.lib.sealing import PersonCells, PersonSealer, SealedPerson
from lianxin.people import disclosure, numbering
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.counters import recount_members
from lianxin.people.models import Household, HouseholdHardship, Resident

from . import layouts as L
from .row_importer import RowImporter, placement_ids, resident_placement
from .sealing_pool import SealingPool
from .table_inserter import Inserter, KeyLookup, table
from .table_inserter import column as col

ID_LABEL = Resident.seal_label("id_number")
PHONE_LABEL = Resident.seal_label("phone")


@dataclass(slots=True)
class _ResidentRow:
    row: int
    number: str
    placement: tuple[int, int, int]
    address: str
    kinds: frozenset[str]
    name: str
    initials: str
    ref: str  # the seal reference its sealed values are bound to (a new resident's own)
    sealed_id: Sealed
    sex: str
    birth_year: int
    relation: str
    phone: Sealed


def _pack(r: _ResidentRow) -> tuple:
    # marshal takes exact types only: a reader's str subclass (FromNumber) and the relation's
    # choice become plain str, and come back equal to them.
    return (
        r.row,
        str(r.number),
        r.placement,
        str(r.address),
        r.kinds,
        str(r.name),
        r.initials,
        r.ref,
        tuple(r.sealed_id),
        r.sex,
        r.birth_year,
        str(r.relation),
        tuple(r.phone),
    )


def _unpack(t: tuple) -> _ResidentRow:
    row = _ResidentRow(*t)
    row.sealed_id = Sealed._make(row.sealed_id)
    row.phone = Sealed._make(row.phone)
    return row


@dataclass(slots=True)
class _HouseholdSeen:
    """What the file said about a household the first time: later rows must agree."""

    row: int
    placement: tuple[int, int, int]
    address: str
    kinds: frozenset[str]
    head_row: int = 0


class ResidentImporter(RowImporter):
    """Households keyed by 户号, residents by the keyed hash of their ID number, in the county.

    The checks that span the whole file keep one small entry per resident and per household:
    the first 128 bits of each ID number's HMAC as an int (uniform, so as good a key as the
    whole 64-hex-digit hash) with its row number, about 110 bytes each — some 75 MB for the
    county's 670,000 residents — and the first row of each 户号 (about 55 MB for 220,000
    households). Everything else lives only for its batch.
    """

    layout = L.RESIDENTS
    spool_codec = (_pack, _unpack)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen_ids: dict[int, int] = {}
        self.seen_households: dict[str, _HouseholdSeen] = {}
        # The county's 户号 rule, read once: the same check as the household form and the API.
        self.number_rule = numbering.rule_for(self.county)
        # Seals ID numbers and phones and spells names (lib/sealing.py), here or in a worker.
        self.sealer = PersonSealer(keyring(), hasher(), id_label=ID_LABEL, phone_label=PHONE_LABEL)
        # Identical hardship sets share one frozenset instead of one per household.
        self._kind_sets: dict[frozenset[str], frozenset[str]] = {}
        self.insert_households = Inserter(
            Household, ("county_id", "number", "township_id", "village_id", "region_id", "address")
        )
        self.insert_hardships = Inserter(
            HouseholdHardship, ("county_id", "household_id", "kind", "valid_from")
        )
        self.insert_residents = Inserter(
            Resident,
            (
                "county_id",
                "household_id",
                "name",
                "name_initials",
                "seal_ref",
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

        H, R = Household, Resident
        self.find_households = KeyLookup(
            [
                (name, col(H, name))
                for name in ("id", "number", "township_id", "village_id", "region_id", "address")
            ],
            table(H),
            f"{col(H, 'county_id')} = %s",
            col(H, "number"),
        )
        self.find_residents = KeyLookup(
            [
                *((name, col(R, name)) for name in ("id", "id_number_hash", "household_id")),
                *(
                    (f"household__{name}", col(H, name))
                    for name in ("number", "township_id", "village_id", "region_id")
                ),
                *(
                    (name, col(R, name))
                    for name in (
                        "name",
                        "seal_ref",
                        "phone_enc",
                        "phone_hash",
                        "phone_masked",
                        "relation",
                    )
                ),
            ],
            f"{table(R)} INNER JOIN {table(H)} ON {col(H, 'id')} = {col(R, 'household_id')}",
            f"{col(R, 'county_id')} = %s",
            col(R, "id_number_hash"),
        )
        self.find_heads = KeyLookup(
            [(name, col(R, name)) for name in ("household_id", "id_number_hash", "name")],
            table(R),
            f"{col(R, 'relation')} = %s",
            col(R, "household_id"),
        )
        HH = HouseholdHardship
        self.find_open_kinds = KeyLookup(
            [(name, col(HH, name)) for name in ("household_id", "kind")],
            table(HH),
            f"{col(HH, 'valid_to')} IS NULL",
            col(HH, "household_id"),
        )

    def sealing_pool(self, worker_from: int | None) -> SealingPool:
        return SealingPool(self.sealer, worker_from=worker_from)

    def parse_batch(self, batch, sealed=None):
        if sealed is None:
            sealed = self.sealer.seal(self.sealing_cells(batch))
        return super().parse_batch(batch, sealed)

    def sealing_cells(self, batch: list[tuple[int, list[str]]]) -> list[PersonCells | None]:
        at = [self.positions[L.ID_NUMBER], self.positions[L.PHONE], self.positions[L.NAME]]
        out: list[PersonCells | None] = []
        for _, cells in batch:
            if getattr(cells, "problem", None) is not None:
                out.append(None)  # not parsed at all (unreadable)
                continue
            # Plain str (not a reader's subclass) for the worker's pickle.
            i, p, n = (str(cells[j]) if j is not None and j < len(cells) else "" for j in at)
            out.append((i, p, n, new_seal_ref()))
        return out

    def _parse(
        self, row: int, cells: list[str], sealed: SealedPerson | None
    ) -> tuple[_ResidentRow | None, list]:
        assert sealed is not None  # parse_batch's
        ref, sealed_id, sex, birth, phone, name_initials = sealed
        c = self.cells(cells)
        errors: list[tuple[str, str]] = []
        # The model's own rules (lianxin.core.fields), as the registry's pages and API apply.
        number = c[L.NUMBER]
        number_problem = field_problem(Household, "number", number) or self.number_rule.problem(
            number
        )
        if number_problem:
            errors.append((L.NUMBER, number_problem))
        placement, problem = self.regions.resolve(c[L.TOWNSHIP], c[L.VILLAGE], c[L.GROUP])
        if problem:
            errors.append(problem)
        address = c[L.ADDRESS]
        address_problem = field_problem(Household, "address", address)
        if address_problem:
            errors.append((L.ADDRESS, address_problem))
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
        name_problem = field_problem(Resident, "name", name)
        if name_problem:
            errors.append((L.NAME, name_problem))
        if isinstance(sealed_id, str):
            errors.append((L.ID_NUMBER, sealed_id))
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
        if isinstance(phone, str):
            errors.append((L.PHONE, phone))

        # Checks across the file. The ID number is remembered even on a row that is bad for
        # another reason, so its duplicate is still reported.
        if not isinstance(sealed_id, str):
            key = int(sealed_id.hash[:32], 16)
            first = self.seen_ids.get(key)
            if first is None:
                self.seen_ids[key] = row
            else:
                errors.append((L.ID_NUMBER, f"第{first}行和第{row}行的身份证号相同"))
        # The household's columns are remembered only from a row where they are all valid, so
        # a typo on one row is reported once, not as a disagreement on every later row.
        household_ok = not number_problem and not address_problem and placement is not None
        household_ok = household_ok and not unknown
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
        assert placement and relation and birth is not None
        assert not isinstance(sealed_id, str) and not isinstance(phone, str)
        return (
            _ResidentRow(
                row,
                number,
                placement,
                address,
                kinds,
                name,
                name_initials,
                ref,
                sealed_id,
                sex,
                clear_birth_year(birth, self.today),
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

    def check_database(self, rows, *, answering):
        if not rows:
            return [], None
        county_id = self.county.pk
        households = {
            h["number"]: h
            for h in self.find_households.fetch([county_id], {r.number for r in rows})
        }
        residents = {
            r["id_number_hash"]: r
            for r in self.find_residents.fetch([county_id], [r.sealed_id.hash for r in rows])
        }
        household_ids = [h["id"] for h in households.values()]
        heads = {
            r["household_id"]: r
            for r in self.find_heads.fetch([Relation.HEAD.value], household_ids)
        }
        open_kinds: dict[int, set[str]] = {}
        for found in self.find_open_kinds.fetch([], household_ids):
            open_kinds.setdefault(found["household_id"], set()).add(found["kind"])

        accepted: list[_ResidentRow] = []
        for r in rows:
            existing = residents.get(r.sealed_id.hash)
            if (
                answering
                and self.answers_left is not None
                and self.answers_left <= 0
                and (existing is None or not self._sees(resident_placement(existing)))
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
            if household is not None and not self._sees(placement_ids(household)):
                # Only this: the checks below would describe another township's household
                # (its head's name, whether this ID number is its head's).
                self.fail(r.row, [(L.NUMBER, f"户号“{r.number}”已在其他辖区登记，不能在此导入")])
                continue
            errors = []
            if existing is not None and existing["household__number"] != r.number:
                if self._sees(resident_placement(existing)):
                    # In scope: the user sees that record anyway, so no budget is spent.
                    reason = (
                        f"该身份证号已登记在户号“{existing['household__number']}”"
                        f"（{existing['name']}），不能在两户重复登记"
                    )
                elif not answering:
                    # The write pass: a concurrent registration elsewhere; reported as a
                    # conflict, never as an answer outside the budget.
                    reason = disclosure.OUTSIDE_SCOPE_MESSAGE
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
        return accepted, (households, residents, open_kinds)

    def write(self, rows, found) -> None:
        households, residents, open_kinds = found
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
                placement_ids(existing) != r.placement
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
                (h["number"], h["id"])
                for h in self.find_households.fetch([county_id], list(new_households))
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
        moved = [h.pk for h in changed_households.values() if h.pk is not None]
        existing_ids = {h["id"] for h in households.values()}
        helped = sorted({h for _, h, _, _ in hardships if h in existing_ids})
        if moved or helped:
            from lianxin.visits import rollup

            # Moved households' rows and tallies, and the plans of those given a hardship.
            rollup.touch_visit_rows(county_id, moved, None)
            rollup.touch(county_id, households=helped, since=since)

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
                        r.initials[:30],
                        r.ref,
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
            if phone is not None:
                # Sealed for a new row while validating: bound now to the registered row.
                phone = Sealed(
                    reseal(phone.enc, label=PHONE_LABEL, ref=r.ref, to_ref=existing["seal_ref"]),
                    phone.hash,
                    phone.masked,
                )
            updated.append(
                Resident(
                    pk=existing["id"],
                    name=r.name,
                    name_initials=r.initials[:30],
                    phone_enc=phone.enc if phone else existing["phone_enc"],
                    phone_hash=phone.hash if phone else existing["phone_hash"],
                    phone_masked=phone.masked if phone else existing["phone_masked"],
                    relation=r.relation,
                    updated_at=now,
                )
            )
        self.insert_residents.insert(created)
        recount_members({row[1] for row in created})
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

"""No ID number or phone can be rebuilt from the database without the field key (issue 6, 1).

The attacker holds a dump, a backup or the SQLite file and knows the program, but not the key:
AES-GCM ciphertext says nothing, and the lookup hashes are keyed (checked below against plain
hashes of every candidate). What they can use is every other column, so the attacks run on
those, in raw SQL: the concatenation that once rebuilt 13,529 of 13,529 demo numbers, and a
brute force of the hidden digits against the check digit and every plaintext column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from lianxin.core.models import today
from lianxin.lib.idcard import check_char, compose
from lianxin.org.services import do_create_cadre
from lianxin.people.choices import Relation
from lianxin.people.models import Resident
from lianxin.people.services import do_create_resident, do_update_resident
from lianxin.transfer.choices import DataKind, ImportMode
from lianxin.transfer.services import do_start_import
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident

# Birth dates chosen to be found nowhere else in the test data: a leap day, the first and the
# last day of a year, old and young. Phones with a distinctive hidden middle.
BY_SERVICE = [
    ("王秀英", dt.date(1936, 1, 1), 417, "13957392048"),
    ("李建华", dt.date(1988, 2, 29), 262, "15086417325"),
    ("张桂兰", dt.date(1959, 12, 31), 835, ""),
    ("刘小雨", dt.date(2011, 7, 4), 508, "18873195064"),
]
BY_IMPORT = [
    ("陈德明", dt.date(1947, 3, 9), 691, "17748261539"),
    ("杨晓燕", dt.date(1992, 11, 30), 144, "13691573082"),
    ("赵子涵", dt.date(2004, 5, 18), 977, ""),
    ("周国强", dt.date(1966, 8, 23), 329, "19962835417"),
]
CADRE_PHONE = "13539724816"
# For every year and every check class at least 32 of the year's dates fit (the MMDD digits
# spread over the 11 classes of the check digit almost evenly: 32 to 35 of 365 or 366).
MIN_CANDIDATES = 32

_MASKED_ID = re.compile(r"\d{6}\*{8}\d{3}[\dX]")
_SEALED_SUFFIXES = ("_enc", "_hash")


def _number(birth: dt.date, order: int) -> str:
    return compose("510184", birth, order)


def _people(world) -> dict[str, str]:
    """Residents through the page services and through an import job (with a bad row that
    echoes an ID number, and a file name holding one); the truth, masked -> full number."""
    truth: dict[str, str] = {}
    for name, birth, order, phone in BY_SERVICE:
        number = _number(birth, order)
        r = do_create_resident(
            household=world.household2,
            name=name,
            id_number=number,
            relation=Relation.CHILD,
            phone=phone,
            acting_user=world.city_admin,
        )
        truth[r.id_number_masked] = number
    # A changed phone: the audit row keeps both, masked.
    first = Resident.objects.get(name=BY_SERVICE[0][0])
    do_update_resident(first, phone="13957392049", acting_user=world.city_admin)
    do_update_resident(first, phone=BY_SERVICE[0][3], acting_user=world.city_admin)

    rows = []
    for i, (name, birth, order, phone) in enumerate(BY_IMPORT):
        number = _number(birth, order)
        rows.append(resident(f"5101841900000{i:04d}", name, number, "户主", phone=phone))
        truth[number[:6] + "*" * 8 + number[-4:]] = number
    # Pasted-over cells: the reasons echo them into the job row and the report.
    rows.append(resident("51018419000000009", "错位行", "", _number(*BY_IMPORT[0][1:3])))
    rows.append(resident("51018419000000010", "错位行", "", BY_IMPORT[0][3]))
    # A file named after a person: the name is kept on the job and in the audit row.
    upload = SimpleUploadedFile(
        f"居民{_number(*BY_IMPORT[1][1:3])}-{BY_IMPORT[1][3]}.csv",
        csv_bytes(RESIDENT_HEADER, rows),
    )
    job = do_start_import(
        acting_user=world.village_staff,
        upload=upload,
        data_kind=DataKind.RESIDENTS,
        mode=ImportMode.GOOD,
    )
    assert job.counts["residents_created"] == len(BY_IMPORT), (job.message, job.errors)
    assert job.error_total >= 1 and job.report
    do_create_cadre(
        unit=world.unit, staff_no="C0777", name="何丽", phone=CADRE_PHONE, acting_user=None
    )
    truth.update(_newborn(world))
    return truth


def _newborn(world) -> dict[str, str]:
    """A baby born on 7 January and registered two days later: with its true birth year and
    the registration day in clear, its birth date would be one of nine days — one or two ID
    numbers. (Registered today, then dated back, as an office entering it on 9 January would.)"""
    now = today()
    born = dt.date(now.year, 1, 7) if now >= dt.date(now.year, 1, 9) else now
    number = _number(born, 613)
    baby = do_create_resident(
        household=world.household2,
        name="何小满",
        id_number=number,
        relation=Relation.GRANDCHILD,
        acting_user=world.city_admin,
    )
    registered = min(
        timezone.now(),
        timezone.make_aware(dt.datetime.combine(born + dt.timedelta(days=2), dt.time(10))),
    )
    Resident.objects.filter(pk=baby.pk).update(created_at=registered, updated_at=registered)
    return {baby.id_number_masked: number}


@pytest.fixture
def media(settings, tmp_path):
    settings.LIANXIN_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _tables() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the attacker's dump has it."""
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            dump[table] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return dump


def _digit_strings(value: Any) -> set[str]:
    """The digits a value could give: its runs and, across separators, all of them in a row
    ('1988-02-29' gives 19880229)."""
    text = "" if value is None else str(value)
    runs = set(re.findall(r"\d+", text))
    runs.add(re.sub(r"\D", "", text))
    return runs


def _windows(strings: set[str], width: int) -> set[str]:
    return {s[i : i + width] for s in strings for i in range(len(s) - width + 1)}


def _plain_hashes(value: str) -> set[str]:
    data = value.encode()
    return {hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest()} | {
        hashlib.md5(data).hexdigest()
    }


def _is_number(candidate: str) -> bool:
    return check_char(candidate[:17]) == candidate[17]


def test_it_recovers_no_id_number_by_concatenating_plain_columns(world, media):
    truth = _people(world)
    recovered = set()
    rows_with_masked = 0
    for table, rows in _tables().items():
        for row in rows:
            values = list(row.values())
            text = " ".join(map(str, values))
            assert not any(number in text for number in truth.values()), (table, row)
            for masked in {m for v in values for m in _MASKED_ID.findall(str(v))}:
                rows_with_masked += 1
                # Every eight digits the row holds, put where the mask hides them.
                hidden = _windows(set().union(*map(_digit_strings, values)), 8)
                for digits in hidden:
                    candidate = masked[:6] + digits + masked[-4:]
                    if _is_number(candidate) and truth.get(masked) == candidate:
                        recovered.add((table, candidate))
    assert rows_with_masked >= len(truth)  # the residents, and the audit rows that mask them
    assert recovered == set()


def _registered_on(value: Any) -> dt.date:
    """The registration day, as the attacker reads it from created_at (an upper bound)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return timezone.localtime(value).date()


def _candidates(row: dict[str, Any]) -> list[str]:
    """Every 18-character number that fits all plain columns of one people_resident row:
    the masked form, the birth year (every year if the row has none), the sex, a birth not
    after the registration day, the check digit; and, if any plain column holds the hidden
    digits of a candidate, only those."""
    masked = row["id_number_masked"]
    latest = min(today(), _registered_on(row["created_at"]))
    year = row.get("birth_year")
    years = [int(year)] if year is not None else range(1900, latest.year + 1)
    if year is not None and int(year) == latest.year - 1:
        # The program is public: a year filed as the one before registration may also be the
        # registration year itself (clear_birth_year), so the attacker tries both.
        years = [int(year), latest.year]
    found = []
    for y in years:
        day = dt.date(y, 1, 1)
        while day.year == y and day <= latest:
            first17 = f"{masked[:6]}{day:%Y%m%d}{masked[14:17]}"
            if check_char(first17) == masked[17]:
                found.append(first17 + masked[17])
            day += dt.timedelta(days=1)
    sex_digit_odd = int(masked[16]) % 2 == 1
    assert (row["sex"] == "M") == sex_digit_odd  # the sex is inside the visible last four
    # The registration times are the upper bound above, not a place the hidden digits leak to
    # (a newborn's registration day may spell a date of its own birth year).
    plain = [
        v
        for k, v in row.items()
        if not k.endswith(_SEALED_SUFFIXES) and k not in ("created_at", "updated_at")
    ]
    shown = _windows(set().union(*map(_digit_strings, plain)), 8)
    pinned = [c for c in found if c[6:14] in shown]
    return pinned or found


def test_it_leaves_every_id_number_undetermined_by_brute_force(world, media):
    truth = _people(world)
    rows = [r for r in _tables()["people_resident"] if r["id_number_masked"] in truth]
    assert len(rows) == len(truth)
    for row in rows:
        candidates = _candidates(row)
        assert truth[row["id_number_masked"]] in candidates  # the attack model is sound
        assert len(candidates) >= MIN_CANDIDATES, (row["name"], candidates)
        # The lookup hash is keyed: no plain hash of any candidate matches it.
        assert not {row["id_number_hash"]} & set().union(*map(_plain_hashes, candidates))


def _phone_rows(dump) -> list[tuple[str, dict[str, Any]]]:
    return [
        (table, row)
        for table in ("people_resident", "org_cadre")
        for row in dump[table]
        if row["phone_masked"]
    ]


def test_it_leaves_the_four_hidden_phone_digits_unknown(world, media):
    _people(world)
    phones = {p for *_, p in BY_SERVICE + BY_IMPORT if p} | {CADRE_PHONE}
    dump = _tables()
    everything = [v for rows in dump.values() for row in rows for v in row.values()]
    texts = set().union(*map(_digit_strings, everything))
    for phone in phones:
        # Not whole, and no seven digits of it beyond the masked form's, anywhere.
        assert not any(phone in s for s in texts), phone
        assert phone[:7] not in _windows(texts, 7) and phone[3:] not in _windows(texts, 8)
    checked = 0
    for table, row in _phone_rows(dump):
        masked = row["phone_masked"]
        if masked[:3] + masked[-4:] not in {p[:3] + p[-4:] for p in phones}:
            continue
        checked += 1
        candidates = [f"{masked[:3]}{i:04d}{masked[-4:]}" for i in range(10_000)]
        assert not {row["phone_hash"]} & set().union(*map(_plain_hashes, candidates)), table
    assert checked == len(phones)


def _encodings(value: str) -> list[bytes]:
    full_width = value.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    return [
        e
        for text in (value, full_width)
        for e in (text.encode(), text.encode("utf-16-le"), text.encode("utf-16-be"))
    ]


def _secrets(truth: dict[str, str]) -> dict[str, list[bytes]]:
    """What must not be on disk: each full number, its hidden eight digits as digits and as the
    dates they spell, and each full phone, in the encodings a database or a file might use."""
    found = {}
    for number in truth.values():
        y, m, d = number[6:10], number[10:12], number[12:14]
        forms = [number, number[6:14], f"{y}-{m}-{d}", f"{y}/{m}/{d}", f"{y}年{int(m)}月{int(d)}日"]
        found[number] = [e for f in forms for e in _encodings(f)]
    for *_, phone in BY_SERVICE + BY_IMPORT:
        if phone:
            forms = [phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}"]
            found[phone] = [e for f in forms for e in _encodings(f)]
    return found


@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_hidden_digits_in_the_database_file_or_the_stored_files(media):
    from tests.factories import build_world

    truth = _people(build_world())
    files = [p for p in Path(media).rglob("*") if p.is_file()]
    assert any("reports" in p.parts for p in files)  # the error report is kept
    blobs = {str(p): p.read_bytes() for p in files}
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        # The WAL as the commits left it, then the file once the WAL is folded back.
        blobs["wal"] = Path(f"{path}-wal").read_bytes()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        blobs["db"] = Path(path).read_bytes()
    for secret, encodings in _secrets(truth).items():
        for where, data in blobs.items():
            assert not any(e in data for e in encodings), (secret, where)

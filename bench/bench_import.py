"""Benchmark the residents import at the county's size (670,000 people) against plain sqlite3,
with people logging in while it runs.

    .venv/bin/python bench/bench_import.py [--rows N] [--mode all|good] [--logins N] [--tracemalloc]

Builds a fresh SQLite database under bench/out/var (the 2014 division file: 25 townships and
253 villages, three groups per village), writes a valid residents file of N rows in the import
layout, then runs two measurements, each in its own process so that peak memory is its own:

  lianxin    `lianxin.transfer.importers.import_people` reading the file with `iter_rows`
  reference  the same file read with the csv module, the same per-row sealing work (ID number
             parsed and checked, encrypted, hashed and masked; phone normalised, encrypted, hashed
             and masked; pinyin initials), inserted with sqlite3 `executemany` into tables with
             the same columns and indexes, one transaction, same PRAGMAs. It does NOT do what the
             importer adds on top: the ORM, the per-batch look-ups of existing households and
             residents, the checks across the file (duplicate ID numbers, household columns,
             heads), region scope checks, error bookkeeping and the audit row.

  log-ins    meanwhile, in a process of its own (as another web worker would be), `--logins`
             threads log in again and again through the real log-in view (Django's test client,
             the whole middleware stack, the production password hasher) against the same
             database: their count, p50/p95/max and errors during the import, beside the same
             figures for the seconds before it started (the reference).

Each figure is printed beside its reference with the ratio. Nothing here asserts a time.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VAR = OUT / "var"
sys.path.insert(0, str(ROOT))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉兵文辉力成志宏春燕飞鹏俊波斌宇浩凯健"
    "琴云莲慧珍萍倩婷雪琳晶丹鑫亮林勤德福海荣清顺贵才兴家安利永中全忠友光天良富荣"
)
RELATIONS = ("配偶", "子女", "子女", "父母", "孙子女", "子女", "儿媳/女婿", "兄弟姐妹")
HARDSHIPS = ("低保", "特困", "残疾", "重病", "留守老人", "留守儿童", "独居")
HEADER = [
    "户号",
    "乡镇（街道）",
    "村（社区）",
    "组",
    "住址",
    "困难类型",
    "姓名",
    "身份证号",
    "与户主关系",
    "联系电话",
]
GROUPS_PER_VILLAGE = 3
IMPORTER = "bench-importer"
LOGIN_USERS = ("bench-login-1", "bench-login-2", "bench-login-3", "bench-login-4")
LOGIN_PASSWORD = "Bench-import-9f3k!"
# Seconds of log-ins before the import starts: the reference figures.
LOGIN_REFERENCE_SECONDS = 8.0
# Pause between two log-ins of one thread (an office's log-ins, not a load test).
LOGIN_PACE_SECONDS = 0.2
# Same page cache as lianxin.transfer.importers.SQLITE_IMPORT_CACHE_KIB (a Django-free copy:
# the reference process does not load Django).
SQLITE_IMPORT_CACHE_KIB = 65536
# Issue 9, point 5: the county's residents end to end, on the machine the bench runs on.
TARGET_ROWS_PER_SECOND = 20_000


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def env_for_children() -> dict[str, str]:
    env = dict(os.environ)
    env["LIANXIN_VAR_DIR"] = str(VAR)
    env.pop("DATABASE_URL", None)
    env.pop("LIANXIN_SQLITE_PATH", None)
    env["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    # The log-in threads sign in again and again on four names, far past the per-name and
    # per-address log-in limits (HTTP 429 after 10 a minute): what they measure is the wait
    # for SQLite's write lock, so the limits are off for this database only.
    env["LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE"] = "0"
    env["LIANXIN_LOGIN_IP_RATE_PER_MINUTE"] = "0"
    return env


def setup_django() -> None:
    os.environ.update(
        {k: v for k, v in env_for_children().items() if k.startswith(("LIANXIN", "DJANGO"))}
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LIANXIN_SQLITE_PATH", None)
    import django

    django.setup()


# -- preparing the database and the file --------------------------------------------------


def prepare_database() -> list[tuple[str, str, str]]:
    """A fresh database with the 2014 map and a few groups per village; returns the places
    (township, village, group) a household can be put at."""
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    setup_django()
    from django.core.management import call_command

    from lianxin.geo.choices import Level
    from lianxin.geo.importers import import_regions
    from lianxin.geo.models import Region
    from lianxin.geo.services import do_create_region

    call_command("migrate", verbosity=0)
    report = import_regions(
        ROOT / "lianxin" / "data" / "chongzhou-divisions-2014.csv",
        county_code="510184",
        county_name="崇州市",
        valid_from=dt.date(2014, 1, 1),
    )
    assert not report.errors, report.errors
    from lianxin.accounts.choices import Role
    from lianxin.accounts.services import do_create_user
    from lianxin.geo.models import County

    county = County.objects.get(code="510184")
    # The importing office (a county-wide administrator, so the import runs as a page upload
    # does: with the account's answer budget) and the accounts that log in meanwhile.
    for username in (IMPORTER, *LOGIN_USERS):
        do_create_user(
            county=county,
            username=username,
            password=LOGIN_PASSWORD,
            role=Role.CITY_ADMIN,
            full_name=username,
            acting_user=None,
        )
    places = []
    villages = Region.objects.filter(level=Level.VILLAGE).select_related("parent").order_by("id")
    for village in villages:
        places.append((village.parent.short_name, village.short_name, ""))
        for g in range(1, GROUPS_PER_VILLAGE + 1):
            do_create_region(
                county=village.county,
                level=Level.GROUP,
                name=f"{g}组",
                parent=village,
                valid_from=dt.date(2014, 1, 1),
                audit=False,
            )
            places.append((village.parent.short_name, village.short_name, f"{g}组"))
    return places


def write_residents(path: Path, n: int, places: list[tuple[str, str, str]]) -> int:
    """N valid residents in households of 1–6, streamed to a UTF-8 csv; returns households."""
    from lianxin.lib.idcard import compose

    rng = random.Random(20140101)
    start = dt.date(1935, 1, 1)
    written = households = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        while written < n:
            households += 1
            # The county's default 户号 rule: 510184 + 11 digits (docs/import-layout.md).
            number = f"510184{households:011d}"
            township, village, group = rng.choice(places)
            address = f"{village}{group}{rng.randint(1, 300)}号"
            hardship = (
                "、".join(rng.sample(HARDSHIPS, rng.randint(1, 2))) if rng.random() < 0.02 else ""
            )
            size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6)), n - written)
            surname = rng.choice(SURNAMES)
            for member in range(size):
                # A unique (birth date, sequence) pair per person keeps every ID number distinct.
                day, seq = written % 29000, written // 29000
                id_number = compose("510184", start + dt.timedelta(days=day), seq)
                name = (surname if member != 1 else rng.choice(SURNAMES)) + "".join(
                    rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
                )
                phone = (
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                    if rng.random() < 0.7
                    else ""
                )
                relation = "户主" if member == 0 else rng.choice(RELATIONS)
                out.writerow(
                    [
                        number,
                        township,
                        village,
                        group,
                        address,
                        hardship,
                        name,
                        id_number,
                        relation,
                        phone,
                    ]
                )
                written += 1
    return households


# -- the two measurements (each in a child process) ---------------------------------------


def count_rows(path: Path) -> int:
    """Data rows of the benchmark file (its header excluded)."""
    from lianxin.core.tabular import count_data_rows

    with path.open("rb") as stream:
        return count_data_rows(stream, path.name) or 0


def phase_import(path: Path, mode: str, trace: bool, profile: str = "") -> dict:
    setup_django()
    import tracemalloc

    from lianxin.core.tabular import iter_rows
    from lianxin.geo.models import County
    from lianxin.transfer.importers import WRITE_BATCH_SIZE, import_people
    from lianxin.transfer.models import ImportLimits
    from lianxin.transfer.services import do_set_import_limits

    county = County.objects.get(code="510184")
    # The whole county in one file is past the default limits (200,000 rows a file, sized for
    # imports by township): raise the rows and the sizes for this run, as an operator would
    # with `lianxin import-limits`, and read under them as the page does.
    size = path.stat().st_size
    defaults = ImportLimits.for_county(county.pk)
    limits = do_set_import_limits(
        county=county,
        acting_user=None,
        reason="导入基准测试：全县一个文件",
        rows=max(defaults.rows, count_rows(path)),
        upload_bytes=max(defaults.upload_bytes, size),
        unpacked_bytes=max(defaults.unpacked_bytes, 40 * size),
    )
    baseline = rss_mb()
    if trace:
        tracemalloc.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    from lianxin.accounts.models import User

    importer = User.objects.get(username=IMPORTER)
    # Whether the rows were sealed in a worker process (lianxin/transfer/sealing_pool.py): the
    # import's children, looked at after every batch.
    children: set[int] = set()

    def progress(done: int, total: int | None) -> None:
        children.update(p.pid for p in multiprocessing.active_children())

    wall_start = time.time()
    with path.open("rb") as stream:
        result = import_people(
            iter_rows(stream, path.name, limits.read_limits()),
            county=county,
            kind="residents",
            mode=mode,
            acting_user=importer,
            file_name=path.name,
            errors_kept=limits.errors_kept,
            progress=progress,
            # As the job runner of a page upload does.
            write_batch_size=WRITE_BATCH_SIZE,
        )
    seconds = time.perf_counter() - started
    wall_end = time.time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    assert not result.errors, result.errors[:5]
    return {
        "rows": result.rows_read,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_mb": rss_mb(),
        "traced_mb": traced,
        "counts": result.counts(),
        "longest_batch_seconds": result.longest_batch_seconds,
        "started_at": wall_start,
        "ended_at": wall_end,
        "sealing_workers": len(children),
        # The largest ended child's peak: the sealing worker's, ended with the checking pass.
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def phase_logins(stop_file: Path, threads: int) -> dict:
    """Log in again and again until `stop_file` exists: (wall time, seconds, error) per log-in.
    A process of its own, with its own database connections, as another web worker."""
    setup_django()
    import threading

    from django.db import connection
    from django.test import Client

    records: list[tuple[float, float, str]] = []
    lock = threading.Lock()

    def loop(username: str) -> None:
        try:
            while not stop_file.exists():
                at = time.time()
                started = time.perf_counter()
                error = ""
                try:
                    client = Client(REMOTE_ADDR="127.0.0.1")
                    response = client.post(
                        "/accounts/login/", {"username": username, "password": LOGIN_PASSWORD}
                    )
                    if response.status_code != 302 or not client.session.get("_auth_user_id"):
                        error = f"HTTP {response.status_code}"
                except Exception as exc:
                    error = f"{exc.__class__.__name__}: {exc}"
                with lock:
                    records.append((at, time.perf_counter() - started, error))
                time.sleep(LOGIN_PACE_SECONDS)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=loop, args=(LOGIN_USERS[i % len(LOGIN_USERS)],))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"records": records}


def login_figures(records: list, start: float, end: float) -> dict:
    """Count, p50, p95, max (ms) and errors of the log-ins that began between start and end."""
    times = sorted(seconds for at, seconds, _ in records if start <= at < end)
    errors = [error for at, _, error in records if start <= at < end and error]

    def pick(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] * 1000 if times else 0.0

    return {
        "count": len(times),
        "p50": pick(0.50),
        "p95": pick(0.95),
        "max": times[-1] * 1000 if times else 0.0,
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:3],
    }


REFERENCE_SCHEMA = """
CREATE TABLE household (
  id INTEGER PRIMARY KEY AUTOINCREMENT, county_id INTEGER NOT NULL, number VARCHAR(30) NOT NULL,
  township_id INTEGER NOT NULL, village_id INTEGER NOT NULL, region_id INTEGER NOT NULL,
  address VARCHAR(120) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE UNIQUE INDEX household_number ON household (county_id, number);
CREATE INDEX household_place ON household (county_id, township_id, village_id);
CREATE INDEX household_region ON household (village_id, region_id);
CREATE INDEX household_township ON household (township_id);
CREATE INDEX household_region_id ON household (region_id);
CREATE TABLE resident (
  id INTEGER PRIMARY KEY AUTOINCREMENT, county_id INTEGER NOT NULL, household_id INTEGER NOT NULL,
  name VARCHAR(30) NOT NULL, name_initials VARCHAR(30) NOT NULL, id_number_enc TEXT NOT NULL,
  id_number_hash VARCHAR(64) NOT NULL, id_number_masked VARCHAR(18) NOT NULL, sex VARCHAR(1) NOT NULL,
  birth_year SMALLINT NOT NULL, phone_enc TEXT NOT NULL, phone_hash VARCHAR(64) NOT NULL,
  phone_masked VARCHAR(11) NOT NULL, relation VARCHAR(14) NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE UNIQUE INDEX resident_id_number ON resident (county_id, id_number_hash);
CREATE UNIQUE INDEX resident_one_head ON resident (household_id) WHERE relation = 'head';
CREATE INDEX resident_initials ON resident (name_initials);
CREATE INDEX resident_phone ON resident (phone_hash);
CREATE INDEX resident_name ON resident (county_id, name);
CREATE INDEX resident_birth_year ON resident (county_id, birth_year);
CREATE INDEX resident_household ON resident (household_id);
CREATE INDEX resident_county ON resident (county_id);
CREATE TABLE hardship (
  id INTEGER PRIMARY KEY AUTOINCREMENT, county_id INTEGER NOT NULL, household_id INTEGER NOT NULL,
  kind VARCHAR(12) NOT NULL, note VARCHAR(200) NOT NULL, valid_from DATE NOT NULL, valid_to DATE);
"""


def phase_reference(path: Path) -> dict:
    """Plain sqlite3 with the same sealing work per row (see the module docstring)."""
    from lianxin.lib import idcard
    from lianxin.lib.crypto import Keyring, LookupHasher
    from lianxin.lib.masking import mask_id_number, mask_phone
    from lianxin.lib.phone import normalize_mobile
    from lianxin.lib.pinyin import initials

    ring = Keyring((VAR / "field.key").read_text().strip())
    hasher = LookupHasher((VAR / "lookup.key").read_text().strip())
    ref = "bench"
    relations = {
        "户主": "head",
        "配偶": "spouse",
        "子女": "child",
        "父母": "parent",
        "孙子女": "grandchild",
        "儿媳/女婿": "child_in_law",
        "兄弟姐妹": "sibling",
    }
    kinds = {
        "低保": "dibao",
        "特困": "tekun",
        "残疾": "disability",
        "重病": "illness",
        "留守老人": "lb_elderly",
        "留守儿童": "lb_child",
        "独居": "alone",
    }
    db_path = OUT / "reference.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(db_path, isolation_level=None)
    # The PRAGMAs Lianxin's connection has during an import (settings.py and importers.py).
    db.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB};"
    )
    db.executescript(REFERENCE_SCHEMA)
    baseline = rss_mb()
    started = time.perf_counter()
    insert_seconds = 0.0
    places: dict[tuple[str, str, str], tuple[int, int, int]] = {}
    household_ids: dict[str, int] = {}
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    today = dt.date.today().isoformat()
    this_year = dt.date.today().year
    rows = 0
    db.execute("BEGIN IMMEDIATE")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        while True:
            batch = [r for _, r in zip(range(2000), reader, strict=False)]
            if not batch:
                break
            households, residents, hardships = [], [], []
            for (
                number,
                township,
                village,
                group,
                address,
                hardship,
                name,
                id_text,
                relation,
                phone_text,
            ) in batch:
                place = places.setdefault(
                    (township, village, group),
                    (len(places) * 3 + 1, len(places) * 3 + 2, len(places) * 3 + 3),
                )
                household_id = household_ids.get(number)
                if household_id is None:
                    household_id = household_ids[number] = len(household_ids) + 1
                    households.append((household_id, 1, number, *place, address, now, now))
                    for part in filter(None, hardship.split("、")):
                        hardships.append((1, household_id, kinds[part], "", today, None))
                card = idcard.parse(id_text)
                phone = normalize_mobile(phone_text) if phone_text else ""
                residents.append(
                    (
                        1,
                        household_id,
                        name,
                        initials(name)[:30],
                        ring.encrypt(card.number, label="people.resident.id_number", ref=ref),
                        hasher.hash(card.number),
                        mask_id_number(card.number),
                        card.sex,
                        min(card.birth_date.year, this_year - 1),  # clear_birth_year
                        ring.encrypt(phone, label="people.resident.phone", ref=ref)
                        if phone
                        else "",
                        hasher.hash(phone) if phone else "",
                        mask_phone(phone) if phone else "",
                        relations[relation],
                        now,
                        now,
                    )
                )
            t = time.perf_counter()
            db.executemany("INSERT INTO household VALUES (?,?,?,?,?,?,?,?,?)", households)
            db.executemany(
                "INSERT INTO resident (county_id, household_id, name, name_initials, id_number_enc,"
                " id_number_hash, id_number_masked, sex, birth_year, phone_enc, phone_hash, phone_masked,"
                " relation, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                residents,
            )
            db.executemany(
                "INSERT INTO hardship (county_id, household_id, kind, note, valid_from, valid_to)"
                " VALUES (?,?,?,?,?,?)",
                hardships,
            )
            insert_seconds += time.perf_counter() - t
            rows += len(batch)
    db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return {
        "rows": rows,
        "seconds": seconds,
        "insert_seconds": insert_seconds,
        "baseline_mb": baseline,
        "peak_mb": rss_mb(),
        "traced_mb": None,
    }


def child(phase: str, path: Path, mode: str, trace: bool, profile: str = "") -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, "--file", str(path), "--mode", mode]
    if trace:
        cmd.append("--tracemalloc")
    if profile:
        cmd += ["--profile", profile]
    done = subprocess.run(cmd, env=env_for_children(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{phase} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_logins(stop_file: Path, threads: int) -> subprocess.Popen:
    stop_file.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--phase", "logins", "--file", str(stop_file)]
    cmd += ["--logins", str(threads)]
    return subprocess.Popen(
        cmd, env=env_for_children(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish_logins(process: subprocess.Popen, stop_file: Path) -> dict:
    stop_file.touch()
    out, err = process.communicate(timeout=600)
    stop_file.unlink(missing_ok=True)
    if process.returncode != 0:
        sys.stderr.write(out + err)
        raise SystemExit("logins failed")
    return json.loads(out.strip().splitlines()[-1])


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "—"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=670_000, help="residents to import (default 670,000)"
    )
    parser.add_argument(
        "--mode", choices=("all", "good"), default="all", help="import mode (default all)"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    parser.add_argument("--profile", default="", help="write a cProfile of the import to this file")
    parser.add_argument(
        "--logins", type=int, default=2, help="threads logging in during the import (default 2)"
    )
    parser.add_argument(
        "--phase", choices=("import", "reference", "logins"), help=argparse.SUPPRESS
    )
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # make bench passes BENCH_ARGS to every benchmark

    if args.phase:
        path = Path(args.file)
        if args.phase == "import":
            figures = phase_import(path, args.mode, args.tracemalloc, args.profile)
        elif args.phase == "logins":
            figures = phase_logins(path, args.logins)
        else:
            figures = phase_reference(path)
        print(json.dumps(figures))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    places = prepare_database()
    path = OUT / f"residents-{args.rows}.csv"
    households = write_residents(path, args.rows, places)
    print(
        f"准备：{len(places)} 个落户位置，{households:,} 户 {args.rows:,} 人，"
        f"文件 {path.relative_to(ROOT)}（{path.stat().st_size / 2**20:.1f} MB），用时 {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    stop_file = OUT / "logins.stop"
    logins = start_logins(stop_file, args.logins) if args.logins else None
    if logins is not None:
        time.sleep(LOGIN_REFERENCE_SECONDS)
    lianxin = child("import", path, args.mode, args.tracemalloc, args.profile)
    login_records = finish_logins(logins, stop_file)["records"] if logins is not None else []
    reference = child("reference", path, args.mode, False)
    assert lianxin["counts"]["residents_created"] == args.rows, lianxin["counts"]
    assert lianxin["counts"]["households_created"] == households, lianxin["counts"]

    def per_s(f: dict) -> float:
        return f["rows"] / f["seconds"]

    lines = [
        ("行数", f"{lianxin['rows']:,}", f"{reference['rows']:,}", ""),
        (
            "用时 (s)",
            f"{lianxin['seconds']:.1f}",
            f"{reference['seconds']:.1f}",
            ratio(lianxin["seconds"], reference["seconds"]),
        ),
        (
            "行/秒",
            f"{per_s(lianxin):,.0f}",
            f"{per_s(reference):,.0f}",
            ratio(per_s(lianxin), per_s(reference)),
        ),
        (
            "峰值内存 RSS (MB)",
            f"{lianxin['peak_mb']:.0f}",
            f"{reference['peak_mb']:.0f}",
            ratio(lianxin["peak_mb"], reference["peak_mb"]),
        ),
        (
            "导入期间内存增长 (MB)",
            f"{lianxin['peak_mb'] - lianxin['baseline_mb']:.0f}",
            f"{reference['peak_mb'] - reference['baseline_mb']:.0f}",
            ratio(
                lianxin["peak_mb"] - lianxin["baseline_mb"],
                reference["peak_mb"] - reference["baseline_mb"],
            ),
        ),
    ]
    print(f"\n导入 {args.rows:,} 名居民（SQLite，方式 {args.mode}）")
    print(f"{'指标':<22}{'lianxin':>14}{'参照 sqlite3':>16}{'比值':>10}")
    for name, a, b, r in lines:
        print(f"{name:<22}{a:>14}{b:>16}{r:>10}")
    print(
        f"\n参照中纯插入（executemany）用时 {reference['insert_seconds']:.1f} s，"
        f"即 {reference['rows'] / reference['insert_seconds']:,.0f} 行/秒；其余为读文件与加密、散列、脱敏、拼音。"
    )
    print(
        f"目标（issue 9 第5点）：≥ {TARGET_ROWS_PER_SECOND:,} 行/秒；本次 {per_s(lianxin):,.0f} 行/秒，"
        f"为目标的 {per_s(lianxin) / TARGET_ROWS_PER_SECOND:.0%}；"
        + (
            f"加密、散列、脱敏与拼音在 {lianxin['sealing_workers']} 个工作进程中进行"
            f"（其峰值内存 {lianxin['worker_peak_mb']:.0f} MB）"
            if lianxin["sealing_workers"]
            else "加密、散列、脱敏与拼音在导入进程中进行（单核或文件较短）"
        )
    )
    print(
        f"写入批次事务最长 {lianxin['longest_batch_seconds']:.2f} s"
        "（SQLite 的写锁一次最多持有这么久）"
    )
    if login_records:
        first = min(at for at, _, _ in login_records)
        before = login_figures(login_records, first, lianxin["started_at"])
        during = login_figures(login_records, lianxin["started_at"], lianxin["ended_at"])
        print(
            f"\n导入期间的并发登录（另一进程 {args.logins} 个线程，真实登录视图；"
            f"参照：导入开始前 {lianxin['started_at'] - first:.0f} 秒）"
        )
        print(f"{'指标':<22}{'导入期间':>14}{'导入前':>16}{'比值':>10}")
        for name, key, fmt in (
            ("登录次数", "count", "{:,.0f}"),
            ("p50 (ms)", "p50", "{:,.0f}"),
            ("p95 (ms)", "p95", "{:,.0f}"),
            ("最长 (ms)", "max", "{:,.0f}"),
            ("错误数", "errors", "{:,.0f}"),
        ):
            r = ratio(during[key], before[key]) if key in ("p50", "p95", "max") else ""
            a, b = fmt.format(during[key]), fmt.format(before[key])
            print(f"{name:<22}{a:>14}{b:>16}{r:>10}")
        for error in during["first_errors"]:
            print(f"  错误：{error}")
        print(f"同时：导入 {per_s(lianxin):,.0f} 行/秒")
    if lianxin["traced_mb"] is not None:
        print(f"tracemalloc：导入期间 Python 分配峰值 {lianxin['traced_mb']:.0f} MB")
    print("计数：" + "，".join(f"{k} {v:,}" for k, v in lianxin["counts"].items()))


if __name__ == "__main__":
    main()

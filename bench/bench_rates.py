"""Benchmark: the county's 见面率 and 对话率 by township, for last month and for the demo's
half-year, computed by lianxin.visits.rates (the ORM's GROUP BYs on the SQLite file) and by
DuckDB on the same rows; both sets of numbers (which must be equal) and the time ratio.

    .venv/bin/python bench/bench_rates.py [--scale 1] [--rebuild] [--repeat 3]

The demo county is the one bench/bench_pages.py builds and reuses (bench/out/pages/
sqlite-scale<S>/, about 5 minutes at scale 1, plus its six months of visits — about 1.2
million visit rows at scale 1). A demo built before the visits existed is built again.

DuckDB (`duckdb` from PyPI, a dev dependency) would read the SQLite file through its sqlite
extension, but that extension is downloaded from DuckDB's own server at run time (INSTALL
sqlite), which a machine without that access cannot do. So the rows go over by hand: the four
tables the rates read (pairings, cadres' leaving days, households' townships, visit rows) are
exported with Python's sqlite3 to CSV files and loaded into an in-memory DuckDB database with
read_csv (the export and load times are printed apart). DuckDB then answers the same
definition as lianxin.visits.rates: households served by a pairing on at least one day of the
period, and of them those met in person / talked to (in person, phone, online) by a visit row
that served a pairing, not withdrawn, in the period.

The time of lianxin is `rates_for(None, period, "township")` as the rates page calls it, which
also computes the county's total row and the overdue count (the visit plan on the period's last
day); DuckDB's is its two queries (denominators, numerators). Best of --repeat runs each.
Benchmarks are not tests: nothing here asserts a time; the numbers are checked equal.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_pages import build, env_for, var_dir  # noqa: E402

PY = sys.executable

# Run in the demo's Django: the periods, then rates_for by township, timed, as JSON.
LIANXIN = r"""
import json, sys, time
from lianxin.demo.visits import window
from lianxin.geo.models import County
from lianxin.core.models import today
from lianxin.visits.periods import month_of, previous_month
from lianxin.visits.rates import rates_for
repeat = int(sys.argv[1])
county = County.objects.get(code="510184")
out = {}
for name, period in (("month", previous_month(month_of(today()))), ("half-year", window())):
    best = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = rates_for(None, period, "township", county_id=county.pk)
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    out[name] = {
        "start": str(period.start), "end": str(period.end), "label": period.label,
        "seconds": best, "county": county.pk,
        "rows": {str(r.id): [r.name, r.households, r.met, r.talked] for r in result.rows},
        "total": [result.total.households, result.total.met, result.total.talked],
    }
print(json.dumps(out, ensure_ascii=False))
"""

TABLES = {
    "pairing": "SELECT id, county_id, cadre_id, household_id, valid_from, valid_to"
    " FROM pairing_pairing",
    "cadre": "SELECT id, left_on FROM org_cadre",
    "household": "SELECT id, township_id FROM people_household",
    "visit_row": "SELECT county_id, household_id, pairing_id, occurred_on, mode, met, withdrawn"
    " FROM visits_visithousehold",
}
TYPES = {
    "pairing": "{'id': 'BIGINT', 'county_id': 'BIGINT', 'cadre_id': 'BIGINT',"
    " 'household_id': 'BIGINT', 'valid_from': 'DATE', 'valid_to': 'DATE'}",
    "cadre": "{'id': 'BIGINT', 'left_on': 'DATE'}",
    "household": "{'id': 'BIGINT', 'township_id': 'BIGINT'}",
    "visit_row": "{'county_id': 'BIGINT', 'household_id': 'BIGINT', 'pairing_id': 'BIGINT',"
    " 'occurred_on': 'DATE', 'mode': 'VARCHAR', 'met': 'INTEGER', 'withdrawn': 'INTEGER'}",
}

# The definitions of lianxin.visits.rates (PAIRED, MEETING, DIALOGUE), written again in SQL.
PAIRED = """
SELECT h.township_id, COUNT(DISTINCT p.household_id)
FROM pairing p JOIN cadre c ON c.id = p.cadre_id JOIN household h ON h.id = p.household_id
WHERE p.county_id = $county AND p.valid_from <= $end
  AND (p.valid_to IS NULL OR p.valid_to >= $start)
  AND (c.left_on IS NULL OR (c.left_on >= $start AND c.left_on >= p.valid_from))
GROUP BY h.township_id
"""
MET = """
SELECT h.township_id,
  COUNT(DISTINCT v.household_id) FILTER (WHERE v.met = 1
      AND v.mode IN ('in_person', 'meeting', 'met_elsewhere')),
  COUNT(DISTINCT v.household_id) FILTER (WHERE v.met = 1
      AND v.mode IN ('in_person', 'meeting', 'met_elsewhere', 'phone', 'online'))
FROM visit_row v JOIN household h ON h.id = v.household_id
WHERE v.county_id = $county AND v.pairing_id IS NOT NULL AND v.withdrawn = 0
  AND v.occurred_on BETWEEN $start AND $end
GROUP BY h.township_id
"""


def export(db_file: Path, folder: Path) -> dict[str, int]:
    """The four tables as CSV files (NULL as an empty field)."""
    conn = sqlite3.connect(db_file)
    counts = {}
    for name, sql in TABLES.items():
        with (folder / f"{name}.csv").open("w", newline="") as stream:
            out = csv.writer(stream)
            cursor = conn.execute(sql)
            out.writerow([c[0] for c in cursor.description])
            n = 0
            while rows := cursor.fetchmany(50_000):
                out.writerows(rows)
                n += len(rows)
            counts[name] = n
    conn.close()
    return counts


def load(duck, folder: Path) -> None:
    for name in TABLES:
        path = (folder / f"{name}.csv").as_posix()
        duck.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true,"
            f" columns = {TYPES[name]}, nullstr = '')"
        )


def duck_rates(duck, county: int, start: str, end: str) -> dict[str, list[int]]:
    params = {"county": county, "start": start, "end": end}
    paired = dict(duck.execute(PAIRED, params).fetchall())
    met = {t: (m, d) for t, m, d in duck.execute(MET, params).fetchall()}
    return {str(t): [n, *met.get(t, (0, 0))] for t, n in paired.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args()  # make bench passes every benchmark the same BENCH_ARGS
    try:
        import duckdb
    except ImportError:
        print("duckdb is not installed (pip install -e '.[dev]'); skipped")
        return 0
    build("sqlite", args.scale, args.rebuild)
    db_file = var_dir("sqlite", args.scale) / "lianxin.sqlite3"
    conn = sqlite3.connect(db_file)
    has_visits = conn.execute("SELECT COUNT(*) FROM visits_visithousehold").fetchone()[0]
    conn.close()
    if not has_visits:
        print("the reused demo has no visits (built before them): building it again")
        build("sqlite", args.scale, True)
    env = env_for("sqlite", args.scale)
    ours = json.loads(
        subprocess.run(
            [PY, "-c", "import django; django.setup()\n" + LIANXIN, str(args.repeat)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        counts = export(db_file, Path(folder))
        exported = time.perf_counter() - began
        duck = duckdb.connect()
        began = time.perf_counter()
        load(duck, Path(folder))
        loaded = time.perf_counter() - began
    print(
        f"\nscale {args.scale:g}: {counts['visit_row']:,} visit rows, {counts['pairing']:,} pairings"
    )
    print(f"DuckDB {duckdb.__version__}: export to CSV {exported:.1f} s, load {loaded:.1f} s")
    equal = True
    for name, mine in ours.items():
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            theirs = duck_rates(duck, mine["county"], mine["start"], mine["end"])
            took = time.perf_counter() - t0
            best = took if best is None else min(best, took)
        print(f"\n{name} {mine['label']}  ({mine['start']} – {mine['end']})")
        print(
            f"  {'township':<14} {'paired':>8} {'见面率 lianxin':>16} {'DuckDB':>16}"
            f" {'对话率 lianxin':>16} {'DuckDB':>16}"
        )
        for tid, (tname, n, met, talked) in sorted(mine["rows"].items(), key=lambda kv: kv[1][0]):
            d = theirs.get(tid, [0, 0, 0])
            same = [n, met, talked] == d
            equal &= same
            print(
                f"  {tname:<12} {n:>8,} {met:>7,} {met / n:>7.1%} {d[1]:>7,} {d[1] / max(d[0], 1):>7.1%}"
                f" {talked:>7,} {talked / n:>7.1%} {d[2]:>7,} {d[2] / max(d[0], 1):>7.1%}"
                f"{'' if same else '  DIFFERENT'}"
            )
        missing = set(theirs) - set(mine["rows"])
        equal &= not missing
        print(
            f"  lianxin rates_for {mine['seconds'] * 1000:,.0f} ms   DuckDB {best * 1000:,.0f} ms"
            f"   ratio {mine['seconds'] / best:.1f}×"
        )
    print(f"\nnumbers equal: {'yes' if equal else 'NO'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())

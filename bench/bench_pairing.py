"""Benchmark: automatic pairing of the scale-1 demo county, in both coverage modes.

    .venv/bin/python bench/bench_pairing.py [--scale 1] [--time-limit 2] [--workers 2] [--reuse]

Builds the demo county once (230,000-odd households, 6,100 cadres; about 4 minutes at scale 1)
into bench/out/pairing/, then for each mode — every household ("all", loads 30–45) and hardship
households only ("hardship", loads 0–5) — copies that database and measures

* `lianxin pair --county 510184` end to end in its own process: wall time and peak memory, and
  the run's coverage, load spread per unit and groups split, read back from the saved run;
* the bare solver on the same instance (lianxin.pairing.solver.solve on what engine.build_instance
  reads), as the reference: the ratio says what reading, saving and applying add around it.

Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "pairing"
PY = sys.executable
MODES = {
    "all": {"coverage": "all", "min_load": 30, "max_load": 45},
    "hardship": {"coverage": "hardship", "min_load": 0, "max_load": 5},
}


def env_for(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        LIANXIN_VAR_DIR=str(OUT),
        LIANXIN_SQLITE_PATH=str(db),
        DJANGO_SETTINGS_MODULE="lianxin.settings",
    )
    return env


def run(argv: list[str], db: Path, *, quiet: bool = False) -> tuple[float, float, str]:
    """Run a child process; (wall seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env_for(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{out}")
    return wall, usage.ru_maxrss / 1024, out


def build_base(scale: float, reuse: bool) -> Path:
    base = OUT / f"base-scale{scale:g}.sqlite3"
    if reuse and base.exists():
        print(f"reusing {base}")
        return base
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    print(f"building the demo county at scale {scale} into {base} …", flush=True)
    run([PY, "manage.py", "migrate", "-v", "0"], base)
    wall, _, _ = run(
        [PY, "manage.py", "demo", "--scale", str(scale), "--no-pairing"], base, quiet=True
    )
    print(f"  demo built in {wall:.0f} s")
    return base


SET_POLICY = """
import django, json, sys
django.setup()
from lianxin.geo.models import County
from lianxin.pairing.services import do_set_policy
mode = json.loads(sys.argv[1])
do_set_policy(county=County.objects.get(code="510184"), acting_user=None, coverage=mode["coverage"],
              min_load=mode["min_load"], max_load=mode["max_load"], keep_groups_together=True,
              exclude_city_leaders=True)
"""

BARE_SOLVER = """
import django, json, sys, time
django.setup()
from lianxin.pairing import engine, solver
inputs = engine.build_instance(1)
started = time.perf_counter()
solution = solver.solve(inputs.instance, time_limit=float(sys.argv[1]), workers=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "status": solution.status,
                  "households": len(inputs.instance.households),
                  "cadres": len(inputs.instance.cadres)}))
"""


def last_run(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        (summary,) = conn.execute(
            "SELECT summary FROM pairing_pairingrun ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return json.loads(summary)


def bench_mode(name: str, base: Path, time_limit: float, workers: int) -> None:
    db = OUT / f"work-{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, db)
    run([PY, "-c", SET_POLICY, json.dumps(MODES[name])], db)
    _, _, out = run([PY, "-c", BARE_SOLVER, str(time_limit), str(workers)], db)
    bare = json.loads(out.strip().splitlines()[-1])
    pair_wall, pair_rss, _ = run(
        [
            PY,
            "-m",
            "lianxin.cli",
            "pair",
            "--county",
            "510184",
            "--time-limit",
            str(time_limit),
            "--workers",
            str(workers),
        ],
        db,
        quiet=True,
    )
    s = last_run(db)
    after = s["coverage"]["after"]
    units = [u for u in s["units"] if u["cadres"]]
    spreads = [u["load_spread"] for u in units]
    split = sum(u["groups_split"] for u in units)
    rate = after["households_covered"] / after["households_must"] if after["households_must"] else 1
    print(
        f"\n[{name}] {bare['households']:,} households must be covered, "
        f"{bare['cadres']:,} eligible cadres, loads {MODES[name]['min_load']}–"
        f"{MODES[name]['max_load']}"
    )
    print(
        f"  coverage            {after['households_covered']:,}/{after['households_must']:,} "
        f"households ({rate:.2%}); cadres paired {after['cadres_paired']:,}/"
        f"{after['cadres_eligible']:,}"
    )
    if spreads:
        print(f"  load spread / unit  median {statistics.median(spreads):g}, max {max(spreads)}")
    print(f"  groups split        {split:,}")
    print(f"  status              {s['status']} (bare solver: {bare['status']})")
    print(f"  lianxin pair        {pair_wall:8.1f} s wall, peak {pair_rss:,.0f} MiB")
    print(
        f"  bare solver (ref.)  {bare['seconds']:8.1f} s    "
        f"ratio pair/solver = {pair_wall / bare['seconds']:.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="reuse an already built demo county")
    # make bench passes the same BENCH_ARGS to every benchmark: ignore the others' options.
    args, _ = parser.parse_known_args()
    base = build_base(args.scale, args.reuse)
    for name in MODES:
        bench_mode(name, base, args.time_limit, args.workers)


if __name__ == "__main__":
    main()

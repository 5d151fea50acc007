"""Benchmark: automatic pairing of the scale-1 demo county, in both coverage modes, and a run
with a deadline after a big policy change.

    .venv/bin/python bench/bench_pairing.py [--scale 1] [--time-limit 1] [--workers 2] [--reuse]
        [--budget 120] [--only raise] [--unbounded]

Builds the demo county once (230,000-odd households, 6,100 cadres; about 4 minutes at scale 1)
into bench/out/pairing/, then for each mode — every household ("all", loads 30–45) and hardship
households only ("hardship", loads 0–5) — copies that database and measures

* `lianxin pair --county 510184` end to end in its own process: wall time and peak memory, and
  the run's coverage, load spread per unit and groups split, read back from the saved run;
* the bare solver on the same instance (lianxin.pairing.solver.solve on what engine.build_instance
  reads), as the reference: the ratio says what reading, saving and applying add around it;
* beside the solver, a bare OR-Tools min-cost flow of coverage alone over the same instance
  (villages → cadres → sink), as the solver's own reference: the ratio says what the other
  tiers, the hand-out of households and the split search within --time-limit add to it.

The "raise" case is the policy change that used to take 673 s: the county paired at the
default loads 5–15 and applied (built once, bench/out/pairing/applied-scale*.sqlite3), then
max load 15 → 40 and a dry run within a budget (--budget, default 120 s): its wall time, whether
it stayed within the budget, whether coverage was proved optimal and how many components are
unproven; beside it the bare solver on the same instance with the same deadline, and with
--unbounded also without one (deterministic limits only, the old behaviour: slow).

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
CASES = ("all", "hardship", "raise")
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

SET_RAISE = """
import django, sys
django.setup()
from lianxin.geo.models import County
from lianxin.pairing.policy import policy_for
from lianxin.pairing.services import do_set_policy, do_set_run_budget
county = County.objects.get(code="510184")
p = policy_for(county)
do_set_policy(county=county, acting_user=None, coverage=p.coverage, min_load=p.min_load,
              max_load=int(sys.argv[1]), keep_groups_together=True, exclude_city_leaders=True)
do_set_run_budget(county=county, acting_user=None, run_budget=int(sys.argv[2]), run_budget_max=1800)
"""

BARE_DEADLINE = """
import django, json, sys, time
django.setup()
from lianxin.pairing import engine, solver
inputs = engine.build_instance(1)
started = time.monotonic()
budget = float(sys.argv[3])
deadline = started + budget if budget > 0 else None
solution = solver.solve(inputs.instance, time_limit=float(sys.argv[1]), workers=int(sys.argv[2]),
                        deadline=deadline)
print(json.dumps({"seconds": time.monotonic() - started, "status": solution.status,
                  "unproven": sum(1 for o in solution.outcomes if o.unproven),
                  "not_reached": sum(1 for o in solution.outcomes if not o.reached),
                  "components": len(solution.outcomes),
                  "uncovered": solution.objective.uncovered,
                  "uncovered_bound": solution.bound.uncovered,
                  "split_pieces": solution.objective.split_pieces,
                  "load_squares": solution.objective.load_squares}))
"""

BARE_SOLVER = """
import django, json, sys, time
from collections import defaultdict
django.setup()
from ortools.graph.python import min_cost_flow
from lianxin.pairing import engine, solver
inputs = engine.build_instance(1)
instance = inputs.instance

# The reference: coverage alone as one bare min-cost flow over the same instance, source →
# villages → cadres whose unit's zone holds them → sink (max_load), built from its records.
built = time.perf_counter()
per_village = defaultdict(int)
for h in instance.households:
    per_village[h.village_id] += 1
units_of = defaultdict(list)
for z in instance.zones:
    for v in z.village_ids:
        units_of[v].append(z.unit_id)
cadres_of = defaultdict(list)
for c in instance.cadres:
    cadres_of[c.unit_id].append(c)
flow = min_cost_flow.SimpleMinCostFlow()
villages = sorted(per_village)
node = {v: 2 + i for i, v in enumerate(villages)}
cnode = {c.id: 2 + len(villages) + i for i, c in enumerate(instance.cadres)}
for v in villages:
    flow.add_arc_with_capacity_and_unit_cost(0, node[v], per_village[v], 0)
    for u in units_of[v]:
        for c in cadres_of[u]:
            flow.add_arc_with_capacity_and_unit_cost(node[v], cnode[c.id], per_village[v], 0)
for c in instance.cadres:
    flow.add_arc_with_capacity_and_unit_cost(cnode[c.id], 1, c.max_load, 0)
flow.set_node_supply(0, len(instance.households))
flow.set_node_supply(1, -len(instance.households))
solved = time.perf_counter()
flow.solve_max_flow_with_min_cost()
done = time.perf_counter()

started = time.perf_counter()
flow_only = solver.solve(instance, time_limit=0.0)
flow_only_seconds = time.perf_counter() - started
started = time.perf_counter()
solution = solver.solve(instance, time_limit=float(sys.argv[1]), workers=int(sys.argv[2]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "status": solution.status,
                  "households": len(instance.households),
                  "cadres": len(instance.cadres),
                  "covered": len(solution.assignment),
                  "split_pieces": solution.objective.split_pieces,
                  "split_bound": solution.bound.split_pieces,
                  "unproven": sum(1 for o in solution.outcomes if o.unproven),
                  "components": len(solution.outcomes),
                  "flow_only_seconds": flow_only_seconds,
                  "flow_only_splits": flow_only.objective.split_pieces,
                  "flow_only_unproven": sum(1 for o in flow_only.outcomes if o.unproven),
                  "flow_covered": flow.maximum_flow(), "flow_arcs": flow.num_arcs(),
                  "flow_build": solved - built, "flow_solve": done - solved}))
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
    run([PY, "manage.py", "migrate", "-v", "0"], db)
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
    print(
        f"  status              {s['status']} (bare solver: {bare['status']}, "
        f"{bare['unproven']} of {bare['components']} components unproven; split pieces "
        f"{bare['split_pieces']:,}, at least {bare['split_bound']:,})"
    )
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in s["phase_seconds"].items())
    print(f"  lianxin pair        {pair_wall:8.1f} s wall ({phases}), peak {pair_rss:,.0f} MiB")
    print(
        f"  bare solver (ref.)  {bare['seconds']:8.1f} s    "
        f"ratio pair/solver = {pair_wall / bare['seconds']:.2f}×"
    )
    reference = bare["flow_build"] + bare["flow_solve"]
    print(
        f"  bare min-cost flow  {reference:8.2f} s    coverage only, the same instance: graph "
        f"{bare['flow_build']:.2f} s + solve {bare['flow_solve']:.3f} s, {bare['flow_arcs']:,} "
        f"arcs, {bare['flow_covered']:,} covered (solver: {bare['covered']:,})"
    )
    print(
        f"  ratio solver/flow   {bare['seconds'] / reference:8.1f}×   "
        f"(against the flow's solve alone {bare['seconds'] / max(bare['flow_solve'], 1e-6):.0f}×)"
    )
    print(
        f"  solver, no CP-SAT   {bare['flow_only_seconds']:8.1f} s    --time-limit 0: "
        f"{bare['flow_only_seconds'] / reference:.1f}× the bare flow, split pieces "
        f"{bare['flow_only_splits']:,}, {bare['flow_only_unproven']} components unproven"
    )


def build_applied(base: Path, reuse: bool, workers: int) -> Path:
    """The demo county paired at the policy's default loads (5–15) and applied."""
    applied = base.with_name(base.name.replace("base-", "applied-"))
    if reuse and applied.exists():
        print(f"reusing {applied}")
        return applied
    for suffix in ("", "-wal", "-shm"):
        Path(f"{applied}{suffix}").unlink(missing_ok=True)
    copy_db(base, applied)
    run([PY, "manage.py", "migrate", "-v", "0"], applied)
    print("pairing it at loads 5–15 and applying (setup, not measured) …", flush=True)
    argv = [PY, "-m", "lianxin.cli", "pair", "--county", "510184", "--workers", str(workers)]
    wall, _, _ = run([*argv, "--budget", "600"], applied, quiet=True)
    print(f"  applied in {wall:.0f} s")
    return applied


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy even of a database in WAL mode."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def bench_raise(base: Path, args: argparse.Namespace) -> None:
    applied = build_applied(base, args.reuse, args.workers)
    db = OUT / "work-raise.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    copy_db(applied, db)
    run([PY, "manage.py", "migrate", "-v", "0"], db)
    run([PY, "-c", SET_RAISE, "40", str(args.budget)], db)
    load = os.getloadavg()[0]
    pair_wall, pair_rss, _ = run(
        [
            PY,
            "-m",
            "lianxin.cli",
            "pair",
            "--county",
            "510184",
            "--dry-run",
            "--time-limit",
            str(args.time_limit),
            "--workers",
            str(args.workers),
        ],
        db,
        quiet=True,
    )
    s = last_run(db)
    after = s["coverage"]["after"]
    budget = s["budget"]
    unproven = s["unproven"]
    solved = [row for row in unproven if row["reached"]]
    print(
        f"\n[raise] max load 15 → 40 after an applied run; budget {budget['seconds']} s, "
        f"workers {args.workers}, load average {load:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"  coverage            {after['households_covered']:,}/{after['households_must']:,} "
        f"households; proved optimal: {'yes' if s['coverage_proved'] else 'NO'}"
    )
    print(
        f"  components          {s['components']}, {s['components_solved']} with households to "
        f"place ({len(unproven)} unproven: "
        f"{len(solved)} searched until the deadline or their limit, "
        f"{len(unproven) - len(solved)} given the first feasible answer)"
    )
    print(f"  new pairings        {s['counts']['new']:,}; status {s['status']}")
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in s["phase_seconds"].items())
    print(f"  phases              {phases}")
    print(
        f"  lianxin pair        {pair_wall:8.1f} s wall (solve {s['solve_wall_seconds']} s, run "
        f"{s['wall_seconds']} s), within budget: {'yes' if budget['within'] else 'NO'}, "
        f"budget exhausted: {'yes' if budget['exhausted'] else 'no'}, peak {pair_rss:,.0f} MiB"
    )
    limits = [str(args.time_limit), str(args.workers)]
    solver_budget = s["solve_wall_seconds"]
    _, _, out = run([PY, "-c", BARE_DEADLINE, *limits, str(solver_budget)], db)
    bare = json.loads(out.strip().splitlines()[-1])
    print(
        f"  bare solver, same deadline ({solver_budget:.0f} s) {bare['seconds']:8.1f} s, "
        f"{bare['unproven']}/{bare['components']} unproven, uncovered {bare['uncovered']:,} "
        f"(bound {bare['uncovered_bound']:,}), splits {bare['split_pieces']:,}"
    )
    if args.unbounded:
        _, _, out = run([PY, "-c", BARE_DEADLINE, *limits, "0"], db)
        bare = json.loads(out.strip().splitlines()[-1])
        print(
            f"  bare solver, no deadline     {bare['seconds']:8.1f} s, "
            f"{bare['unproven']}/{bare['components']} unproven, splits {bare['split_pieces']:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=1.0,
        help="CP-SAT deterministic seconds for the split search",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="reuse an already built demo county")
    parser.add_argument("--budget", type=int, default=120, help="the raise case's run budget (s)")
    parser.add_argument("--only", choices=CASES, action="append", help="run only these cases")
    parser.add_argument(
        "--unbounded", action="store_true", help="raise case: also the solver with no deadline"
    )
    # make bench passes the same BENCH_ARGS to every benchmark: ignore the others' options.
    args, _ = parser.parse_known_args()
    base = build_base(args.scale, args.reuse)
    for name in args.only or CASES:
        if name == "raise":
            bench_raise(base, args)
        else:
            bench_mode(name, base, args.time_limit, args.workers)


if __name__ == "__main__":
    main()

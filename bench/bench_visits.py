"""Benchmark: visit submission under load — 50 concurrent clients × 100 visits each, 20 % of
them replays of an earlier visit with the same Idempotency-Key, against the app served as in
production, on SQLite and on PostgreSQL; beside the same load on a bare Django view inserting
the same rows on the same server.

    .venv/bin/python bench/bench_visits.py [--db sqlite|postgres|both] [--clients 50]
        [--visits 100] [--replays 0.2]

For each database it builds the demo county at scale 0.02 (`lianxin demo`, seconds) into
bench/out/visits/<db>/ (SQLite) or the PostgreSQL database lianxin_bench_visits (BENCH_PG_URL
names the server), gives 50 cadres who have households a demo login, and serves the app with
the documented production settings (gunicorn -c python:lianxin.gunicorn_conf, 3 workers × 4
threads, DEBUG off) and LIANXIN_BENCH_VIEWS=1, which routes the reference view
/bench/bare-visit (lianxin/visits/bench_views.py; production never sets it).

Each client signs in as its cadre and sends `--visits` POST /api/visits, each a new visit
(a fresh UUID as Idempotency-Key, one of the cadre's households, a day of the last 30) or,
for `--replays` of them, one of its earlier visits again, byte for byte. It prints the answers
by status, the number of 5xx (must be 0), the visit rows added (must be exactly the new visits),
duplicates (keys on more than one row, and rows beyond the new visits: must be 0), and the
throughput beside the bare view's under the same 50 clients, as a ratio.

Benchmarks are not tests: nothing here asserts a time; the counts are checked and printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_pages import serve_with, sign_in  # noqa: E402

OUT = ROOT / "bench" / "out" / "visits"
PY = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/lianxin_bench_pages")
PG_DB = "lianxin_bench_visits"
SCALE = "0.02"

# Run inside the built demo's Django: 50 cadres with households get a demo login (the demo's
# shared password, hashed once), and their households and pairings are written out.
SETUP = r"""
import json, sys
from django.contrib.auth.hashers import make_password
from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user
from lianxin.demo.catalogue import DEMO_PASSWORD
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
n = int(sys.argv[1])
cadres = list(Cadre.objects.filter(user__isnull=True, is_city_leader=False, pairings__valid_to__isnull=True)
              .distinct().order_by("staff_no")[:n])
made = []
out = []
for c in cadres:
    name = f"bench{c.staff_no.lower()}"
    u = User.objects.filter(username=name).first()
    if u is None:
        u = do_create_user(county=c.county, username=name, password=None, role=Role.CADRE, unit=c.unit,
                           full_name=c.name, check_password=False, is_demo=True, acting_user=None)
        made.append(u.pk)
        c.user = u
        c.save(update_fields=["user"])
    pairs = list(Pairing.objects.serving().filter(cadre=c).values_list("household_id", "pk", "valid_from"))
    out.append({"username": name, "cadre": c.pk, "county": c.county_id,
                "households": [[h, p, str(v)] for h, p, v in pairs]})
User.objects.filter(pk__in=made).update(password=make_password(DEMO_PASSWORD))
print(json.dumps(out))
"""

COUNT = r"""
import json
from django.db.models import Count
from lianxin.visits.models import Visit, VisitHousehold
keyed = Visit.objects.filter(idempotency_key__isnull=False)
print(json.dumps({
    "visits": Visit.objects.count(),
    "rows": VisitHousehold.objects.count(),
    "keyed": keyed.count(),
    "duplicate_keys": keyed.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count(),
}))
"""


def env_for(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="lianxin.settings",
        LIANXIN_DEV_KEYS="1",
        LIANXIN_DEMO_ACCOUNTS="1",
        LIANXIN_VAR_DIR=str(OUT / db),
        LIANXIN_BENCH_VIEWS="1",
        LIANXIN_ACCESS_LOG="/dev/null",
        # 50 clients log in at once from one address: the log-in throttle is not measured here.
        LIANXIN_AXES_ENABLED="0",
    )
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL.rsplit("/", 1)[0] + "/" + PG_DB
    return env


def django(db: str, code: str, *args: str) -> str:
    return subprocess.run(
        [PY, "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT,
        env=env_for(db),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def build(db: str, clients: int) -> list[dict]:
    folder = OUT / db
    folder.mkdir(parents=True, exist_ok=True)
    env = env_for(db)
    if db == "postgres":
        for tool in ("dropdb", "createdb"):
            flags = ["--if-exists"] if tool == "dropdb" else []
            subprocess.run([tool, "-h", "127.0.0.1", "-U", "postgres", *flags, PG_DB], check=True)
    else:
        for old in folder.glob("*.sqlite3*"):
            old.unlink()
    print(f"[{db}] building the scale-{SCALE} demo…", flush=True)
    for step in (["migrate", "--no-input", "-v", "0"], ["demo", "--scale", SCALE, "-v", "0"]):
        subprocess.run(
            [PY, "manage.py", *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    return json.loads(django(db, SETUP, str(clients)))


def serve(db: str) -> tuple[subprocess.Popen, str]:
    return serve_with(env_for(db))


def plan(client: dict, n: int, replays: float, seed: int) -> list[tuple[str, bytes, bool]]:
    """(key, body, is_replay) of one client's requests: new visits, and replays of earlier
    ones (the same key and the same bytes) at random positions after the first."""
    rng = random.Random(seed)
    homes = client["households"]
    replay_at = set(rng.sample(range(1, n), round(n * replays)))
    sent: list[tuple[str, bytes]] = []
    out = []
    today = time.strftime("%Y-%m-%d")
    for i in range(n):
        if i in replay_at:
            key, body = rng.choice(sent)
            out.append((key, body, True))
            continue
        household, _, since = rng.choice(homes)
        day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 86400 * rng.randint(0, 29)))
        day = max(day, since) if since <= today else today
        body = json.dumps(
            {
                "households": [{"household_id": household, "met": rng.random() > 0.07}],
                "occurred_on": day,
                "mode": "in_person",
                "heard": "压测：身体还好" if rng.random() < 0.3 else "",
            },
            ensure_ascii=False,
        ).encode()
        key = str(uuid.uuid4())
        sent.append((key, body))
        out.append((key, body, False))
    return out


def bare_plan(client: dict, n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        household, pairing, since = rng.choice(client["households"])
        body = {
            "county_id": client["county"],
            "cadre_id": client["cadre"],
            "household_id": household,
            "pairing_id": pairing,
            "occurred_on": max(time.strftime("%Y-%m-%d"), since),
            "mode": "in_person",
        }
        out.append(json.dumps(body).encode())
    return out


def load(sessions, work, send) -> tuple[float, Counter]:
    """Every client's requests, all clients at once (one thread each); wall time and statuses."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(sessions) + 1)

    def client(i: int) -> None:
        start.wait()
        mine: Counter = Counter()
        for item in work[i]:
            try:
                mine[send(sessions[i], item)] += 1
            except requests.RequestException as exc:
                mine[f"error {type(exc).__name__}"] += 1
        with lock:
            statuses.update(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began, statuses


def measure(db: str, clients: int, visits: int, replays: float) -> None:
    cadres = build(db, clients)
    if len(cadres) < clients:
        raise SystemExit(f"only {len(cadres)} cadres with households")
    server, base = serve(db)
    try:
        sessions = [sign_in(base, c["username"]) for c in cadres]
        work = [plan(c, visits, replays, seed=i) for i, c in enumerate(cadres)]
        new = sum(1 for w in work for _, _, r in w if not r)
        before = json.loads(django(db, COUNT))

        def send(session, item) -> int:
            key, body, _ = item
            headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
            return session.post(f"{base}/api/visits", data=body, headers=headers).status_code

        took, statuses = load(sessions, work, send)
        after = json.loads(django(db, COUNT))

        bare_work = [bare_plan(c, visits, seed=1000 + i) for i, c in enumerate(cadres)]

        def send_bare(session, body) -> int:
            headers = {"Content-Type": "application/json"}
            return session.post(f"{base}/bench/bare-visit", data=body, headers=headers).status_code

        bare_took, bare_statuses = load(sessions, bare_work, send_bare)
        final = json.loads(django(db, COUNT))
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = clients * visits
    added = after["visits"] - before["visits"]
    fives = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
    bare_fives = sum(n for s, n in bare_statuses.items() if isinstance(s, int) and s >= 500)
    rate, bare_rate = total / took, total / bare_took
    print(f"\n[{db}] {clients} clients × {visits} visits, {total - new} replays ({replays:.0%})")
    print(f"  answers              {dict(sorted(statuses.items(), key=str))}")
    print(f"  5xx                  {fives}  (must be 0)")
    print(f"  visits sent (new)    {new}")
    print(f"  visit rows added     {added}  (must be {new})")
    print(f"  household rows added {after['rows'] - before['rows']}  (must be {new})")
    print(f"  keyed visits added   {after['keyed'] - before['keyed']}  (must be {new})")
    print(f"  duplicate keys       {after['duplicate_keys']}  (must be 0)")
    print(f"  duplicates           {max(0, added - new)}  (must be 0)")
    print(f"  missing              {max(0, new - added)}  (must be 0)")
    print(
        f"  throughput           {rate:,.0f} requests/s ({took:.1f} s)  "
        f"bare view {bare_rate:,.0f}/s ({bare_took:.1f} s; answers "
        f"{dict(sorted(bare_statuses.items(), key=str))}, 5xx {bare_fives}, rows added "
        f"{final['visits'] - after['visits']})  ratio {rate / bare_rate:.2f}×",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--replays", type=float, default=0.2)
    args, _ = parser.parse_known_args()  # make bench passes every benchmark the same BENCH_ARGS
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        measure(db, args.clients, args.visits, args.replays)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: every page and API list of bench/pages.py at the seed's scale, served as in
production, beside one hand-written SQL query fetching the same rows.

    .venv/bin/python bench/bench_pages.py [--scale 1] [--db sqlite|postgres|both] [--requests 20]
        [--only TEXT] [--rebuild]

For each database it builds the demo county once (`lianxin demo --scale S`, about 5 minutes at
scale 1; reused while its marker file says it finished: bench/out/pages/<db>-scale<S>/), then

* serves it with the documented production settings (gunicorn -c python:lianxin.gunicorn_conf,
  3 workers × 4 threads, DEBUG off), with LIANXIN_QUERY_COUNT_HEADER=1 so every answer says how
  many SQL queries it ran (X-Query-Count; off in production);
* signs in as each page's demo logins and requests each page `--requests` times one after the
  other (after one warm-up request), printing p50 and p95 of the wall time to the last byte,
  and the query count of the last answer;
* runs the page's reference query (bench/pages.py) as many times on the same database through
  the plain driver (sqlite3 / psycopg), and prints its p50 and the ratio page p50 ÷ reference
  p50.

Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.pages import PAGES, PLACES, Page  # noqa: E402
from lianxin.core.sheets import display_width  # noqa: E402

OUT = ROOT / "bench" / "out" / "pages"
PY = sys.executable
PASSWORD = "lianxin2014"
# The documented production server (docs/deployment.md).
GUNICORN = [PY, "-m", "gunicorn", "-c", "python:lianxin.gunicorn_conf", "lianxin.wsgi", "-w", "3"]
GUNICORN += ["--threads", "4"]
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/lianxin_bench_pages")


def var_dir(db: str, scale: float) -> Path:
    return OUT / f"{db}-scale{scale:g}"


def env_for(db: str, scale: float) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="lianxin.settings",
        LIANXIN_DEV_KEYS="1",
        LIANXIN_DEMO_ACCOUNTS="1",
        LIANXIN_VAR_DIR=str(var_dir(db, scale)),
        LIANXIN_QUERY_COUNT_HEADER="1",
        LIANXIN_ACCESS_LOG="/dev/null",
    )
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = f"{PG_URL}_s{str(scale).replace('.', '_')}"
    return env


def build(db: str, scale: float, rebuild: bool) -> None:
    folder = var_dir(db, scale)
    marker = folder / "demo-built"
    if marker.exists() and not rebuild:
        print(f"[{db}] reusing the scale-{scale:g} demo in {folder}", flush=True)
        # Built by an earlier version: its schema and the rates' roll-up brought up to date.
        env = env_for(db, scale)
        for step in (["migrate", "--no-input", "-v", "0"], ["rates_rollup", "--keep-up"]):
            subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=env, check=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    env = env_for(db, scale)
    if db == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    else:
        for old in folder.glob("*.sqlite3*"):
            old.unlink()
    print(f"[{db}] building the scale-{scale:g} demo (minutes)…", flush=True)
    started = time.perf_counter()
    manage = [PY, "manage.py"]
    for step in (["migrate", "--no-input", "-v", "0"], ["demo", "--scale", str(scale)]):
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    marker.write_text(f"built in {time.perf_counter() - started:.0f} s\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: str, scale: float) -> tuple[subprocess.Popen, str]:
    return serve_with(env_for(db, scale))


def serve_with(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """gunicorn with the production settings on a free port, once it answers (bench_visits
    serves its own database through this too)."""
    port = free_port()
    server = subprocess.Popen(
        [*GUNICORN, "-b", f"127.0.0.1:{port}", "--error-logfile", "/dev/null"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            requests.get(f"{base}/accounts/login/", timeout=30)
            return server, base
        except requests.RequestException:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not answer within two minutes")


def sign_in(base: str, username: str) -> requests.Session:
    """A session signed in through the real log-in form, its CSRF token ready for posts."""
    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": base},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in ({answer.status_code})")
    session.headers.update(
        {"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": base + "/"}
    )
    return session


# --- the reference: one SQL query on the same database ---------------------------------------


class Reference:
    def __init__(self, db: str, scale: float):
        self.db = db
        if db == "postgres":
            import psycopg

            self.conn = psycopg.connect(env_for(db, scale)["DATABASE_URL"], autocommit=True)
        else:
            self.conn = sqlite3.connect(var_dir(db, scale) / "lianxin.sqlite3")

    def run(self, sql: str, params: dict) -> list:
        if self.db == "postgres":
            # psycopg's placeholders: a literal % (a LIKE pattern) doubled, :name -> %(name)s.
            sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
        cursor = self.conn.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()

    def places(self) -> dict[str, object]:
        values: dict[str, object] = {k: self.run(sql, {})[0][0] for k, sql in PLACES.items()}
        values["today"] = dt.date.today().isoformat()
        return values


def pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal columns, a CJK character taking two."""
    return text + " " * max(0, width - display_width(text))


def timed(call, n: int) -> list[float]:
    call()  # warm-up: caches, connections, the first template compile
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(db: str, scale: float, n: int, only: str) -> None:
    ref = Reference(db, scale)
    places = ref.places()
    sessions: dict[str, requests.Session] = {}
    server, base = serve(db, scale)
    try:
        print(f"\n[{db}] scale {scale:g}, {n} requests each, gunicorn 3×4")
        print(
            f"{'page':<22} {'user':<8} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7}"
            f" {'ref p50':>8} {'ratio':>7}"
        )
        for page in PAGES:
            if only and only not in page.name and only not in page.path:
                continue
            for user in page.users:
                if user not in sessions:
                    sessions[user] = sign_in(base, user)
                row(page, user, sessions[user], base, places, ref, n)
    finally:
        server.terminate()
        server.wait(timeout=30)


def row(page: Page, user: str, session: requests.Session, base: str, places: dict, ref, n: int):
    url = base + page.path.format(**places)
    last: list[requests.Response] = []

    def fetch() -> None:
        answer = session.get(url, allow_redirects=False)
        answer.content  # noqa: B018 — read to the last byte
        last[:] = [answer]

    times = timed(fetch, n)
    sql = page.reference.format(**places)
    params = {k: v for k, v in places.items() if f":{k}" in sql}
    ref_times = timed(lambda: ref.run(sql, params), n)
    p50, r50 = statistics.median(times), statistics.median(ref_times)
    answer = last[0]
    print(
        f"{pad(page.name, 24)} {user:<8} {answer.status_code:>6} {p50:>8.0f} {p95(times):>8.0f}"
        f" {answer.headers.get('X-Query-Count', '?'):>7} {r50:>8.1f} {p50 / max(r50, 0.01):>6.0f}×",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="only pages whose name or path contains this")
    parser.add_argument("--rebuild", action="store_true")
    args, _ = parser.parse_known_args()  # make bench passes every benchmark the same BENCH_ARGS
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    for db in dbs:
        build(db, args.scale, args.rebuild)
        measure(db, args.scale, args.requests, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())

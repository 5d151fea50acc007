"""Bad rows stream into the error report as they are found; the import keeps only the first few
for the page and counts the rest, so its memory does not grow with the number of bad rows."""

from __future__ import annotations

import csv
import datetime as dt
import tracemalloc

from lianxin.lib.idcard import compose
from lianxin.transfer.import_report import REPORT_HEADER
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, resident


def bad_rows(n: int, *, good_every: int = 0):
    """Header, then n rows whose ID number has a wrong check digit (one household, so the
    checks across the file keep nothing per row); every `good_every`-th row is good."""
    yield 1, list(RESIDENT_HEADER)
    for i in range(n):
        number = compose(
            "510184", dt.date(1960, 1, 1) + dt.timedelta(days=i % 20000), 41 + i // 20000
        )
        if not (good_every and i % good_every == 0):
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        if good_every:
            yield i + 2, resident(f"51018415000{i:06d}", "吴一", number)
        else:
            yield i + 2, resident("51018415000900001", "吴一", number, "子女")


def run(world, rows, **kw):
    return import_people(
        rows,
        county=world.county,
        kind="residents",
        mode="good",
        acting_user=None,
        file_name="错误.csv",
        **kw,
    )


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_the_report_holds_the_bad_rows_while_the_import_still_runs(world, tmp_path):
    path = tmp_path / "report.csv"
    seen: list[int] = []

    def check():
        seen.append(len(read(path)) - 1 if path.exists() else 0)

    result = run(world, bad_rows(30, good_every=3), report=path, batch_size=10, check=check)

    # Written batch by batch during the checking pass, before anything was saved.
    assert seen[:3] == [6, 13, 20]
    lines = read(path)
    assert lines[0] == REPORT_HEADER and len(lines) == 1 + 20
    assert [int(line[0]) for line in lines[1:]] == sorted(int(line[0]) for line in lines[1:])
    assert result.residents_created == 10 and result.bad_rows == 20
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_result_keeps_only_the_first_errors_for_the_page(world, tmp_path):
    path = tmp_path / "report.csv"

    result = run(world, bad_rows(3000), report=path, errors_shown=50)

    assert len(result.errors) == 50 and result.errors[0].row == 2
    assert result.bad_rows == result.error_total == 3000
    # The report has them all (errors_kept None: no limit).
    assert len(read(path)) == 1 + 3000


def test_the_report_lists_the_first_errors_kept_and_counts_the_rest(world, tmp_path):
    path = tmp_path / "report.csv"

    result = run(world, bad_rows(500), report=path, errors_kept=100, errors_shown=10)

    lines = read(path)
    assert len(lines) == 1 + 100 + 1
    assert "另有 400 行错误未列出" in lines[-1][2]
    assert (len(result.errors), result.bad_rows, result.bad_rows_not_listed) == (10, 500, 400)


def _peak(world, tmp_path, n: int) -> int:
    tracemalloc.start()
    try:
        result = run(world, bad_rows(n), report=tmp_path / f"report-{n}.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.bad_rows == n
    return peak


def test_its_memory_does_not_grow_with_the_bad_rows(world, tmp_path):
    # Warm the caches (region names, pinyin, the database connection) before measuring.
    _peak(world, tmp_path, 500)

    small = _peak(world, tmp_path, 2_000)
    large = _peak(world, tmp_path, 20_000)

    # Ten times the bad rows, the same peak within a margin: keeping 20,000 errors would add
    # some 5 MB (tracemalloc makes each row slow, hence the modest sizes).
    assert large < small * 1.25 + 2**20, (small, large)

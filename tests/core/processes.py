"""Running test code in several real processes at once, each with its own database connection
(and its own per-process memory: what a limit kept in a process cannot see)."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from django.db import connections


def in_processes(n: int, work: Callable[[int], Any]) -> list[Any]:
    """work(0) … work(n - 1), each in a forked process, released together by a barrier; their
    answers in order. An exception in a process fails the test with its traceback."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(n)
    answers = ctx.Queue()
    # A forked process must not share its parent's database socket: each opens its own.
    connections.close_all()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            answers.put((i, True, work(i)))
        except BaseException:
            answers.put((i, False, traceback.format_exc()))
        finally:
            connections.close_all()

    processes = [ctx.Process(target=run, args=(i,)) for i in range(n)]
    for p in processes:
        p.start()
    got = {}
    for _ in processes:
        i, ok, answer = answers.get(timeout=180)
        assert ok, f"process {i} failed:\n{answer}"
        got[i] = answer
    for p in processes:
        p.join(timeout=60)
    return [got[i] for i in range(n)]

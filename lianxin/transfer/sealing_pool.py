"""Where an import seals its rows (lianxin.lib.sealing): in its own process for a short file,
or, past WORKER_FROM_ROWS on a machine with more than one core, in a worker process one batch
ahead, so that the sealing of the next batch runs while this process checks the batch in hand
against the file and the database.

The worker is started with `spawn` (no copy of this process's Django state, connections or
threads) and given the keys by its initializer; the queue of batches is bounded (one batch in
the worker, one in hand), so memory does not grow with the file."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings

from lianxin.lib.sealing import (
    PersonCells,
    PersonSealer,
    SealedPerson,
    seal_in_worker,
    start_worker,
)

# Below this many rows the worker's start (a fresh interpreter importing the crypto and pinyin
# libraries, about a second) costs more than it saves; tests stay in one process.
WORKER_FROM_ROWS = 5000

Sealed = Callable[[], list[SealedPerson | None]]


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SealingPool:
    """Seals an import's batches, here or in its worker (see the module docstring)."""

    def __init__(self, local: PersonSealer, *, worker_from: int | None):
        self.local = local
        # None: never a worker.
        self.worker_from = worker_from if cores() > 1 else None
        self._executor: ProcessPoolExecutor | None = None

    @property
    def apart(self) -> bool:
        """Whether batches are sealed in the worker (so one is submitted ahead)."""
        return self._executor is not None

    def submit(self, rows: Sequence[PersonCells | None], *, rows_before: int) -> Sealed:
        """The batch's sealing, to be collected by calling what this returns: started in the
        worker once `rows_before` rows came before it, else done here when collected."""
        if self.worker_from is None or rows_before < self.worker_from:
            return lambda: self.local.seal(rows)
        if self._executor is None:
            local = self.local
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(
                    settings.FIELD_KEY,
                    tuple(settings.FIELD_KEYS_OLD),
                    settings.LOOKUP_KEY,
                    local.id_label,
                    local.phone_label,
                ),
            )
        return self._executor.submit(seal_in_worker, list(rows)).result

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> SealingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

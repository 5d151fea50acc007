"""The rows an import's validation pass accepted, kept on disk for its write pass.

The validation pass reads the whole file before anything is written, and the source is read
only once (an upload's reader, a generator): the rows it accepts are parsed and sealed already
(ID numbers and phones encrypted, hashed, masked), so they are kept, batch by batch, in an
anonymous temporary file and read back by the write pass — not parsed or sealed twice, and not
held in memory. The file has no name on disk (tempfile.TemporaryFile): it is gone with the
import however the process ends, and only this process could read it meanwhile."""

from __future__ import annotations

import marshal
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# How an importer flattens a checked row into plain values and back (see the module docstring).
Codec = tuple[Callable[[Any], tuple], Callable[[tuple], Any]]


class Spool:
    """Batches of (ordinal, row): `ordinal` counts the file's data rows (blank rows skipped)
    from 1, so a resumed import can skip the rows its earlier run wrote; `end` is the ordinal
    of the batch's last row, good or bad."""

    def __init__(self, codec: Codec | None = None) -> None:
        self._file = tempfile.TemporaryFile(prefix="lianxin-import-")  # noqa: SIM115
        self.batches = 0
        self.codec = codec

    def add(self, end: int, rows: Sequence[tuple[int, Any]]) -> None:
        # Our own rows, written and read back by this process only: pickle is safe here.
        if self.codec is None:
            pickle.dump((end, list(rows)), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            pack = self.codec[0]
            data = marshal.dumps((end, [(ordinal, pack(row)) for ordinal, row in rows]))
            # Length first: marshal.load on a file reads value by value, one call each.
            self._file.write(len(data).to_bytes(8, "little"))
            self._file.write(data)
        self.batches += 1

    def __iter__(self) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.batches):
            if self.codec is None:
                yield pickle.load(self._file)
                continue
            unpack = self.codec[1]
            size = int.from_bytes(self._file.read(8), "little")
            end, rows = marshal.loads(self._file.read(size))
            yield end, [(ordinal, unpack(row)) for ordinal, row in rows]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Sorted runs of lines on disk, merged back in order.

The dumps of a large dataset (kg.build.dumps) would otherwise hold every canonical line
in memory at once, beside the Store that holds the same quads. A run is a file of sorted
lines, each ended with ``\\n`` (an N-Quads line holds no raw line end); the merged runs
come back with their line ends, which keeps them in order: a line end sorts before any
character a line goes on with.
"""

from __future__ import annotations

import heapq
import os
import tempfile
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

from kg.rdf.lines import BATCH

#: Lines made in one go (kg.rdf.nquads.graph_lines) from which they go to a run on disk
#: (about 220 MB of lines): a dataset that size also makes the dumps spill the rest.
SPILL_LINES = 1_000_000


def write_run(folder: Path, lines: list[bytes]) -> Path:
    """Sort ``lines`` (without line ends) in place and write them to a new run file in
    ``folder``; its path."""
    lines.sort()
    fd, name = tempfile.mkstemp(prefix="lines-", suffix=".nq", dir=folder)
    with os.fdopen(fd, "wb") as out:
        for start in range(0, len(lines), BATCH):
            out.write(b"\n".join(lines[start : start + BATCH]) + b"\n")
    return Path(name)


def _read_run(path: Path) -> Iterator[bytes]:
    with path.open("rb", buffering=1 << 20) as src:
        yield from src


def merged_batches(runs: Sequence[Path], size: int = BATCH) -> Iterator[list[bytes]]:
    """The lines of ``runs`` in order, each with its line end, ``size`` lines a batch
    (only the runs' read buffers and one batch in memory)."""
    lines = heapq.merge(*(_read_run(path) for path in runs))
    while batch := list(islice(lines, size)):
        yield batch

"""The dumps of a build: ``govsm.nq`` (canonical N-Quads of every named graph, see
kg.rdf.nquads) and ``govsm.ttl`` (Turtle of their union, the default view).

Two public functions: :func:`start_dump_lines` makes the lines of graphs that will not
change any more in a background thread, while later stages run (once for the sources,
once for what derivation and confidence made); :func:`write_dumps`
writes both files, streamed (bounded memory at scale): the canonical lines are sorted
and written in chunks by a thread while their triples (cut from the sorted lines a
batch at a time, kg.rdf.lines.triple_chunks), split at a subject into two halves, go to
two child processes that write the Turtle (kg.rdf.turtle: pyoxigraph's
parser and serialiser hold the GIL, so they get cores of their own). Both files are
hashed as they are written, and a caller may summarise the triples meanwhile (the site's
statistics, kg.web.site.facts): nothing reads the dumps again.

A large dataset's lines (kg.rdf.nquads: from kg.rdf.runs.SPILL_LINES lines made at once)
are not all held in memory: given a folder to spill to, they go to sorted runs on disk
as they are made, and the dumps merge the runs into ``govsm.nq`` (summarised on the
way); the two Turtle writers then take their halves from the written file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kg.background import in_background
from kg.rdf.engine import Engine
from kg.rdf.lines import batch_triple_chunks, line_blocks, triple_chunks
from kg.rdf.nquads import GraphLines, dataset_lines, graph_lines
from kg.rdf.runs import merged_batches
from kg.rdf.turtle import TurtleWriter

_CHUNK = 50_000  # lines written at a time
_BLOCK = 1 << 23  # bytes of the written govsm.nq read at a time for the Turtle


class Summary(Protocol):
    """What summarises the dump's sorted lines, fed a batch at a time in their order
    (kg.web.site.facts.FactCounter)."""

    def add(self, lines: Sequence[bytes]) -> None: ...

    def result(self) -> Any: ...


def start_dump_lines(
    engine: Engine, graphs: Iterable[str], spill: Path | None = None
) -> Future[GraphLines]:
    """Start making the dump lines of ``graphs``, which must not change any more (the
    sources, once validated), in a daemon thread (a build that fails meanwhile does not
    wait for it): the Store's dumps release the GIL, the rest shares it with stages that
    mostly run inside the Store. Hand the result to :func:`write_dumps`; a graph written
    to since is dumped again there. ``spill``: a folder for sorted runs of the lines of a
    large dataset (kg.rdf.nquads.graph_lines)."""
    return in_background(graph_lines, engine, list(graphs), sort=True, spill=spill)


@dataclass
class Dumped:
    """What :func:`write_dumps` wrote: the files' sizes and SHA-256 digests (hex), by
    file name, and what ``summarise`` made of the default view's triples."""

    sizes: dict[str, int] = field(default_factory=dict)
    sums: dict[str, str] = field(default_factory=dict)
    summary: Any = None

    @property
    def written(self) -> int:
        """The bytes written."""
        return sum(self.sizes.values())


def write_dumps(
    folder: Path,
    engine: Engine,
    started: Sequence[Future[GraphLines]] = (),
    summarise: Callable[[], Summary] | None = None,
    spill: Path | None = None,
) -> Dumped:
    """Write ``govsm.nq`` and ``govsm.ttl`` of everything ``engine`` holds into
    ``folder``, hashing them as they are written. ``started``: lines start_dump_lines
    began (each used once). ``summarise``: makes what is fed the sorted lines of
    govsm.nq, a batch at a time; its result is the record's ``summary``. ``spill``: a
    folder for sorted runs of the lines of a large dataset (then merged from there)."""
    folder.mkdir(parents=True, exist_ok=True)
    # two writers (start now, while the lines are made), each for one half
    target, rest = folder / "govsm.ttl", folder / ".govsm.ttl.rest"
    writers = [TurtleWriter(target), TurtleWriter(rest, body_only=True)]
    dumped = Dumped()
    summary = summarise() if summarise is not None else None
    try:
        made = dataset_lines(engine, [future.result() for future in started], spill)
        if made.runs:
            _write_merged(folder / "govsm.nq", made.runs, writers, dumped, summary)
        else:
            _write_in_memory(folder / "govsm.nq", made.lines, writers, dumped, summary)
        del made  # the lines are freed before the Turtle writers are waited for
        if summary is not None:
            dumped.summary = summary.result()
        writers[0].finish()
        writers[1].finish()
        dumped.sizes["govsm.ttl"], dumped.sums["govsm.ttl"] = _joined(target, rest)
        return dumped
    finally:
        for writer in writers:
            writer.stop()


def _write_in_memory(
    path: Path,
    lines: list[bytes],
    writers: list[TurtleWriter],
    dumped: Dumped,
    summary: Summary | None,
) -> None:
    """govsm.nq from lines in memory, the Turtle writers fed their halves meanwhile."""
    lines.sort()  # prepared lines come sorted: the rest is merged in (linear)
    half = _subject_boundary(lines, len(lines) // 2)
    fed = [
        in_background(writers[0].feed, triple_chunks(lines, 0, half)),
        in_background(writers[1].feed, triple_chunks(lines, half)),
    ]
    chunks = (b"\n".join(lines[at : at + _CHUNK]) + b"\n" for at in range(0, len(lines), _CHUNK))
    digest = hashlib.sha256()
    dumped.sizes[path.name] = _write_chunks(path, chunks, digest)
    dumped.sums[path.name] = digest.hexdigest()
    for future in fed:
        future.result()
    if summary is not None:  # the GIL is free now: the Turtle writers are processes
        for start in range(0, len(lines), _CHUNK):
            summary.add(lines[start : start + _CHUNK])


def _write_merged(
    path: Path,
    runs: list[Path],
    writers: list[TurtleWriter],
    dumped: Dumped,
    summary: Summary | None,
) -> None:
    """govsm.nq merged from sorted runs on disk (summarised on the way), then the
    Turtle writers fed their halves from the written file: no line held for long."""

    def chunks() -> Iterator[bytes]:
        for batch in merged_batches(runs, _CHUNK):
            if summary is not None:
                summary.add(batch)
            yield b"".join(batch)

    digest = hashlib.sha256()
    written = _write_chunks(path, chunks(), digest)
    dumped.sizes[path.name], dumped.sums[path.name] = written, digest.hexdigest()
    for run in runs:
        run.unlink()
    half = _file_subject_boundary(path, written // 2)
    fed = [
        in_background(writers[0].feed, _file_triple_chunks(path, 0, half)),
        in_background(writers[1].feed, _file_triple_chunks(path, half, written)),
    ]
    for future in fed:
        future.result()


def _file_triple_chunks(path: Path, start: int, stop: int) -> Iterator[bytes]:
    """triple_chunks of the sorted N-Quads lines of ``path`` from byte ``start`` to
    ``stop`` (both line starts), read a block at a time."""
    return batch_triple_chunks(_file_batches(path, start, stop))


def _file_batches(path: Path, start: int, stop: int) -> Iterator[list[bytes]]:
    """The lines (without their line ends) of ``path`` from byte ``start`` to ``stop``,
    both line starts, a block of lines at a time."""
    with path.open("rb") as src:
        src.seek(start)
        for block in line_blocks(src, _BLOCK, stop):
            yield block.removesuffix(b"\n").split(b"\n")


def _file_subject_boundary(path: Path, at: int) -> int:
    """A byte offset from ``at`` on where a line starts whose subject is not the line
    before's (or the file's end): sorted lines, so no subject's triples are split there."""
    if at <= 0:
        return 0
    with path.open("rb") as src:
        src.seek(at - 1)
        src.readline()  # to the first line that starts at or after ``at``
        offset = src.tell()
        subject = None
        while line := src.readline():
            this = line.split(b" ", 1)[0]
            if subject is not None and this != subject:
                return offset
            subject, offset = this, src.tell()
        return offset


def _joined(target: Path, rest: Path) -> tuple[int, str]:
    """Append ``rest`` to ``target`` (then remove it); the whole file's size and SHA-256
    (hashlib releases the GIL on large blocks)."""
    digest, size = hashlib.sha256(), 0
    with target.open("rb+") as out:
        while block := out.read(1 << 20):
            digest.update(block)
            size += len(block)
        with rest.open("rb") as src:
            while block := src.read(1 << 20):
                out.write(block)
                digest.update(block)
                size += len(block)
    rest.unlink()
    return size, digest.hexdigest()


def _write_chunks(path: Path, chunks: Iterable[bytes], digest: Any) -> int:
    """Write ``chunks`` to ``path``, adding them to ``digest`` (a hashlib hash); a thread
    does the writing and hashing (the kernel copy and the hash run without the GIL)
    while the next chunk is made."""
    written = 0

    def write(chunk: bytes) -> int:
        digest.update(chunk)
        return out.write(chunk)

    with path.open("wb") as out, ThreadPoolExecutor(1, thread_name_prefix="govsm-write") as pool:
        pending: list[Future[int]] = []
        for chunk in chunks:
            pending.append(pool.submit(write, chunk))
            while len(pending) > 2:  # at most a few chunks in memory
                written += pending.pop(0).result()
        for future in pending:
            written += future.result()
    return written


def _subject_boundary(triples: list[bytes], at: int) -> int:
    """The first index from ``at`` on where the subject changes (or the end), in
    sorted N-Triples or N-Quads lines: no subject's triples are split there."""
    if at <= 0:
        return 0
    subject = triples[at - 1].split(b" ", 1)[0]
    while at < len(triples) and triples[at].split(b" ", 1)[0] == subject:
        at += 1
    return at

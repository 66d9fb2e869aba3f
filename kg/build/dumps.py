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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.background import in_background
from kg.rdf.engine import Engine
from kg.rdf.lines import triple_chunks
from kg.rdf.nquads import GraphLines, dataset_lines, graph_lines
from kg.rdf.turtle import TurtleWriter

_CHUNK = 50_000  # lines written at a time


def start_dump_lines(engine: Engine, graphs: Iterable[str]) -> Future[GraphLines]:
    """Start making the dump lines of ``graphs``, which must not change any more (the
    sources, once validated), in a daemon thread (a build that fails meanwhile does not
    wait for it): the Store's dumps release the GIL, the rest shares it with stages that
    mostly run inside the Store. Hand the result to :func:`write_dumps`; a graph written
    to since is dumped again there."""
    return in_background(graph_lines, engine, list(graphs), sort=True)


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
    summarise: Callable[[list[bytes]], Any] | None = None,
) -> Dumped:
    """Write ``govsm.nq`` and ``govsm.ttl`` of everything ``engine`` holds into
    ``folder``, hashing them as they are written. ``started``: lines start_dump_lines
    began (each used once). ``summarise``: called with the sorted lines of govsm.nq
    (without their line ends) once the Turtle writers have their triples; its result is
    the record's ``summary``."""
    folder.mkdir(parents=True, exist_ok=True)
    # two writers (start now, while the lines are made), each for one half
    target, rest = folder / "govsm.ttl", folder / ".govsm.ttl.rest"
    writers = [TurtleWriter(target), TurtleWriter(rest, body_only=True)]
    dumped = Dumped()
    try:
        lines = dataset_lines(engine, [future.result() for future in started])
        lines.sort()  # prepared lines come sorted: the rest is merged in (linear)
        half = _subject_boundary(lines, len(lines) // 2)
        fed = [
            in_background(writers[0].feed, triple_chunks(lines, 0, half)),
            in_background(writers[1].feed, triple_chunks(lines, half)),
        ]
        digest = hashlib.sha256()
        dumped.sizes["govsm.nq"] = _write_lines(folder / "govsm.nq", lines, digest)
        dumped.sums["govsm.nq"] = digest.hexdigest()
        for future in fed:
            future.result()
        if summarise is not None:  # the GIL is free now: the Turtle writers are processes
            dumped.summary = summarise(lines)
        del lines
        writers[0].finish()
        writers[1].finish()
        dumped.sizes["govsm.ttl"], dumped.sums["govsm.ttl"] = _joined(target, rest)
        return dumped
    finally:
        for writer in writers:
            writer.stop()


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


def _write_lines(path: Path, lines: list[bytes], digest: Any) -> int:
    """Write sorted, unique, non-empty ``lines`` newline-terminated, in chunks, adding
    them to ``digest`` (a hashlib hash); a thread does the writing and hashing (the
    kernel copy and the hash run without the GIL) while the next chunk is made."""
    written = 0

    def write(chunk: bytes) -> int:
        digest.update(chunk)
        return out.write(chunk)

    with path.open("wb") as out, ThreadPoolExecutor(1, thread_name_prefix="govsm-write") as pool:
        pending: list[Future[int]] = []
        for start in range(0, len(lines), _CHUNK):
            chunk = b"\n".join(lines[start : start + _CHUNK]) + b"\n"
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

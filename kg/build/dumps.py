"""Publish: canonical dumps and the report, written atomically into dist/.

Everything is first written into a fresh temporary directory beside ``dist/``; only a
complete build is swapped into place (an atomic ``renameat2(RENAME_EXCHANGE)`` where the
kernel offers it, otherwise two renames). A failed or interrupted build removes its
temporary directory and leaves the previous ``dist/`` whole.

Canonical N-Quads: blank nodes (RDF lists of authors) get canonical labels
(kg.rdf.canon), lines are sorted and unique, and nothing records
a wall-clock time, so two builds of the same sources are byte-identical.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox

from kg.background import in_background
from kg.rdf.canon import canonical_blank_lines, split_line
from kg.rdf.engine import Engine
from kg.rdf.literals import rewritable, rewritable_line
from kg.rdf.turtle import TurtleWriter, turtle_bytes

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


_BATCH = 200_000  # quads serialised, or lines written, at a time


def _has_blank(quad: ox.Quad) -> bool:
    return (
        isinstance(quad.subject, ox.BlankNode | ox.Triple)
        or isinstance(quad.object, ox.BlankNode | ox.Triple)
        or isinstance(quad.graph_name, ox.BlankNode)
    )


# The end of an N-Triples line, put back on the triples of _triples_of and store_lines.
_TRIPLE_END = b" .\n"


def _sorted_unique(lines: list[bytes], end: bytes = b"\n") -> bytes:
    """Sort in place, drop empty and repeated lines, end each with ``end``."""
    lines.sort()
    return b"".join(_unique_chunks(lines, end))


def canonical_quads_bytes(quads: Iterable[ox.Quad]) -> bytes:
    """Canonical N-Quads of ``quads`` (UTF-8): canonical blank-node labels, sorted unique
    lines.

    Only the quads that mention a blank node take part in canonicalisation: a blank
    node's canonical label is a function of the quads that mention it (and, through
    them, of other blank nodes), never of ground quads. So the ground quads are
    serialised as they are and the (much smaller) rest is canonicalised; the result is
    the same text as canonicalising the whole dataset (tested), at a fraction of the
    cost on large data. Lines are handled as bytes (UTF-8 byte order is code point
    order), which halves the memory of str lines.
    """
    return _sorted_unique(canonical_lines(quads))


@dataclass
class StoreLines:
    """The canonical N-Quads lines of some graphs of an oxigraph engine, unsorted, each
    once and none empty (write_dumps relies on it): the ground ones, the lines with a
    blank node apart (their labels come from canonicalising every such line of the
    dataset together), and those canonicalised on their own (right when no other graph
    has a blank node)."""

    graphs: set[str]
    ground: list[bytes]
    blank: list[bytes]
    blank_lines: list[bytes]
    #: the ground lines' triples, each an N-Triples line without its final " ." (a
    #: triple held by several graphs comes once from each)
    triples: list[bytes] = field(default_factory=list)
    #: handed over (store_canonical_lines): its lists then belong to the caller
    taken: bool = False
    #: the engine's write count of each graph when its lines were made
    writes: dict[str, int] = field(default_factory=dict)


def store_lines(engine: Engine, graphs: Iterable[str]) -> StoreLines:
    """The lines of ``graphs`` from the engine's own dump of each (Engine.graph_dump: the
    oxigraph engine's Store writes it, no Python object per quad): every line is kept as
    written there except lines with a literal the Store may have rewritten (replaced by
    the quads as loaded, kg.rdf.literals); lines mentioning a blank node are kept apart
    for canonical labels (kg.rdf.canon). A graph at a time, so the whole dump is never
    held next to its lines."""
    out = StoreLines(set(), [], [], [])
    ground_quads: list[ox.Quad] = []
    blank_quads: list[ox.Quad] = []
    for name in graphs:
        out.graphs.add(name)
        out.writes[name] = engine.writes.get(name, 0)
        graph = ox.NamedNode(name)
        suffix = b" " + str(graph).encode("utf-8") + b" ."
        data, exact = engine.graph_dump(name)
        if not exact and b"_:" not in data and data.endswith(b" .\n"):
            # no blank node and no literal kept as written: every line as the Store
            # writes it, split at the line ends (no Python work per line but the join)
            triples = data[:-3].split(b" .\n")
            del data
            out.ground += [triple + suffix for triple in triples]
            out.triples += triples
            continue
        unsplit = []
        for line in data.split(b"\n"):
            if b"_:" in line:  # "_:" may also stand inside a literal or an IRI
                terms = split_line(line)
                if terms is None:
                    unsplit.append(line)
                elif not rewritable_line(line):
                    if terms[0].startswith(b"_:") or terms[2].startswith(b"_:"):
                        out.blank.append(line[:-2] + suffix)
                    else:
                        out.ground.append(line[:-2] + suffix)
                        out.triples.append(line[:-2])
            elif line and not rewritable_line(line):
                out.ground.append(line[:-2] + suffix)  # "<s> <p> <o> ." -> "... <g> ."
                out.triples.append(line[:-2])
        del data
        if unsplit:  # not as the Store writes lines: parse to know
            for t in ox.parse(b"\n".join(unsplit), format=ox.RdfFormat.N_TRIPLES):
                if not rewritable(t.object):
                    quad = ox.Quad(t.subject, t.predicate, t.object, graph)
                    (blank_quads if _has_blank(quad) else ground_quads).append(quad)
        for quad in exact:
            (blank_quads if _has_blank(quad) else ground_quads).append(quad)
    # the quads as written may repeat one (a file may state a triple twice); the Store's
    # own lines never do, nor meet these (those it rewrote are left out above)
    written = _unique(ox.serialize(ground_quads, format=ox.RdfFormat.N_QUADS).split(b"\n"))
    out.ground += written
    out.triples += _triples_of(written)
    if blank_quads:  # (an empty list here would still count as blank nodes to label)
        out.blank += ox.serialize(blank_quads, format=ox.RdfFormat.N_QUADS).split(b"\n")[:-1]
    out.blank_lines = _unique(canonical_blank_lines(out.blank))
    return out


def _prepared_lines(engine: Engine, graphs: list[str]) -> StoreLines:
    out = store_lines(engine, graphs)
    out.ground.sort()
    out.triples.sort()
    return out


def start_store_lines(engine: Engine, graphs: Iterable[str]) -> Future[StoreLines]:
    """:func:`store_lines` in a background thread, for graphs that will not change any
    more (the sources, once loaded), with the ground lines sorted and their triples'
    lines made (the default view's): the Store's dumps release the GIL, the rest shares
    it with stages that mostly run inside the Store (validation, derivation). Hand the
    result to :func:`write_dumps`. A daemon thread: a build that fails meanwhile does
    not wait for it."""
    return in_background(_prepared_lines, engine, list(graphs))


def store_canonical_lines(
    engine: Engine, prepared: Future[StoreLines] | None = None
) -> list[bytes]:
    """The lines of the canonical N-Quads of an oxigraph engine, unsorted (see
    store_lines); ``prepared``: the lines of some graphs already made
    (start_store_lines), the others are made now; if the engine has written to one of
    those graphs since, they are all made again. Prepared lines are used once: the
    returned list is theirs (no copy of millions of lines at scale)."""
    return _store_lines_and_triples(engine, prepared, triples=False)[0]


def _store_lines_and_triples(
    engine: Engine, prepared: Future[StoreLines] | None, triples: bool = True
) -> tuple[list[bytes], list[bytes]]:
    """store_canonical_lines, and (``triples``) every line's triple as an N-Triples line
    without its final " ." (the default view's, unsorted; prepared ones reused)."""
    done = prepared.result() if prepared is not None else StoreLines(set(), [], [], [])
    if done.taken:  # the lines are sorted and rewritten in place by write_dumps
        raise ValueError("these prepared dump lines were used already: prepare them again")
    done.taken = True
    if any(engine.writes.get(g, 0) != n for g, n in done.writes.items()):
        done = StoreLines(set(), [], [], [])  # a graph changed since: make every line now
    # (the named graphs only, as in Engine.dump_nquads: nothing writes to the default graph)
    rest = store_lines(engine, sorted(set(engine.graphs()) - done.graphs))
    # blank-node labels are canonical over the whole dataset
    blank_lines = (
        _unique(canonical_blank_lines(done.blank + rest.blank)) if rest.blank else done.blank_lines
    )
    rest.ground += blank_lines
    lines, made = done.ground, done.triples
    done.triples = []
    lines += rest.ground
    if triples:
        made += rest.triples
        made += _triples_of(blank_lines)
    return lines, made


def canonical_lines(quads: Iterable[ox.Quad]) -> list[bytes]:
    """The lines of the canonical N-Quads, unsorted (see canonical_quads_bytes). Ground
    quads are serialised a batch at a time, so neither a list of them nor the whole
    serialisation is ever held next to the lines."""
    lines: list[bytes] = []
    blank: list[ox.Quad] = []
    batch: list[ox.Quad] = []
    for quad in quads:
        if _has_blank(quad):
            blank.append(quad)
            continue
        batch.append(quad)
        if len(batch) >= _BATCH:
            lines += ox.serialize(batch, format=ox.RdfFormat.N_QUADS).split(b"\n")
            batch = []
    lines += ox.serialize(batch, format=ox.RdfFormat.N_QUADS).split(b"\n")
    blank_lines = ox.serialize(blank, format=ox.RdfFormat.N_QUADS).split(b"\n")
    return lines + canonical_blank_lines(blank_lines)


def canonical_quads(quads: Iterable[ox.Quad]) -> str:
    """Canonical N-Quads of ``quads`` as text (see canonical_quads_bytes)."""
    return canonical_quads_bytes(quads).decode("utf-8")


def canonical_nquads(nquads: str) -> str:
    """Canonical N-Quads: canonical blank-node labels, sorted unique lines."""
    return canonical_quads(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))


def canonical_dump_bytes(engine: Engine) -> bytes:
    """Canonical N-Quads (UTF-8) of everything an engine holds, literals as loaded."""
    return _sorted_unique(store_canonical_lines(engine))


def canonical_dump(engine: Engine) -> str:
    """Canonical N-Quads of everything an engine holds, literals exactly as loaded."""
    return canonical_dump_bytes(engine).decode("utf-8")


def _triples_of(lines: Iterable[bytes]) -> list[bytes]:
    """The triples of N-Quads lines of named graphs (lines end ``<graph> .``), each an
    N-Triples line without its final `` .``; empty lines left out."""
    return [line[: line.rindex(b" <", 0, len(line) - 2)] for line in lines if line]


def default_view_turtle_bytes(canonical: bytes) -> bytes:
    """Turtle of the union of all named graphs (deterministic for canonical input).

    The graph name is cut from each canonical line (N-Quads lines end ``<graph> .``), the
    triples deduplicated and sorted as text (so each subject's triples are adjacent) and
    written as kg.rdf.turtle writes the dump's Turtle.
    """
    # line by line: no list of every canonical line
    triples = _triples_of(line.rstrip(b"\n") for line in io.BytesIO(canonical))
    text = _sorted_unique(triples, _TRIPLE_END)  # already nearly sorted: linear
    del triples
    return turtle_bytes(text)


def default_view_turtle(canonical: str) -> str:
    """Turtle of the union of all named graphs, as text (see default_view_turtle_bytes)."""
    return default_view_turtle_bytes(canonical.encode("utf-8")).decode("utf-8")


def dumps(engine: Engine) -> tuple[str, str]:
    """The two dumps of a build: canonical N-Quads (every named graph) and the Turtle of
    the default view (their union)."""
    canonical = canonical_dump_bytes(engine)
    turtle = default_view_turtle_bytes(canonical)
    return canonical.decode("utf-8"), turtle.decode("utf-8")


def _unique_chunks(lines: list[bytes], end: bytes = b"\n") -> Iterator[bytes]:
    """Sorted ``lines`` as byte chunks, each line once (no empty line) and ended with
    ``end``, a chunk at a time."""
    previous = b""  # sorted: an empty line can only come first
    for start in range(0, len(lines), _BATCH):
        chunk = [line for line, _ in groupby(lines[start : start + _BATCH])]
        if chunk and chunk[0] == previous:  # empty, or the last line of the chunk before
            del chunk[0]
        if chunk:
            previous = chunk[-1]
            yield end.join(chunk) + end


def _unique(lines: Iterable[bytes]) -> list[bytes]:
    """``lines`` without empty and repeated ones, in their order."""
    return [line for line in dict.fromkeys(lines) if line]


def _write_lines(path: Path, lines: list[bytes]) -> int:
    """Write sorted, unique, non-empty ``lines`` newline-terminated, in chunks; a thread
    does the writing (the kernel copy runs without the GIL) while the next chunk is
    made."""
    written = 0
    with path.open("wb") as out, ThreadPoolExecutor(1, thread_name_prefix="govsm-write") as pool:
        pending: list[Future[int]] = []
        for start in range(0, len(lines), _BATCH):
            chunk = b"\n".join(lines[start : start + _BATCH]) + b"\n"
            pending.append(pool.submit(out.write, chunk))
            while len(pending) > 2:  # at most a few chunks in memory
                written += pending.pop(0).result()
        for future in pending:
            written += future.result()
    return written


def write_dumps(folder: Path, engine: Engine, prepared: Future[StoreLines] | None = None) -> int:
    """Write ``govsm.nq`` (canonical N-Quads) and ``govsm.ttl`` (the default view) into
    ``folder``; return the bytes written. Same bytes as :func:`dumps`, streamed: the
    canonical lines are sorted and written in chunks by a thread, while their triples
    (graph name cut; sorted, unique), split at a subject into two halves, go to two
    child processes that write the Turtle (kg.rdf.turtle: pyoxigraph's parser and
    serialiser hold the GIL, so they get cores of their own). ``prepared``: see
    store_canonical_lines."""
    folder.mkdir(parents=True, exist_ok=True)
    # two writers (start now, while the lines are made), each for one half
    target, rest = folder / "govsm.ttl", folder / ".govsm.ttl.rest"
    writers = [TurtleWriter(target), TurtleWriter(rest, body_only=True)]
    try:
        lines, triples = _store_lines_and_triples(engine, prepared)
        lines.sort()  # prepared lines come sorted: the rest is merged in (linear)
        triples.sort()
        half = _subject_boundary(triples, len(triples) // 2)
        fed = [
            in_background(writers[0].feed, _unique_chunks(triples[:half], _TRIPLE_END)),
            in_background(writers[1].feed, _unique_chunks(triples[half:], _TRIPLE_END)),
        ]
        del triples  # the feeding threads hold the halves until they are sent
        written = _write_lines(folder / "govsm.nq", lines)
        del lines
        for future in fed:
            future.result()
        written += writers[0].finish() + writers[1].finish()
        with rest.open("rb") as src, target.open("ab") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        rest.unlink()
        return written
    finally:
        for writer in writers:
            writer.stop()


def _subject_boundary(triples: list[bytes], at: int) -> int:
    """The first index from ``at`` on where the subject changes (or the end), in
    sorted N-Triples lines: no subject's triples are split there."""
    if at <= 0:
        return 0
    subject = triples[at - 1].split(b" ", 1)[0]
    while at < len(triples) and triples[at].split(b" ", 1)[0] == subject:
        at += 1
    return at


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def write_atomically(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmpdir)``, then put tmpdir in place of ``out`` in one step."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(0o755)
        write(tmp)
        if not out.exists():
            os.rename(tmp, out)
            return
        if not _exchange(tmp, out):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            os.rename(out, old)
            os.rename(tmp, out)
            tmp = old
    finally:
        # After a swap tmp holds the previous build; after a failure, the partial one.
        shutil.rmtree(tmp, ignore_errors=True)

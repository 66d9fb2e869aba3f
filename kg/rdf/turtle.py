"""The Turtle dump (the default view) written by processes of their own.

pyoxigraph's parser and serialiser hand every triple through Python objects, so making
the Turtle holds the GIL for most of its time, a time that grows with the data. In a
child process it runs on a second core while the build writes the N-Quads
dump; split at a subject into two halves, it takes two children (a subject's triples
stay together, so the halves' Turtle, the second without @prefix lines, put end to end
is the Turtle of the whole). A child reads sorted, unique N-Triples on its standard
input and writes the Turtle file; ``python -m kg.rdf.turtle TARGET [--body]`` is that child.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.prefixes import PREFIXES
from kg.rdf.lines import TRIPLE_END, sorted_unique, triples_of

# Prefixes whose slash IRIs would need escaping in Turtle (id:study\/x): written in full.
_TURTLE_FULL = {"id", "rule", "shape"}


def turtle_prefixes() -> dict[str, str]:
    """The prefixes the Turtle dump abbreviates with."""
    return {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_FULL}


def write_turtle(ntriples: BinaryIO, target: Path, body_only: bool = False) -> int:
    """Turtle of sorted, unique N-Triples read from ``ntriples``, written to ``target``
    with its @prefix lines sorted (their order is the serialiser's own), or without
    them (``body_only``: the continuation of a Turtle file split at a subject); its
    size."""
    with tempfile.TemporaryDirectory(prefix=".govsm-turtle-", dir=target.parent) as tmp:
        raw = Path(tmp) / "union.ttl"
        ox.serialize(
            ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
            str(raw),
            format=ox.RdfFormat.TURTLE,
            prefixes=turtle_prefixes(),
        )
        with raw.open("rb") as src, target.open("wb") as out:
            _copy_sorting_prefixes(src, out, body_only)
    return target.stat().st_size


def turtle_bytes(ntriples: bytes) -> bytes:
    """The Turtle write_turtle writes, of N-Triples held in memory."""
    raw = ox.serialize(
        ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
        format=ox.RdfFormat.TURTLE,
        prefixes=turtle_prefixes(),
    )
    out = io.BytesIO()
    _copy_sorting_prefixes(io.BytesIO(raw), out)
    return out.getvalue()


def default_view_turtle_bytes(canonical: bytes) -> bytes:
    """Turtle of the union of all named graphs of canonical N-Quads (deterministic).

    The graph name is cut from each canonical line (N-Quads lines end ``<graph> .``), the
    triples deduplicated and sorted as text (so each subject's triples are adjacent) and
    written as the dump's Turtle is written.
    """
    # line by line: no list of every canonical line
    triples = triples_of(line.rstrip(b"\n") for line in io.BytesIO(canonical))
    text = sorted_unique(triples, TRIPLE_END)  # already nearly sorted: linear
    del triples
    return turtle_bytes(text)


def default_view_turtle(canonical: str) -> str:
    """Turtle of the union of all named graphs, as text (see default_view_turtle_bytes)."""
    return default_view_turtle_bytes(canonical.encode("utf-8")).decode("utf-8")


def _copy_sorting_prefixes(src: BinaryIO, out: BinaryIO, body_only: bool = False) -> None:
    """Copy the serialiser's Turtle, its leading @prefix lines sorted (or left out)."""
    head: list[bytes] = []
    line = src.readline()
    while line.startswith(b"@prefix "):
        head.append(line)
        line = src.readline()
    if not body_only:
        out.write(b"".join(sorted(head)))
    out.write(line)
    shutil.copyfileobj(src, out, 1 << 20)


#: The exit code of a child whose write the file system refused ("ERRNO REASON" on stderr).
_OS_ERROR = 75


class TurtleWriter:
    """A child process (``python -m kg.rdf.turtle``) writing one Turtle file from the
    N-Triples chunks it is fed."""

    def __init__(self, target: Path, body_only: bool = False) -> None:
        self.target = target
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kg.rdf.turtle",
                str(target),
                *(["--body"] if body_only else []),
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Send the N-Triples (sorted, unique), then end the input."""
        assert self._process.stdin is not None
        # a broken pipe means the child failed: finish() says why
        with contextlib.suppress(BrokenPipeError):
            try:
                for chunk in chunks:
                    self._process.stdin.write(chunk)
            finally:
                with contextlib.suppress(BrokenPipeError):
                    self._process.stdin.close()

    def finish(self) -> int:
        """Wait for the child; the file's size. A child the file system refused raises
        that OSError (a full disk, say: the build names it); another failure raises
        RuntimeError with what it said."""
        assert self._process.stderr is not None
        err = self._process.stderr.read()  # the child writes there only when it fails
        self._process.wait()
        if self._process.returncode == _OS_ERROR:
            number, _, reason = err.decode("utf-8", "replace").strip().partition(" ")
            raise OSError(int(number), reason, str(self.target))
        if self._process.returncode != 0:
            message = err.decode("utf-8", "replace").strip()[-2000:]
            raise RuntimeError(f"writing {self.target.name} failed: {message}")
        return self.target.stat().st_size

    def stop(self) -> None:
        """End the child if it still runs (the build failed meanwhile)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def main(argv: list[str]) -> int:
    """``python -m kg.rdf.turtle TARGET [--body]``: N-Triples on standard input -> Turtle at
    TARGET (``--body``: without the @prefix lines)."""
    body_only = argv[1:] == ["--body"]
    if len(argv) not in (1, 2) or (len(argv) == 2 and not body_only):
        print("usage: python -m kg.rdf.turtle TARGET [--body] < union.nt", file=sys.stderr)
        return 2
    try:
        write_turtle(sys.stdin.buffer, Path(argv[0]), body_only)
    except OSError as exc:
        if exc.errno is None:
            raise
        print(exc.errno, exc.strerror, file=sys.stderr)  # TurtleWriter.finish raises it
        return _OS_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

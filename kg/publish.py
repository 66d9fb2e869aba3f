"""Publish: canonical dumps and the report, written atomically into dist/.

Everything is first written into a fresh temporary directory beside ``dist/``; only a
complete build is swapped into place (an atomic ``renameat2(RENAME_EXCHANGE)`` where the
kernel offers it, otherwise two renames). A failed or interrupted build removes its
temporary directory and leaves the previous ``dist/`` whole.

Canonical N-Quads: blank nodes (RDF lists of authors) get canonical labels
(oxigraph's dataset canonicalisation), lines are sorted and unique, and nothing records
a wall-clock time, so two builds of the same sources are byte-identical.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.engine import from_ox
from kg.prefixes import PREFIXES

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def canonical_nquads(nquads: str) -> str:
    """Canonical N-Quads: canonical blank-node labels, sorted unique lines."""
    dataset = ox.Dataset(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return "\n".join(lines) + "\n"


def default_view_turtle(canonical: str) -> str:
    """Turtle of the union of all named graphs (deterministic for canonical input)."""
    union = rdflib.Graph()
    for name, ns in PREFIXES.items():
        union.bind(name, ns, override=True, replace=True)
    for quad in ox.parse(canonical, format=ox.RdfFormat.N_QUADS):
        union.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return union.serialize(format="turtle")


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

"""The source files the loader reads: their formats, and how a file is handed to a
pyoxigraph parser or bulk loader (local files only: no remote contexts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

SOURCE_FORMATS = {
    ".ttl": (ox.RdfFormat.TURTLE, "turtle"),
    ".nt": (ox.RdfFormat.N_TRIPLES, "nt"),
}


#: What Windows editors may write at the start of a UTF-8 file; the RDF parsers refuse
#: it, so the loader reads such a file from just past it (source_input).
UTF8_BOM = b"\xef\xbb\xbf"


@contextmanager
def source_input(path: Path) -> Iterator[dict[str, Any]]:
    """The arguments that hand a source file to a pyoxigraph parser or bulk loader: its
    path (read natively), or, when it begins with a UTF-8 byte-order mark, the file
    opened just past it (line numbers are unchanged)."""
    with path.open("rb") as handle:
        if handle.read(len(UTF8_BOM)) == UTF8_BOM:
            yield {"input": handle}
            return
    yield {"path": str(path)}


def supported(path: Path) -> bool:
    """Whether a source file's format is one the loader reads (local, no remote contexts)."""
    return path.suffix in SOURCE_FORMATS

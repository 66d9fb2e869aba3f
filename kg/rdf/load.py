"""Load: parse every source file into one store, one named graph per file.

Every file is first parsed with the strict pyoxigraph parser (whatever the engine), so a
syntax error is reported as ``file:line:column: reason`` before anything is loaded or
written. Only local Turtle / N-Triples files are read; ``owl:imports`` is never followed
and no remote context is ever fetched (the ontology's imports are local files already
listed under ontology/). Other files in a data folder are listed with why they are not
read (:func:`unread_files`); a UTF-8 byte-order mark at the start of a file is skipped
(kg.rdf.sources.source_input); a file's graph IRI percent-encodes what an IRI may not
hold (:func:`graph_iri`: a space in a file name, say).
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes

import pyoxigraph as ox

from kg.config import ConfigError, Project, check_base, rewriter
from kg.rdf.engine import Engine, make_engine
from kg.rdf.sources import SOURCE_FORMATS, source_input, supported


class ParseError(Exception):
    """A source file is not well-formed RDF (line and column 0 when not known)."""

    def __init__(self, path: Path, line: int, column: int, reason: str) -> None:
        where = f":{line}:{column}" if line and column else f":{line}" if line else ""
        super().__init__(f"{path}{where}: {reason}")
        self.path, self.line, self.column, self.reason = path, line, column, reason


@dataclass(frozen=True)
class Source:
    """One source file and the named graph it is loaded into."""

    path: Path
    rel: str
    graph: str
    kind: str  # "ontology" or "data"


@dataclass
class Loaded:
    """A loaded engine and what went into it."""

    engine: Engine
    sources: list[Source]
    base: str


def graph_iri(base: str, rel: str) -> str:
    """Named-graph IRI of a source file: BASE graph/RELATIVE-PATH, with the characters
    an IRI may not hold percent-encoded (``my file.ttl`` -> ``my%20file.ttl``; see
    :func:`iri_path`)."""
    return f"{base}graph/{iri_path(rel)}"


#: ASCII characters a file's path keeps as written in its graph IRI (RFC 3987 iunreserved
#: and sub-delims, ":", "@" and "/"); "%", "?" and "#" are encoded: the IRI names the file.
_IRI_ASCII = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/")


def iri_path(rel: str) -> str:
    """A relative file path as an IRI path: a space, a control character, ``%``, ``?``,
    ``#`` and the other characters an IRI may not hold percent-encoded (UTF-8), the
    rest (letters of any script too) kept as written, so that every other name's IRI is
    the one it always had."""
    return "".join(
        c
        if c in _IRI_ASCII or (ord(c) > 0x9F and c.isprintable() and not 0xD800 <= ord(c) < 0xE000)
        else quote_from_bytes(os.fsencode(c), safe="")
        for c in rel
    )


def shapes_graph_iri(base: str, name: str) -> str:
    """Named-graph IRI of a published shapes file: BASE graph/shapes/FILE-NAME."""
    return f"{base}{SHAPES_GRAPHS}{name}"


#: Where the published shapes graphs live under the base (see add_shapes).
SHAPES_GRAPHS = "graph/shapes/"


def add_shapes(loaded: Loaded, files: list[Path]) -> list[str]:
    """Load the shapes files into the engine, each into its named graph
    (:func:`shapes_graph_iri`), so that the dumps, the endpoint and the site publish
    them; return the graph IRIs. Call it after validation: they are not among
    ``loaded.sources``, which validation reads as data and ontology."""
    rewrite = rewriter(loaded.base)
    graphs = []
    for path in files:
        graph = shapes_graph_iri(loaded.base, path.name)
        with parsing(Source(path, path.name, graph, "shapes")):
            loaded.engine.load(path, graph, rewrite)
        graphs.append(graph)
    return graphs


def derived_graph_iri(base: str, rule_stem: str) -> str:
    """Named-graph IRI of the results of one derivation rule."""
    return f"{base}graph/derived/{rule_stem}"


def _relative(path: Path, project: Project) -> str:
    for anchor in (project.root, *(d.parent for d in project.data), project.ontology.parent):
        try:
            return path.resolve().relative_to(anchor.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def discover_sources(project: Project, base: str) -> list[Source]:
    """Ontology files (ontology/**) then data files (data/**), sorted, as sources.
    ConfigError naming a data folder that does not exist or holds no RDF file (with the
    files it holds that are not read), so that a mistyped folder never builds an empty
    graph."""
    found: list[Source] = []
    for kind, roots in (("ontology", (project.ontology,)), ("data", project.data)):
        for root in roots:
            if not root.is_dir():
                if kind == "data":
                    raise ConfigError(f"data folder {root} does not exist")
                continue
            files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
            sources = [p for p in files if supported(p)]
            if kind == "data" and not sources:
                raise ConfigError(_no_rdf(root, files))
            for path in sources:
                rel = _relative(path, project)
                found.append(Source(path, rel, graph_iri(base, rel), kind))
    return found


#: Files a data folder may hold beside its RDF that are not data (its documentation).
DOCUMENTATION = frozenset({".md", ".txt"})


def unread_files(project: Project) -> list[Path]:
    """Files in the data folders that the load does not read (not RDF the loader reads,
    nor documentation: a .bib or .csv, say), sorted."""
    return sorted(
        p
        for root in project.data
        if root.is_dir()
        for p in root.rglob("*")
        if p.is_file()
        and not _hidden(p, root)
        and not supported(p)
        and p.suffix not in DOCUMENTATION
    )


#: RDF formats the loader does not read, by file suffix (lower case): what the warning
#: calls them. Such a file is listed, never loaded in part or skipped silently.
UNREAD_RDF = {
    ".rdf": "RDF/XML",
    ".owl": "RDF/XML",
    ".xml": "XML (RDF/XML?)",
    ".jsonld": "JSON-LD",
    ".json": "JSON (JSON-LD?)",
    ".nq": "N-Quads",
    ".trig": "TriG",
    ".n3": "N3",
    ".ttl": "Turtle",
    ".nt": "N-Triples",
}


def unread_reason(path: Path) -> str:
    """Why the loader does not read a file (one of :func:`unread_files`)."""
    kind = UNREAD_RDF.get(path.suffix.lower())
    if kind is None:
        return "not RDF"
    if path.suffix.lower() in SOURCE_FORMATS:
        return f"{kind} named {path.suffix}: the loader reads .ttl and .nt (lower case)"
    return f"{kind}: the loader reads Turtle (.ttl) and N-Triples (.nt) only; convert it"


def unread_note(project: Project, shown: int = 10) -> str | None:
    """``not read: FILE (why), ...`` for the files of the data folders the load does not
    read (the first ``shown``), or None when it reads them all."""
    unread = unread_files(project)
    if not unread:
        return None
    listed = ", ".join(f"{p} ({unread_reason(p)})" for p in unread[:shown])
    more = f" and {len(unread) - shown} more" if len(unread) > shown else ""
    return f"not read: {listed}{more}"


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _no_rdf(root: Path, files: list[Path]) -> str:
    """Why a data folder gives nothing to load."""
    kinds = ", ".join(sorted(SOURCE_FORMATS))
    if not files:
        return f"data folder {root} is empty: no RDF file ({kinds}) to load"
    listed = ", ".join(f"{p.relative_to(root)} ({unread_reason(p)})" for p in files[:10])
    more = f" and {len(files) - 10} more" if len(files) > 10 else ""
    return f"data folder {root} holds no RDF file ({kinds}); not read: {listed}{more}"


def _parse_error(source: Source, exc: SyntaxError) -> ParseError:
    reason = (exc.msg or str(exc)).splitlines()[0]
    return ParseError(source.path, exc.lineno or 0, exc.offset or 0, reason)


#: pyoxigraph's parsers refuse a token longer than their buffer (16 MiB) with this
#: MemoryError: a file's error, not the machine's.
_BUFFER_FULL = re.compile(r"buffer maximal size of (\d+)")


@contextmanager
def parsing(source: Source) -> Iterator[None]:
    """A block that parses ``source``: its syntax errors, and a term too long for the
    parser, raised as ParseError naming the file (and the line when known)."""
    try:
        yield
    except SyntaxError as exc:
        raise _parse_error(source, exc) from exc
    except MemoryError as exc:
        found = _BUFFER_FULL.search(str(exc))
        if found is None:
            raise
        limit = int(found.group(1))
        reason = (
            f"a term (a literal, say) longer than the parser's limit of {limit:,} bytes "
            f"({limit / 2**20:g} MiB): split it or keep it out of the RDF"
        )
        raise ParseError(source.path, _long_line(source.path, limit), 0, reason) from exc


def _long_line(path: Path, limit: int) -> int:
    """The number of the first line of ``path`` longer than ``limit`` bytes, 0 if none
    is (a literal longer than the limit may span lines)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if len(line.rstrip(b"\r\n")) > limit:
                return number
    return 0


def check_syntax(sources: list[Source]) -> None:
    """Parse every file strictly; raise ParseError naming file, line and column."""
    for source in sources:
        fmt = SOURCE_FORMATS[source.path.suffix][0]
        with parsing(source), source_input(source.path) as given:
            for _ in ox.parse(**given, format=fmt):
                pass


def _load_order(engine: Engine, sources: list[Source]) -> list[Source]:
    """The sources in the order the engine loads best: first those it would load early
    (Engine.loads_early), the rest after them; otherwise as discovered. Only the order
    changes: each file still goes to its own graph."""
    return sorted(sources, key=lambda source: not engine.loads_early(source.path))


def load(project: Project, base: str, engine: str = "oxigraph") -> Loaded:
    """Check, then load, every source into a fresh engine.

    An engine whose parser is the strict one the check uses (Engine.strict_parser)
    raises its own SyntaxError while loading, which is the check (one parse instead of
    two); another engine's parser reports errors differently, so its files are checked
    first.
    """
    check_base(base)
    sources = discover_sources(project, base)
    store = make_engine(engine)
    if not store.strict_parser:
        check_syntax(sources)
    rewrite = rewriter(base)
    with store.loading():
        for source in _load_order(store, sources):
            with parsing(source):
                store.load(source.path, source.graph, rewrite)
    return Loaded(store, sources, base)

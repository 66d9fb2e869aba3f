"""Load: parse every source file into one store, one named graph per file.

Every file is first parsed with the strict pyoxigraph parser (whatever the engine), so a
syntax error is reported as ``file:line:column: reason`` before anything is loaded or
written. Only local Turtle / N-Triples files are read; ``owl:imports`` is never followed
and no remote context is ever fetched (the ontology's imports are local files already
listed under ontology/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.config import ConfigError, Project, check_base, rewriter
from kg.rdf.engine import SOURCE_FORMATS, Engine, make_engine, supported


class ParseError(Exception):
    """A source file is not well-formed RDF."""

    def __init__(self, path: Path, line: int, column: int, reason: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {reason}")
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
    """Named-graph IRI of a source file: BASE graph/RELATIVE-PATH."""
    return f"{base}graph/{rel}"


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
        try:
            loaded.engine.load(path, graph, rewrite)
        except SyntaxError as exc:
            raise _parse_error(Source(path, path.name, graph, "shapes"), exc) from exc
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


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _no_rdf(root: Path, files: list[Path]) -> str:
    """Why a data folder gives nothing to load."""
    kinds = ", ".join(sorted(SOURCE_FORMATS))
    if not files:
        return f"data folder {root} is empty: no RDF file ({kinds}) to load"
    listed = ", ".join(str(p.relative_to(root)) for p in files[:10])
    more = f" and {len(files) - 10} more" if len(files) > 10 else ""
    return f"data folder {root} holds no RDF file ({kinds}); not read: {listed}{more}"


def _parse_error(source: Source, exc: SyntaxError) -> ParseError:
    reason = (exc.msg or str(exc)).splitlines()[0]
    return ParseError(source.path, exc.lineno or 0, exc.offset or 0, reason)


def check_syntax(sources: list[Source]) -> None:
    """Parse every file strictly; raise ParseError naming file, line and column."""
    for source in sources:
        try:
            for _ in ox.parse(path=str(source.path), format=SOURCE_FORMATS[source.path.suffix][0]):
                pass
        except SyntaxError as exc:
            raise _parse_error(source, exc) from exc


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
            try:
                store.load(source.path, source.graph, rewrite)
            except SyntaxError as exc:
                raise _parse_error(source, exc) from exc
    return Loaded(store, sources, base)

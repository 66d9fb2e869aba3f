"""Incremental validation for the editing loop: after one data file changes, re-check only
what that file can affect.

The cache (``<project>/.govsm-cache/validate/`` unless told otherwise) holds:

- ``encoded/`` and ``plain/``: on-disk pyoxigraph stores with one named graph per
  source file (the validation store with literals encoded, and the plain store the
  SPARQL-based constraints and check queries run on; see :mod:`kg.validation.fast`);
- ``files/``: a copy of each data file as last validated;
- ``compiled.json``: the compiled shapes (JSON: nothing in the cache is executed);
- ``state.json``: the SHA-256 of every source file, a digest of everything else the
  report depends on (shapes, check queries, base IRI, folders, this code), the time of
  the run and its report, each result with its origin (a Core result about its own focus
  node, or the query that gave it).

A run hashes every source file. Nothing changed: the cached report is given back. The
shapes, the check queries, the base, the code or any ontology file changed, or there is
no cache: everything is validated in memory and the stores are saved (a *full* run).
Otherwise each changed data file is cut at blank lines into statement blocks and compared
with its copy; only the blocks that differ are parsed, and the stores are patched with the
triples that differ. Blank nodes are named after the statement that holds them (so the
same statement gives the same quads in every run; a file that repeats such a statement,
or uses ``_:`` labels, is read whole, its blank nodes named by position).

The focus nodes to re-check are then:

- the subjects of the added and removed triples (a node whose own triples changed, or
  which gained or lost a target class), and their objects through predicates that shapes
  follow backwards (inverse paths);
- every node that reaches one of those within the longest path the compiled shapes look
  along (``Compiled.radius``: path length plus one hop for ``sh:class``, nested shapes
  included), walking the shapes' predicates backwards, in the new graph and through the
  removed triples.

The compiled Core constraints whose results are about their own focus nodes run for those
nodes only (``?this`` bound by substitution, and only the queries whose targets the node
matches); their previous results for every other focus node are kept. A SPARQL-based
constraint, a check query, or a Core query whose results are about other nodes
(``sh:property`` nested in a property shape) re-runs over everything when its patterns
use a predicate of a changed triple (always, when a pattern has a variable predicate),
else its previous results are kept. A change to ``rdfs:subClassOf``, a path of unbounded
length (``sh:zeroOrMorePath``...) or a possible literal focus node make the Core part
run in full (from the patched stores, without re-reading any other file).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import re
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.namespace import RDFS

from kg.config import Project, check_base, rewriter
from kg.rdf.load import Source, check_syntax, discover_sources
from kg.validation.compiler import Compiled, CompiledQuery, compile_shapes, decode, encode_quads
from kg.validation.core import (
    CheckQuery,
    ValidationReport,
    ValidationResult,
    fallback_notes,
    load_checks,
    load_shapes,
    result_order,
    shape_files,
    term_str,
)
from kg.validation.fast import (
    Stores,
    iter_compiled,
    run_checks_ox,
    run_fallback,
    source_files,
)

#: Bumped when the cache layout or its meaning changes.
CACHE_FORMAT = 1
_OWL_IMPORTS = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")
_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_CODE = ("compiler.py", "fast.py", "core.py", "incremental.py")
_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}


def default_cache_dir(project: Project) -> Path:
    """``<project root>/.govsm-cache/validate``."""
    return project.root / ".govsm-cache" / "validate"


@dataclass
class Outcome:
    """What an incremental run did."""

    report: ValidationReport
    mode: str  # "full", "incremental" or "unchanged"
    reason: str = ""
    changed: list[str] = field(default_factory=list)
    rechecked: int = 0
    since: str = ""

    def summary(self) -> str:
        """One line for the user: what was re-checked and why."""
        if self.mode == "unchanged":
            return f"no source file changed since {self.since}: previous report"
        if self.mode == "full":
            return f"validated everything ({self.reason})"
        files = ", ".join(self.changed)
        return (
            f"re-checked {self.rechecked} focus node(s) from {files}; "
            f"others unchanged since {self.since}"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def config_digest(project: Project, base: str) -> str:
    """Everything but the data that the report depends on."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\n{base}\n".encode())
    files = list(shape_files(project.shapes))
    if project.checks.is_dir():
        files += sorted(project.checks.glob("*-violation.rq"))
    here = Path(__file__).resolve().parent
    files += [here / name for name in _CODE]
    for path in files:
        digest.update(f"{path.name}\n".encode())
        digest.update(path.read_bytes())
    for folder in (project.ontology, *project.data):
        digest.update(f"{folder.resolve()}\n".encode())
    return digest.hexdigest()


_DIRECTIVE_LINE = re.compile(
    r"^[ \t]*(?:@prefix|@base|PREFIX|BASE)\b[^\n]*$", re.IGNORECASE | re.MULTILINE
)
_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


@dataclass
class Split:
    """A data file cut into statement blocks (at blank lines), with its directives."""

    header: str
    blocks: list[str]
    whole: bool  # not cut: the file is one block (labelled blank nodes, odd layout)


def split_blocks(text: str, suffix: str) -> Split:
    """Cut ``text`` at blank lines; directives (@prefix...) go to the header. A file with
    ``_:`` labels (a blank node shared between statements) stays whole."""
    if "_:" in text:
        return Split("", [text], True)
    if suffix == ".nt":
        return Split("", [line for line in text.splitlines() if line.strip()], False)
    # Directives anywhere in the file go to the header (one pass over the text).
    head = [m.group(0) for m in _DIRECTIVE_LINE.finditer(text)]
    if head:
        text = _DIRECTIVE_LINE.sub("", text)
    blocks = []
    for block in _BLANK_LINE.split(text):
        first = block.lstrip()[:1]
        if first and (first != "#" or _CONTENT.search(block)):
            blocks.append(block.strip("\n"))
    return Split("\n".join(head) + "\n", blocks, False)


def _moved(q: ox.Quad, graph: ox.NamedNode, rewrite: Callable[[str], str] | None) -> ox.Quad:
    s, o = q.subject, q.object
    if rewrite is not None:
        if isinstance(s, ox.NamedNode):
            s = ox.NamedNode(rewrite(s.value))
        if isinstance(o, ox.NamedNode):
            o = ox.NamedNode(rewrite(o.value))
    return ox.Quad(s, q.predicate, o, graph)


_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^>\s]*>|\#[^\n]*|[\[\]()]|\.(?=\s|$)"
)


def statements(block: str) -> list[str]:
    """The top-level statements of a Turtle block (cut after each "." outside strings,
    IRIs, comments and brackets); the block itself when it has no blank-node syntax or
    cannot be cut safely."""
    if "[" not in block and "(" not in block:
        return [block]
    cuts, depth, start = [], 0, 0
    for m in _TOKEN.finditer(block):
        token = m.group(0)
        if token in ("[", "("):
            depth += 1
        elif token in ("]", ")"):
            depth -= 1
            if depth < 0:
                return [block]
        elif token == "." and depth == 0:
            cuts.append(block[start : m.end()].strip())
            start = m.end()
    if depth != 0 or block[start:].strip():
        return [block]
    return cuts or [block]


class _Namer:
    """Blank nodes of one block named ``b<block hash>n<order of appearance>``."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.names: dict[ox.BlankNode, ox.BlankNode] = {}

    def __call__(self, term: ox.BlankNode) -> ox.BlankNode:
        found = self.names.get(term)
        if found is None:
            found = self.names[term] = ox.BlankNode(f"b{self.stem}n{len(self.names)}")
        return found


class BlockError(Exception):
    """A block does not parse on its own (the cut was not at a statement boundary)."""


def parse_blocks(split: Split, blocks: Iterable[str], source: Source, base: str) -> list[ox.Quad]:
    """The triples of ``blocks`` in the file's named graph, instance IRIs moved to
    ``base`` and blank nodes named after their block (same text, same names: so the
    triples of an unchanged block are the same quads in every run)."""
    rewrite = rewriter(base)
    graph = ox.NamedNode(source.graph)
    fmt = _FORMATS[source.path.suffix]
    out: list[ox.Quad] = []
    blocks = list(blocks)
    # Blocks without "[", "(" or "_:" have no blank nodes: those are parsed in one go
    # (one parse per block is what costs when a whole file is read).
    simple = [b for b in blocks if "[" not in b and "(" not in b and "_:" not in b]
    if len(simple) > 1:
        try:
            parsed = ox.parse((split.header + "\n\n".join(simple)).encode(), format=fmt)
            out += [_moved(q, graph, rewrite) for q in parsed if q.predicate != _OWL_IMPORTS]
            blocks = [b for b in blocks if not ("[" not in b and "(" not in b and "_:" not in b)]
        except SyntaxError:
            out = []  # parsed one by one below, so that the failing block is known
    # A block with blank nodes is parsed statement by statement, each naming its blank
    # nodes after its own text: editing one statement of a block (a study's title)
    # leaves the blank nodes of the others (its author list) as they were.
    pieces = blocks if split.whole else [p for block in blocks for p in statements(block)]
    named = [p for p in pieces if "[" in p or "(" in p]
    if len(set(named)) != len(named) and not split.whole:
        # The same statement twice would give its blank nodes the same names twice.
        raise BlockError(f"{source.rel}: a statement with blank nodes is repeated")
    for piece in pieces:
        text = split.header + piece
        name = _Namer(hashlib.sha1(f"{source.graph}\n{text}".encode()).hexdigest()[:20])

        try:
            parsed = list(ox.parse(text.encode(), format=fmt))
        except SyntaxError as exc:
            raise BlockError(f"{source.rel}: {exc}") from exc
        for q in parsed:
            if q.predicate == _OWL_IMPORTS:
                continue
            s, o = q.subject, q.object
            if isinstance(s, ox.BlankNode):
                s = name(s)
            elif rewrite is not None and isinstance(s, ox.NamedNode):
                s = ox.NamedNode(rewrite(s.value))
            if isinstance(o, ox.BlankNode):
                o = name(o)
            elif rewrite is not None and isinstance(o, ox.NamedNode):
                o = ox.NamedNode(rewrite(o.value))
            out.append(ox.Quad(s, q.predicate, o, graph))
    return out


def read_file(source: Source, base: str) -> tuple[Split, list[ox.Quad], list[str]]:
    """A source file cut into blocks, its quads, and the triples two blocks both state
    (as strings: removing one of those blocks must not remove the triple)."""
    text = source.path.read_text(encoding="utf-8")
    split = split_blocks(text, source.path.suffix)
    try:
        quads = parse_blocks(split, split.blocks, source, base)
    except BlockError:
        split = Split("", [text], True)
        quads = parse_blocks(split, split.blocks, source, base)
    seen: set[ox.Quad] = set()
    dups = set()
    for q in quads:
        if q in seen:
            dups.add(str(q))
        seen.add(q)
    return split, quads, sorted(dups)


class _Cache:
    """The cache folder: two on-disk stores, copies of the data files, the state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_path = folder / "state.json"
        self.files = folder / "files"

    def read_state(self) -> dict | None:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if state.get("format") == CACHE_FORMAT else None

    def write_state(self, state: dict) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_path)  # atomic: a crash leaves no half-written state

    def invalidate(self) -> None:
        with contextlib.suppress(OSError):
            self.state_path.unlink()

    def copy_path(self, rel: str) -> Path:
        return self.files / (hashlib.sha1(rel.encode()).hexdigest() + ".txt")

    def keep_copy(self, source: Source) -> None:
        self.files.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.path, self.copy_path(source.rel))

    @contextlib.contextmanager
    def stores(self) -> Iterator[Stores]:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            stores = self._open()
        except OSError:
            gc.collect()  # a store of an earlier run in this process may await collection
            try:
                stores = self._open()
            except OSError as exc:
                raise CacheBusy(f"{self.folder}: {exc}") from exc
        try:
            yield stores
        finally:
            # pyoxigraph closes (and unlocks) a store when the object is collected.
            stores.encoded = stores.plain = None  # type: ignore[assignment]
            del stores
            gc.collect()

    def _open(self) -> Stores:
        encoded = ox.Store(str(self.folder / "encoded"))
        plain = ox.Store(str(self.folder / "plain"))
        return Stores(encoded, plain, [])


class CacheBusy(Exception):
    """Another process holds the cache (its stores are locked)."""


def validate_incremental(
    project: Project,
    base: str,
    cache_dir: Path | None = None,
    full: bool = False,
) -> Outcome:
    """Validate ``project`` with the fast path, re-checking only what changed since the
    cached run (see the module docstring); ``full`` ignores the cache and refreshes it."""
    check_base(base)
    cache = _Cache(cache_dir or default_cache_dir(project))
    sources = discover_sources(project, base)
    digests = {s.rel: _sha256(s.path) for s in sources}
    config = config_digest(project, base)
    state = None if full else cache.read_state()
    reason = "asked for" if full else "no previous run"
    if state is not None and state.get("config") != config:
        state, reason = None, "the shapes, check queries, base or validation code changed"
    changed: list[str] = []
    if state is not None:
        old = state["files"]
        changed = sorted(
            {rel for rel in digests if old.get(rel, {}).get("sha256") != digests[rel]}
            | (set(old) - set(digests))
        )
        kinds = {s.rel: s.kind for s in sources} | {r: v["kind"] for r, v in old.items()}
        if not changed:
            report = ValidationReport(
                [ValidationResult(**r) for r in state["results"]],
                fallback_notes(state.get("fallback", {})),
            )
            return Outcome(report, "unchanged", since=state["time"])
        if any(kinds[rel] != "data" for rel in changed):
            state, reason = None, "an ontology file changed"
    # A full run checks every file first (file:line:column errors); an incremental run
    # parses only the changed blocks and checks the whole file when one does not parse.
    if state is None:
        check_syntax(sources)
    compiled, shapes, checks, predicates = _compiled(cache, config, project)
    cache.invalidate()  # a run that stops half-way leaves no state to trust
    with cache.stores() as stores:
        stores.graphs = [ox.NamedNode(s.graph) for s in sources]
        files_state: dict[str, dict] = {}
        if state is None:
            # Validated in memory (on-disk stores answer more slowly), then saved.
            memory = Stores(ox.Store(), ox.Store(), stores.graphs)
            files_state = _load_all(cache, memory, sources, base)
            # The copy to disk runs beside the validation (pyoxigraph releases the GIL).
            saver = threading.Thread(target=_save, args=(memory, stores))
            saver.start()
            try:
                results = _run(memory, compiled, shapes, checks, None, None)
                results = list(zip(*_finish(memory, rel_of(sources), results), strict=True))
            finally:
                saver.join()
            outcome = Outcome(ValidationReport([]), "full", reason=reason)
        else:
            files_state = {r: dict(v) for r, v in state["files"].items() if r in digests}
            by_rel = {s.rel: s for s in sources}
            added: list[ox.Quad] = []
            removed: list[ox.Quad] = []
            for name in changed:
                if name in by_rel:
                    # The entry _patch updates (blank-node mode, repeated triples) is the
                    # one saved.
                    entry = files_state.setdefault(name, {})
                    entry.update(_file_entry(by_rel[name]))
                else:
                    entry = state["files"][name]  # a file that is gone
                a, r = _patch(cache, stores, by_rel.get(name), entry, base)
                added += a
                removed += r
            focus = _affected(stores, compiled, added, removed)
            touched = {q.predicate.value for q in (*added, *removed)}
            results, outcome = _rerun(
                state, stores, compiled, shapes, checks, focus, touched, predicates
            )
            outcome.changed, outcome.since = changed, state["time"]
        for rel_name, digest in digests.items():
            files_state.setdefault(rel_name, {})["sha256"] = digest
        rel = {s.graph: s.rel for s in sources if s.kind == "data"}
        report_results, origins = _finish(stores, rel, results)  # (no-op when done)
        outcome.report = ValidationReport(report_results, fallback_notes(compiled.fallback))
        cache.write_state(
            {
                "format": CACHE_FORMAT,
                "config": config,
                "time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "files": files_state,
                "results": [dict(vars(r)) for r in report_results],
                "origins": origins,
                "fallback": compiled.fallback,
            }
        )
    return outcome


def _file_entry(source: Source) -> dict:
    return {"kind": source.kind, "graph": source.graph}


def _finish(
    stores: Stores, rel: dict[str, str], results: list[tuple[ValidationResult, str]]
) -> tuple[list[ValidationResult], list[str]]:
    """Results with their source files, in report order, and their origins."""
    # Kept results keep their file: a focus node whose triples changed is re-checked.
    missing = [r.focus for r, _ in results if r.source_file is None]
    sources_of = source_files(stores, rel, missing)
    with_files = [
        r if r.source_file is not None else replace(r, source_file=sources_of.get(r.focus))
        for r, _ in results
    ]
    pairs = sorted(
        zip(with_files, (o for _, o in results), strict=True), key=lambda p: result_order(p[0])
    )
    return [r for r, _ in pairs], [o for _, o in pairs]


def _rerun(
    state: dict,
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    checks: list[CheckQuery],
    focus: set | None,
    touched: set[str],
    predicates: dict[str, list[str] | None],
) -> tuple[list[tuple[ValidationResult, str]], Outcome]:
    """Re-check ``focus`` (everything when None) and the queries whose triple patterns
    could match a changed triple; keep the rest of the previous report."""
    old = list(zip(state["results"], state["origins"], strict=True))
    if focus is None:
        results = _run(stores, compiled, shapes, checks, None, None)
        outcome = Outcome(
            ValidationReport([]), "full", reason="the change reaches too far for a partial re-check"
        )
        return results, outcome
    rerun = {"fallback"} | {
        origin for origin, preds in predicates.items() if preds is None or set(preds) & touched
    }
    names = {term_str(decode(n)) for n in focus}
    kept = [
        # A kept result about a re-checked node may now come from another file.
        (ValidationResult(**{**r, "source_file": None} if r["focus"] in names else r), origin)
        for r, origin in old
        if (origin == OWN and r["focus"] not in names) or (origin != OWN and origin not in rerun)
    ]
    by_query = _focus_by_query(stores, compiled, focus)
    results = kept + _run(stores, compiled, shapes, checks, by_query, rerun)
    return results, Outcome(ValidationReport([]), "incremental", rechecked=len(focus))


OWN = "own"  # origin of a Core result about its own focus node


def _origin(i: int, cq: CompiledQuery) -> str:
    return OWN if cq.kind == "core" and cq.restrictable else f"query:{i}"


def _compiled(
    cache: _Cache, config: str, project: Project
) -> tuple[Compiled, Graph, list[CheckQuery], dict[str, list[str] | None]]:
    """The compiled shapes, the shapes graph (read only when some shape is left to
    pySHACL), the check queries and, for each query that is not about its own focus
    nodes, the predicates it reads; from the cache (JSON, never code) when the
    configuration is unchanged."""
    path = cache.folder / "compiled.json"
    checks = load_checks(project.checks) if project.checks.is_dir() else []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["config"] == config:
            compiled = compiled_from_json(data["compiled"])
            shapes = load_shapes(project.shapes) if compiled.fallback else Graph()
            return compiled, shapes, checks, data["predicates"]
    shapes = load_shapes(project.shapes)
    compiled = compile_shapes(shapes)
    predicates: dict[str, list[str] | None] = {}
    for i, cq in enumerate(compiled.queries):
        origin = _origin(i, cq)
        if origin != OWN:
            found = query_predicates(cq.sparql) if cq.kind == "sparql" else None
            predicates[origin] = sorted(found) if found is not None else None
    for check in checks:
        found = query_predicates(check.text)
        predicates[f"check:{check.name}"] = sorted(found) if found is not None else None
    cache.folder.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"config": config, "compiled": compiled_to_json(compiled), "predicates": predicates}
        ),
        encoding="utf-8",
    )
    return compiled, shapes, checks, predicates


def _literals_to_json(messages: list[Literal]) -> list[list[str | None]]:
    return [[str(m), m.language] for m in messages]


def _literals_from_json(items: list[list[str | None]]) -> list[Literal]:
    return [Literal(text, lang=lang) for text, lang in items]


def _group_from_json(group: list[str] | None) -> tuple[str, str] | None:
    return (group[0], group[1]) if group is not None else None


#: CompiledQuery fields that JSON cannot hold as they are: name -> (to JSON, from JSON).
#: Every other field is kept as it is (so that a new field cannot be left out).
_QUERY_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "messages": (_literals_to_json, _literals_from_json),
    "sparql_message": (_literals_to_json, _literals_from_json),
    "group": (lambda group: group, _group_from_json),  # a tuple comes back as a list
}
#: Shapes-graph nodes, left out of the cache: ``shape_name`` and ``path_text`` say what
#: the report needs of them.
_QUERY_NODES = ("shape", "path")
#: Compiled fields that are sets (kept as sorted lists).
_COMPILED_SETS = ("predicates", "inverse_predicates")


def compiled_to_json(compiled: Compiled) -> dict:
    """A JSON form of the compiled shapes, field by field of the dataclasses."""
    queries = []
    for q in compiled.queries:
        item = {}
        for f in fields(CompiledQuery):
            if f.name not in _QUERY_NODES:
                to_json = _QUERY_CODECS.get(f.name, (None, None))[0]
                value = getattr(q, f.name)
                item[f.name] = to_json(value) if to_json is not None else value
        queries.append(item)
    out: dict[str, Any] = {"queries": queries}
    for f in fields(Compiled):
        if f.name != "queries":
            value = getattr(compiled, f.name)
            out[f.name] = sorted(value) if f.name in _COMPILED_SETS else value
    return out


def compiled_from_json(data: dict) -> Compiled:
    """The inverse of :func:`compiled_to_json`."""
    queries = []
    for item in data["queries"]:
        values = dict.fromkeys(_QUERY_NODES)
        for name, value in item.items():
            from_json = _QUERY_CODECS.get(name, (None, None))[1]
            values[name] = from_json(value) if from_json is not None else value
        queries.append(CompiledQuery(**values))
    values = {
        f.name: set(data[f.name]) if f.name in _COMPILED_SETS else data[f.name]
        for f in fields(Compiled)
        if f.name != "queries"
    }
    return Compiled(queries=queries, **values)


def query_predicates(text: str) -> set[str] | None:
    """The predicate IRIs a SPARQL query's patterns (and property paths) use; None when
    a pattern has a variable predicate or the query cannot be read."""
    from rdflib.paths import Path as RdfPath
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import URIRef, Variable

    from kg.validation.compiler import fill_subclasses

    text = fill_subclasses(text, lambda cls: [cls])
    try:
        query = prepareQuery(text)
    except Exception:  # noqa: BLE001 - rdflib raises parser-specific types
        return None
    found: set[str] = set()
    variable = False

    def path_iris(path: object) -> None:
        if isinstance(path, URIRef):
            found.add(str(path))
        elif isinstance(path, RdfPath):
            for attr in ("path", "args", "arg"):
                inner = getattr(path, attr, None)
                if isinstance(inner, list | tuple):
                    for p in inner:
                        path_iris(p)
                elif inner is not None:
                    path_iris(inner)

    def walk(node: object, depth: int = 0) -> None:
        nonlocal variable
        if depth > 200:
            variable = True
            return
        if isinstance(node, dict):
            triples = node.get("triples") if hasattr(node, "name") else None
            if triples:
                for p in _predicates_of(triples):
                    if isinstance(p, Variable):
                        variable = True
                    else:
                        path_iris(p)
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value, depth + 1)

    walk(query.algebra)
    return None if variable else found


def _predicates_of(triples: list) -> list:
    """Predicates of a list of triples, given as 3-tuples (algebra) or as flat lists of
    terms (the parser's triples blocks inside EXISTS)."""
    out = []
    for item in triples:
        if isinstance(item, tuple | list) and len(item) == 3 and not isinstance(item[0], list):
            out.append(item[1])
        elif isinstance(item, list):
            out += [item[i] for i in range(1, len(item), 3)]
    return out


def rel_of(sources: list[Source]) -> dict[str, str]:
    """Graph IRI -> relative path of each data file."""
    return {s.graph: s.rel for s in sources if s.kind == "data"}


def _save(memory: Stores, disk: Stores) -> None:
    """Copy the in-memory stores into the (emptied) on-disk ones, one bulk load each."""
    for source, target in ((memory.encoded, disk.encoded), (memory.plain, disk.plain)):
        target.clear()
        target.bulk_extend(list(source.quads_for_pattern(None, None, None, None)))
        target.flush()


def _load_all(cache: _Cache, stores: Stores, sources: list[Source], base: str) -> dict[str, dict]:
    """Load every source file into both (emptied) stores; the files' cache entries."""
    stores.encoded.clear()
    stores.plain.clear()
    quads: list[ox.Quad] = []
    entries: dict[str, dict] = {}
    for source in sources:
        split, file_quads, dups = read_file(source, base)
        quads += file_quads
        cache.keep_copy(source)
        entries[source.rel] = {**_file_entry(source), "dups": dups, "whole": split.whole}
    # One bulk load per store: each call writes its own files on disk.
    stores.encoded.bulk_extend(encode_quads(quads))
    stores.plain.bulk_extend(quads)
    return entries


def _patch(
    cache: _Cache, stores: Stores, source: Source | None, entry: dict | None, base: str
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Bring one file's graph up to date in both stores, changing only the blocks that
    changed; the (encoded) quads added and removed."""
    old_text = ""
    if source is not None and entry is not None and entry.get("sha256"):  # known before
        with contextlib.suppress(OSError):
            old_text = cache.copy_path(source.rel).read_text(encoding="utf-8")
    if source is None:  # the file is gone
        if not entry or "graph" not in entry:
            return [], []
        graph = ox.NamedNode(entry["graph"])
        removed = list(stores.encoded.quads_for_pattern(None, None, None, graph))
        for store in (stores.encoded, stores.plain):
            if store.contains_named_graph(graph):
                store.remove_graph(graph)
        return [], removed
    new_text = source.path.read_text(encoding="utf-8")
    old_split = split_blocks(old_text, source.path.suffix)
    new_split = split_blocks(new_text, source.path.suffix)
    if (
        entry is None
        or not old_text
        or entry.get("whole")
        or old_split.whole
        or new_split.whole
        or old_split.header != new_split.header
    ):
        return _replace(cache, stores, source, base, entry)
    before, after = Counter(old_split.blocks), Counter(new_split.blocks)
    gone_blocks = [b for b, n in before.items() for _ in range(n - after.get(b, 0))]
    came_blocks = [b for b, n in after.items() for _ in range(n - before.get(b, 0))]
    try:
        gone = parse_blocks(old_split, gone_blocks, source, base)
        came = parse_blocks(new_split, came_blocks, source, base)
    except BlockError:
        check_syntax([source])  # a real syntax error: reported with file, line and column
        return _replace(cache, stores, source, base, entry)
    gone_subjects = {q.subject for q in gone if isinstance(q.subject, ox.BlankNode)}
    for q in came:
        if (
            isinstance(q.subject, ox.BlankNode)
            and q.subject not in gone_subjects
            and next(stores.encoded.quads_for_pattern(q.subject, None, None, None), None)
        ):
            # A new statement repeats an unchanged one (same text, same blank-node
            # names): the whole file is read again, its blank nodes named by position.
            return _replace(cache, stores, source, base, entry)
    dups = set(entry.get("dups", ()))
    came_set = set(came)
    gone_net = [q for q in dict.fromkeys(gone) if q not in came_set]
    if any(str(q) in dups for q in gone_net):
        return _replace(cache, stores, source, base, entry)
    gone_set = set(gone)
    came_net = []
    for q in dict.fromkeys(came):
        if q in gone_set:
            continue
        # Another (unchanged) block of this file states it too. Asked of the encoded
        # store: the plain one would equate "05"^^xsd:integer with "5"^^xsd:integer.
        if encode_quads([q])[0] in stores.encoded:
            dups.add(str(q))
            continue
        came_net.append(q)
    for q in gone_net:
        stores.plain.remove(q)
    stores.plain.extend(came_net)
    gone_enc, came_enc = encode_quads(gone_net), encode_quads(came_net)
    for q in gone_enc:
        stores.encoded.remove(q)
    stores.encoded.extend(came_enc)
    entry["dups"] = sorted(dups)
    cache.keep_copy(source)
    return came_enc, gone_enc


def _replace(
    cache: _Cache, stores: Stores, source: Source, base: str, entry: dict | None
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Re-read a whole file (its layout changed too much to patch block by block)."""
    check_syntax([source])
    graph = ox.NamedNode(source.graph)
    old = set(stores.encoded.quads_for_pattern(None, None, None, graph))
    split, quads, dups = read_file(source, base)
    for store in (stores.encoded, stores.plain):
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
    new_enc = encode_quads(quads)
    stores.encoded.extend(new_enc)
    stores.plain.extend(quads)
    if entry is not None:
        entry["dups"], entry["whole"] = dups, split.whole
    cache.keep_copy(source)
    new = set(new_enc)
    return list(new - old), list(old - new)


def _affected(
    stores: Stores, compiled: Compiled, added: list[ox.Quad], removed: list[ox.Quad]
) -> set | None:
    """The focus nodes to re-check (store terms); None when the Core constraints must
    run in full."""
    if compiled.radius is None or compiled.literal_focus:
        return None
    forward = {ox.NamedNode(p) for p in compiled.predicates}
    backward = {ox.NamedNode(p) for p in compiled.inverse_predicates}
    seeds: set = set()
    for q in (*added, *removed):
        if q.predicate == _SUBCLASS_OF:
            return None
        seeds.add(q.subject)
        if q.predicate in backward and not isinstance(q.object, ox.Literal):
            seeds.add(q.object)
    removed_by_object: dict = {}
    removed_by_subject: dict = {}
    for q in removed:
        removed_by_object.setdefault(q.object, []).append(q)
        removed_by_subject.setdefault(q.subject, []).append(q)
    reached = set(seeds)
    frontier = set(seeds)
    for _ in range(max(compiled.radius - 1, 0)):
        step = set()
        for node in frontier:
            for q in (
                *stores.encoded.quads_for_pattern(None, None, node, None),
                *removed_by_object.get(node, ()),
            ):
                if q.predicate in forward:
                    step.add(q.subject)
            if backward:
                for q in (
                    *stores.encoded.quads_for_pattern(node, None, None, None),
                    *removed_by_subject.get(node, ()),
                ):
                    if q.predicate in backward and not isinstance(q.object, ox.Literal):
                        step.add(q.object)
        frontier = step - reached
        reached |= frontier
    return reached


def _focus_by_query(stores: Stores, compiled: Compiled, nodes: set) -> dict[int, list]:
    """For each query about its own focus nodes, those of ``nodes`` its shape targets
    (by class, with the superclasses of the node's types; by node; by property)."""
    supers: dict[ox.NamedNode, set[str]] = {}

    def closure(cls: ox.NamedNode) -> set[str]:
        if cls not in supers:
            rows = stores.encoded.query(
                f"SELECT DISTINCT ?c WHERE {{ <{cls.value}> <{_SUBCLASS_OF.value}>* ?c }}",
                use_default_graph_as_union=True,
            )
            supers[cls] = {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}
            supers[cls].add(cls.value)
        return supers[cls]

    info = []
    for node in nodes:
        types: set[str] = set()
        for q in stores.encoded.quads_for_pattern(node, _RDF_TYPE, None, None):
            if isinstance(q.object, ox.NamedNode):
                types |= closure(q.object)
        key = f"<{node.value}>" if isinstance(node, ox.NamedNode) else None
        info.append((node, types, key))
    out: dict[int, list] = {}
    for i, cq in enumerate(compiled.queries):
        if _origin(i, cq) != OWN:
            continue
        spec = cq.targets
        classes, named = set(spec.get("class", ())), set(spec.get("node", ()))
        props = [ox.NamedNode(p) for p in spec.get("subjectsOf", ())]
        hits = [
            node
            for node, types, key in info
            if not spec
            or types & classes
            or (key is not None and key in named)
            or any(next(stores.encoded.quads_for_pattern(node, p, None, None), None) for p in props)
        ]
        if hits:
            out[i] = hits
    return out


def _run(
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    checks: list[CheckQuery],
    focus: dict[int, list] | None,
    rerun: set[str] | None,
) -> list[tuple[ValidationResult, str]]:
    """(result, origin) for the compiled queries (own results: only for the focus nodes
    ``focus`` gives each query, when given; others: only the origins in ``rerun``, when
    given), the pySHACL fallback and the check queries."""
    origins = {id(cq): _origin(i, cq) for i, cq in enumerate(compiled.queries)}
    out: list[tuple[ValidationResult, str]] = [
        (r, OWN)
        for _cq, r in iter_compiled(
            stores, compiled, shapes, {}, only=lambda cq: origins[id(cq)] == OWN, focus=focus
        )
    ]
    others = iter_compiled(
        stores,
        compiled,
        shapes,
        {},
        only=lambda cq: origins[id(cq)] != OWN and (rerun is None or origins[id(cq)] in rerun),
    )
    out += [(r, origins[id(cq)]) for cq, r in others]
    out += [(r, "fallback") for r in run_fallback(stores, compiled, shapes, {})]
    for check in checks:
        origin = f"check:{check.name}"
        if rerun is None or origin in rerun:
            out += [(r, origin) for r in run_checks_ox(stores.plain, [check], {})]
    return out

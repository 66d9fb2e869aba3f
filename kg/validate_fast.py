"""The fast validation path: compiled SHACL (kg.shacl_compile) and the check queries on
pyoxigraph, with pySHACL for any shape the compiler does not cover.

Two stores are used. The *validation store* holds every source file in its own named
graph with literals encoded (see :mod:`kg.shacl_compile`); the compiled Core
constraints run there. SPARQL-based constraints (``sh:sparql``) and the check queries
are user SPARQL that compares values, so they run on an ordinary pyoxigraph store (the
engine's own store in the pipeline). In the pipeline the validation store is bulk-loaded
from the source files beside the engine's own load (start_encoded_store), then its
rewritable literals are swapped for the ones as written; the queries run several at a
time in threads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDFS

from kg.background import in_background
from kg.shacl_compile import (
    Compiled,
    CompiledQuery,
    compile_shapes,
    decode,
    encode_quads,
    fill_subclasses,
)
from kg.validate import (
    CheckQuery,
    ValidationReport,
    ValidationResult,
    ValidationSetupError,
    _message_key,
    check_result,
    fallback_notes,
    load_checks,
    load_shapes,
    named_shape,
    path_str,
    sort_results,
    term_str,
)

if TYPE_CHECKING:
    from kg.load import Loaded, Source

_THIS = ox.Variable("this")
_OWL_IMPORTS = ox.NamedNode(str(OWL.imports))

# pyoxigraph releases the GIL while it evaluates: queries run side by side in threads.
_THREADS = max(1, min(4, os.cpu_count() or 1))

_DEFAULT_MESSAGES = {
    "ClassConstraintComponent": "Value does not have class {}",
    "DatatypeConstraintComponent": "Value is not Literal with datatype {}",
    "NodeKindConstraintComponent": "Value is not of node kind {}",
    "MinCountConstraintComponent": "Less than {} values",
    "MaxCountConstraintComponent": "More than {} values",
}


@dataclass
class Stores:
    """The validation store (encoded) and the plain store, with their graphs."""

    encoded: ox.Store
    plain: ox.Store
    graphs: list[ox.NamedNode]  # the graphs that make the default graph (data + ontology)


def stores_from_quads(
    quads_by_graph: Mapping[str, Iterable[ox.Quad]], plain: ox.Store | None = None
) -> Stores:
    """Build the validation stores; ``plain`` is reused when given (the engine's store)."""
    encoded = ox.Store()
    own_plain = plain is None
    plain = plain if plain is not None else ox.Store()
    graphs = []
    batch: list[ox.Quad] = []
    for name, quads in quads_by_graph.items():
        g = ox.NamedNode(name)
        graphs.append(g)
        # Quads already in their graph are kept as they are: building quads is the
        # cost at scale.
        moved = [
            q if q.graph_name == g else ox.Quad(q.subject, q.predicate, q.object, g) for q in quads
        ]
        batch += [q for q in moved if q.predicate != _OWL_IMPORTS]
    encoded.bulk_extend(list(encode_quads(batch)))  # one bulk load
    if own_plain:
        plain.bulk_extend(batch)
    return Stores(encoded, plain, graphs)


def quads_from_rdflib(graph: rdflib.Graph) -> list[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads (default graph)."""
    from kg.shacl_compile import from_rdflib

    return [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]


def run_compiled(
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    sources: Mapping[str, str],
    only: Callable[[CompiledQuery], bool] | None = None,
) -> list[ValidationResult]:
    """Run the compiled queries (those ``only`` accepts, when given); see iter_compiled."""
    return [r for _cq, r in iter_compiled(stores, compiled, shapes, sources, only=only)]


def iter_compiled(
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    sources: Mapping[str, str],
    only: Callable[[CompiledQuery], bool] | None = None,
    focus: Mapping[int, list] | None = None,
) -> list[tuple[CompiledQuery, ValidationResult]]:
    """The results of the compiled queries (those ``only`` accepts), each with the query
    that gave it, in query order; the queries run several at a time in threads. With
    ``focus`` (query index -> focus nodes), a query runs once for each of its focus
    nodes, with ``?this`` bound to it, and not at all without one (incremental runs)."""
    lookup = _subclass_lookup(stores)
    chosen = [(i, cq) for i, cq in enumerate(compiled.queries) if only is None or only(cq)]
    texts = [fill_subclasses(cq.sparql, lookup) for _i, cq in chosen]  # one thread: cache

    def run(k: int) -> list[tuple[CompiledQuery, ValidationResult]]:
        i, cq = chosen[k]
        if cq.kind == "core" and focus is not None and cq.restrictable:
            # ?this bound up front (SEP-0007 substitution): pyoxigraph then looks at that
            # node only; a VALUES block or a marker graph would still scan the targets.
            found = []
            for node in focus.get(i, ()):
                rows = stores.encoded.query(
                    texts[k], use_default_graph_as_union=True, substitutions={_THIS: node}
                )
                found += _rows(cq, rows, shapes, sources)
            return found
        # The union default graph: naming the graphs (default_graph=[...]) is ten times
        # slower in pyoxigraph 0.5.
        store = stores.encoded if cq.kind == "core" else stores.plain
        rows = store.query(texts[k], use_default_graph_as_union=True)
        return list(_rows(cq, rows, shapes, sources))

    with ThreadPoolExecutor(_THREADS, thread_name_prefix="govsm-shacl") as pool:
        return [pair for found in pool.map(run, range(len(chosen))) for pair in found]


def _rows(
    cq: CompiledQuery, rows: ox.QuerySolutions, shapes: Graph, sources: Mapping[str, str]
) -> Iterator[tuple[CompiledQuery, ValidationResult]]:
    """Each row of a compiled query as a validation result."""
    shape_iri = cq.shape_name or named_shape(shapes, cq.shape)
    base_path = cq.path_text
    if base_path is None and cq.path is not None:
        base_path = path_str(shapes, cq.path)
    variables = [v.value for v in rows.variables]
    for row in rows:
        yield cq, _result(cq, row, variables, shape_iri, base_path, sources)


def _subclass_lookup(stores: Stores) -> Callable[[str], list[str]]:
    """cls -> cls and its subclasses (rdfs:subClassOf*, in the data graph), cached."""
    cache: dict[str, list[str]] = {}

    def lookup(cls: str) -> list[str]:
        if cls not in cache:
            rows = stores.encoded.query(
                f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}",
                use_default_graph_as_union=True,
            )
            found = {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}
            cache[cls] = sorted(found | {cls})
        return cache[cls]

    return lookup


def _result(
    cq: CompiledQuery,
    row: ox.QuerySolution,
    variables: list[str],
    shape_iri: str,
    base_path: str | None,
    sources: Mapping[str, str],
) -> ValidationResult:
    focus_t = decode(row["this"])
    focus = term_str(focus_t)
    value_t = None
    if cq.value_is_focus:
        value_t = focus_t
    elif "value" in variables and row["value"] is not None:
        value_t = decode(row["value"])
    path = base_path
    if cq.path_var and "path" in variables and row["path"] is not None:
        path = term_str(decode(row["path"]))
    if cq.kind == "sparql":
        bindings = {v: row[v] for v in variables if row[v] is not None}
        if "message" in bindings:
            message = str(decode(bindings["message"]))
        elif cq.sparql_message:
            template = str(sorted(cq.sparql_message, key=_message_key)[0])
            message = _fill(template, {k: term_str(decode(t)) for k, t in bindings.items()})
        else:
            message = _first(cq.messages) or "SPARQL constraint violated"
    else:
        message = _first(cq.messages) or _default_message(cq)
    return ValidationResult(
        severity=cq.severity,
        focus=focus,
        path=path,
        component=cq.component,
        message=message,
        shape=shape_iri,
        value=term_str(value_t) if value_t is not None else None,
        source_file=sources.get(focus),
    )


def _first(messages: list[Literal]) -> str:
    return str(sorted(messages, key=_message_key)[0]) if messages else ""


def _default_message(cq: CompiledQuery) -> str:
    name = cq.component.rsplit("#", 1)[-1]
    return f"{name.removesuffix('ConstraintComponent')} constraint violated"


_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def _fill(template: str, bindings: Mapping[str, str]) -> str:
    return _TEMPLATE.sub(lambda m: bindings.get(m.group(1), m.group(0)), template)


def run_checks_ox(
    store: ox.Store, checks: Iterable[CheckQuery], sources: Mapping[str, str]
) -> list[ValidationResult]:
    """Each check query on pyoxigraph (union default graph); every row is a violation,
    reported as :func:`kg.validate.run_checks` reports it."""
    out: list[ValidationResult] = []
    for check in checks:
        try:
            rows = store.query(check.text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        variables = [v.value for v in rows.variables]
        for row in rows:
            bound = {v: decode(row[v]) for v in variables if row[v] is not None}
            out.append(check_result(check, bound, sources))
    return out


def run_fallback(
    stores: Stores, compiled: Compiled, shapes: Graph, sources: Mapping[str, str]
) -> list[ValidationResult]:
    """pySHACL for the shapes the compiler left out (none for our shapes)."""
    if not compiled.fallback:
        return []
    from pyshacl import validate

    from kg.validate import _shacl_results

    data = Graph()
    wanted = set(stores.graphs)
    for q in stores.encoded.quads_for_pattern(None, None, None, None):
        if q.graph_name in wanted:  # the encoded store keeps every literal as written
            data.add((decode(q.subject), decode(q.predicate), decode(q.object)))
    _c, report, _t = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
        do_owl_imports=False,
        use_shapes=compiled.fallback_shapes,
    )
    return list(_shacl_results(report, shapes, sources))


def fast_shapes(
    stores: Stores,
    shapes: Graph,
    sources: Mapping[str, str],
    compiled: Compiled | None = None,
) -> tuple[list[ValidationResult], Compiled]:
    """Every shape: compiled where possible, pySHACL for the rest."""
    compiled = compiled or compile_shapes(shapes)
    results = run_compiled(stores, compiled, shapes, sources)
    results += run_fallback(stores, compiled, shapes, sources)
    return results, compiled


def source_files(stores: Stores, rel: Mapping[str, str], foci: Iterable[str]) -> dict[str, str]:
    """For each focus node (``term_str`` form), the first data file (in ``stores.graphs``
    order) that has it as a subject; ``rel`` maps a graph IRI to the file's relative path.
    A blank focus node is looked up in both stores: its label is the store's own (the
    stores may have been loaded apart)."""
    graphs = stores.graphs
    order = {g.value: i for i, g in enumerate(graphs) if g.value in rel}
    out: dict[str, str] = {}
    for focus in set(foci):
        if not focus:
            continue
        blank = focus.startswith("_:")
        term = ox.BlankNode(focus[2:]) if blank else ox.NamedNode(focus)
        best = None
        for store in (stores.encoded, stores.plain) if blank else (stores.encoded,):
            for q in store.quads_for_pattern(term, None, None, None):
                g = q.graph_name
                i = order.get(g.value) if isinstance(g, ox.NamedNode) else None
                if i is not None and (best is None or i < best):
                    best = i
        if best is not None:
            out[focus] = rel[graphs[best].value]
    return out


def with_sources(
    results: list[ValidationResult], sources: Mapping[str, str]
) -> list[ValidationResult]:
    """The results with ``source_file`` set from ``sources``."""
    return [replace(r, source_file=sources.get(r.focus)) for r in results]


def _bulk_load_sources(files: Sequence[tuple[Path, str]]) -> ox.Store:
    from kg.engine import SOURCE_FORMATS

    store = ox.Store()
    for path, graph in files:
        fmt = SOURCE_FORMATS[path.suffix][0]
        store.bulk_load(path=str(path), format=fmt, to_graph=ox.NamedNode(graph))
    return store


def start_encoded_store(sources: Sequence[Source]) -> Future[ox.Store]:
    """Begin the validation store while the engine loads: every source file bulk-loaded
    into its graph by the Store's own loader in a background thread. The loader releases
    the GIL, so with a second core this costs little wall time; building the store from
    the engine's quads instead took about as long as the load itself. A file that does
    not parse fails here too (the engine's load reports it); see stores_from_loaded."""
    return in_background(_bulk_load_sources, [(s.path, s.graph) for s in sources])


def _finish_encoded_store(store: ox.Store, loaded: Loaded) -> ox.Store:
    """The bulk-loaded store (start_encoded_store) made the validation store. The quads
    it holds in another form than written are replaced by the quads as written,
    encoded: those with a literal other than a plain string (kg.engine.foldable; the
    engine kept them as parsed). Each is removed by its quad as written, which the
    Store canonicalises the same way (ten times faster at scale than a DELETE that
    scans every quad for such literals). owl:imports is never part of the validated
    data. Graphs the engine stored quad by quad are taken from the engine whole (their
    blank-node labels must be the engine's)."""
    engine = loaded.engine
    batch: list[ox.Quad] = []
    for source in loaded.sources:
        graph = ox.NamedNode(source.graph)
        if source.graph in engine.quad_by_quad:
            store.remove_graph(graph)
            quads = engine.dataset.quads_for_graph_name(graph)
        else:
            quads = engine.dataset.exact_for(source.graph)
            for quad in quads:
                store.remove(quad)
        batch += [q for q in quads if q.predicate != _OWL_IMPORTS]
    for quad in list(store.quads_for_pattern(None, _OWL_IMPORTS, None, None)):
        store.remove(quad)
    store.bulk_extend(list(encode_quads(batch)))
    return store


def stores_from_loaded(
    loaded: Loaded, encoded: Future[ox.Store] | None = None
) -> tuple[Stores, dict[str, str]]:
    """Validation stores from a loaded engine (its own store is the plain one when it is
    pyoxigraph), and graph IRI -> relative path of each data file. ``encoded`` is the
    store start_encoded_store began for the same sources, if any."""
    from kg.engine import OxigraphEngine, to_ox

    engine = loaded.engine
    rel = {s.graph: s.rel for s in loaded.sources if s.kind == "data"}
    if encoded is not None and isinstance(engine, OxigraphEngine):
        store = _finish_encoded_store(encoded.result(), loaded)
        graphs = [ox.NamedNode(s.graph) for s in loaded.sources]
        return Stores(store, engine.store, graphs), rel
    by_graph: dict[str, list[ox.Quad]] = {}
    for source in loaded.sources:
        if isinstance(engine, OxigraphEngine):
            quads = list(engine.dataset.quads_for_graph_name(ox.NamedNode(source.graph)))
        else:
            quads = [
                ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(source.graph))
                for s, p, o in engine.triples(source.graph)
            ]
        by_graph[source.graph] = quads
    plain = engine.store if isinstance(engine, OxigraphEngine) else None
    return stores_from_quads(by_graph, plain), rel


def validate_loaded(
    loaded: Loaded,
    shapes_dir: Path,
    checks_dir: Path | None = None,
    encoded: Future[ox.Store] | None = None,
) -> ValidationReport:
    """The fast path over a loaded engine (kg.load.Loaded): shapes and check queries
    (``encoded``: see stores_from_loaded)."""
    shapes = load_shapes(shapes_dir)
    checks = load_checks(checks_dir) if checks_dir is not None else []
    from kg.engine import OxigraphEngine

    with ThreadPoolExecutor(1, thread_name_prefix="govsm-checks") as pool:
        # the check queries read the engine's own store: they start while the
        # validation store is finished
        engine = loaded.engine
        checked = None
        if isinstance(engine, OxigraphEngine):
            checked = pool.submit(run_checks_ox, engine.store, checks, {})
        stores, rel = stores_from_loaded(loaded, encoded)
        if checked is None:
            checked = pool.submit(run_checks_ox, stores.plain, checks, {})
        results, compiled = fast_shapes(stores, shapes, {})
        results += checked.result()
    sources = source_files(stores, rel, (r.focus for r in results))
    return ValidationReport(
        sort_results(with_sources(results, sources)), fallback_notes(compiled.fallback)
    )


def validate_with_shapes(data: Graph, shapes: Graph) -> tuple[list[ValidationResult], Compiled]:
    """The fast path over an rdflib data graph and shapes graph (no check queries); the
    results and what was compiled (``.fallback`` lists the shapes pySHACL ran)."""
    stores = stores_from_quads({"urn:x-govsm:data": quads_from_rdflib(data)})
    return fast_shapes(stores, shapes, {})

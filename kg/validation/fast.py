"""The fast validation path: compiled SHACL (kg.validation.compiler) and the check queries on
pyoxigraph, with pySHACL for any shape the compiler does not cover.

The compiled Core constraints run on a *validation store*: every source file in its own
named graph with literals encoded (see :mod:`kg.validation.compiler`). In the pipeline that is
the engine's own store for the time of the shapes (encoded_in_place: the few quads whose
literal the Store rewrites are swapped for the written ones, encoded, and put back
after). SPARQL-based constraints (``sh:sparql``) and the check queries are user SPARQL
that compares values, so they run on the plain store (the engine's own, as it holds the
data). Queries run several at a time in threads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDFS

from kg.background import in_background
from kg.validation.compiler import (
    Compiled,
    CompiledQuery,
    compile_shapes,
    decode,
    encode_quads,
    fill_subclasses,
    grouped_sparql,
)
from kg.validation.core import (
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
    from kg.rdf.load import Loaded

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
    encoded.bulk_extend(encode_quads(batch))  # one bulk load
    if own_plain:
        plain.bulk_extend(batch)
    return Stores(encoded, plain, graphs)


def quads_from_rdflib(graph: rdflib.Graph) -> list[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads (default graph)."""
    from kg.validation.compiler import from_rdflib

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
    that gave it, in query order; the queries run several at a time in threads, and
    those of one group (CompiledQuery.group) as one query. With ``focus`` (query index
    -> focus nodes), a query runs once for each of its focus nodes, with ``?this`` bound
    to it, and not at all without one (incremental runs)."""
    lookup = _subclass_lookup(stores)
    chosen = [(i, cq) for i, cq in enumerate(compiled.queries) if only is None or only(cq)]
    jobs = _jobs([cq for _i, cq in chosen] if focus is None else [])
    jobs += [[k] for k in range(len(chosen)) if not any(k in job for job in jobs)]
    texts = {}  # job's first index -> its SPARQL; made in one thread (lookup's cache)
    for job in jobs:
        cq = chosen[job[0]][1]
        if len(job) == 1:
            texts[job[0]] = fill_subclasses(cq.sparql, lookup)
        else:
            assert cq.group is not None
            predicates = [chosen[k][1].group_predicate for k in job]
            texts[job[0]] = fill_subclasses(grouped_sparql(cq.group, predicates), lookup)

    def run(job: list[int]) -> list[tuple[int, list[tuple[CompiledQuery, ValidationResult]]]]:
        i, cq = chosen[job[0]]
        text = texts[job[0]]
        if len(job) > 1:
            rows = stores.encoded.query(text, use_default_graph_as_union=True)
            variables = [v.value for v in rows.variables]
            by_predicate: dict[str, list[ox.QuerySolution]] = {}
            for row in rows:
                by_predicate.setdefault(str(row["p"]), []).append(row)
            return [
                (
                    k,
                    list(
                        _rows(
                            chosen[k][1],
                            by_predicate.get(chosen[k][1].group_predicate, []),
                            variables,
                            shapes,
                            sources,
                        )
                    ),
                )
                for k in job
            ]
        if cq.kind == "core" and focus is not None and cq.restrictable:
            # ?this bound up front (SEP-0007 substitution): pyoxigraph then looks at that
            # node only; a VALUES block or a marker graph would still scan the targets.
            found = []
            for node in focus.get(i, ()):
                rows = stores.encoded.query(
                    text, use_default_graph_as_union=True, substitutions={_THIS: node}
                )
                found += _rows(cq, rows, [v.value for v in rows.variables], shapes, sources)
            return [(job[0], found)]
        # The union default graph: naming the graphs (default_graph=[...]) is ten times
        # slower in pyoxigraph 0.5.
        store = stores.encoded if cq.kind == "core" else stores.plain
        rows = store.query(text, use_default_graph_as_union=True)
        variables = [v.value for v in rows.variables]
        return [(job[0], list(_rows(cq, rows, variables, shapes, sources)))]

    with ThreadPoolExecutor(_THREADS, thread_name_prefix="govsm-shacl") as pool:
        by_query = dict(pair for done in pool.map(run, jobs) for pair in done)
    return [pair for k in range(len(chosen)) for pair in by_query[k]]


def _jobs(queries: list[CompiledQuery]) -> list[list[int]]:
    """The indexes of ``queries`` that run as one query: two or more of a group."""
    groups: dict[tuple[str, str], list[int]] = {}
    for k, cq in enumerate(queries):
        if cq.group is not None and cq.kind == "core":
            groups.setdefault(cq.group, []).append(k)
    return [job for job in groups.values() if len(job) > 1]


def _rows(
    cq: CompiledQuery,
    rows: Iterable[ox.QuerySolution],
    variables: list[str],
    shapes: Graph,
    sources: Mapping[str, str],
) -> Iterator[tuple[CompiledQuery, ValidationResult]]:
    """Each row of a compiled query as a validation result."""
    shape_iri = cq.shape_name or named_shape(shapes, cq.shape)
    base_path = cq.path_text
    if base_path is None and cq.path is not None:
        base_path = path_str(shapes, cq.path)
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
    """Each check query on pyoxigraph (union default graph), several at a time in
    threads; every row is a violation, reported as :func:`kg.validation.core.run_checks`
    reports it (in the order of the checks)."""

    def run(check: CheckQuery) -> list[ValidationResult]:
        try:
            rows = store.query(check.text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        variables = [v.value for v in rows.variables]
        found = []
        for row in rows:
            bound = {v: decode(row[v]) for v in variables if row[v] is not None}
            found.append(check_result(check, bound, sources))
        return found

    with ThreadPoolExecutor(_THREADS, thread_name_prefix="govsm-checks") as pool:
        return [result for found in pool.map(run, list(checks)) for result in found]


def run_fallback(
    stores: Stores, compiled: Compiled, shapes: Graph, sources: Mapping[str, str]
) -> list[ValidationResult]:
    """pySHACL for the shapes the compiler left out (none for our shapes)."""
    if not compiled.fallback:
        return []
    from pyshacl import validate

    from kg.validation.core import _shacl_results

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


@contextmanager
def encoded_in_place(
    loaded: Loaded, before_change: Callable[[], object] | None = None
) -> Iterator[Stores]:
    """The engine's own store made the validation store for the time of the block.

    Its quads with a literal the Store may hold in another form than written
    (kg.rdf.engine.foldable; the engine keeps them as parsed, ``dataset.exact_for``) are
    swapped for the written ones, encoded, and owl:imports (never validated data) is
    taken out; on leaving, everything is put back as the Store had it. Each quad is
    removed by its written form, which the Store canonicalises the same way (two written
    forms may share one Store form). A second store bulk-loaded from the same files cost
    a full load, and its memory, to change some 5 % of the quads; the engine's quads
    also carry its own blank-node labels. Nothing else may use the store meanwhile:
    ``before_change`` is called once the encoded quads are made, just before the store
    changes (validate_loaded waits there for the check queries).
    """
    engine = loaded.engine
    store: ox.Store = engine.store
    written = [q for s in loaded.sources for q in engine.dataset.exact_for(s.graph)]
    imports = list(store.quads_for_pattern(None, _OWL_IMPORTS, None, None))
    encoded = [q for q in encode_quads(written) if q.predicate != _OWL_IMPORTS]
    if before_change is not None:
        before_change()
    try:
        for quad in written + imports:
            store.remove(quad)
        # the bulk loader: a third of the time of a transaction, and the block's end
        # puts everything back whatever happened
        store.bulk_extend(encoded)
        yield Stores(store, store, [ox.NamedNode(s.graph) for s in loaded.sources])
    finally:
        for quad in encoded:  # (removing one never added is a no-op)
            store.remove(quad)
        store.bulk_extend(written + imports)


def in_place(loaded: Loaded) -> bool:
    """Whether the fast path can validate in the engine's own store (encoded_in_place):
    a pyoxigraph engine holding nothing but the source graphs (a file may be empty)."""
    from kg.rdf.engine import OxigraphEngine

    engine = loaded.engine
    return isinstance(engine, OxigraphEngine) and set(engine.graphs()) <= {
        s.graph for s in loaded.sources
    }


def stores_from_loaded(loaded: Loaded) -> tuple[Stores, dict[str, str]]:
    """Validation stores copied from a loaded engine (a pyoxigraph engine's own store is
    the plain one), and graph IRI -> relative path of each data file; see
    encoded_in_place for the pipeline's way."""
    from kg.rdf.engine import OxigraphEngine, to_ox

    engine = loaded.engine
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
    return stores_from_quads(by_graph, plain), _data_files(loaded)


def _data_files(loaded: Loaded) -> dict[str, str]:
    return {s.graph: s.rel for s in loaded.sources if s.kind == "data"}


def validate_loaded(
    loaded: Loaded, shapes_dir: Path, checks_dir: Path | None = None, copy: bool = False
) -> ValidationReport:
    """The fast path over a loaded engine (kg.rdf.load.Loaded): shapes, then check queries.
    On the pyoxigraph engine the shapes are checked in its own store (encoded_in_place)
    unless ``copy`` (or the engine holds more than the sources): then in copies."""
    shapes = load_shapes(shapes_dir)
    checks = load_checks(checks_dir) if checks_dir is not None else []
    if in_place(loaded) and not copy:
        # The check queries compare values as the Store has them: they run before the
        # store changes, while the written literals are encoded.
        checked = in_background(run_checks_ox, loaded.engine.store, checks, {})
        with encoded_in_place(loaded, before_change=lambda: wait([checked])) as stores:
            results, compiled = fast_shapes(stores, shapes, {})
        results += checked.result()
        rel = _data_files(loaded)
    else:
        stores, rel = stores_from_loaded(loaded)
        results, compiled = fast_shapes(stores, shapes, {})
        results += run_checks_ox(stores.plain, checks, {})
    sources = source_files(stores, rel, (r.focus for r in results))
    return ValidationReport(
        sort_results(with_sources(results, sources)), fallback_notes(compiled.fallback)
    )


def validate_with_shapes(data: Graph, shapes: Graph) -> tuple[list[ValidationResult], Compiled]:
    """The fast path over an rdflib data graph and shapes graph (no check queries); the
    results and what was compiled (``.fallback`` lists the shapes pySHACL ran)."""
    stores = stores_from_quads({"urn:x-govsm:data": quads_from_rdflib(data)})
    return fast_shapes(stores, shapes, {})

"""The stores the fast path validates in: the *validation store*, every source file in
its own named graph with its literals encoded as written (kg.validation.compiler.literals),
and the *plain store*, the data as the engine holds it (the SPARQL-based constraints and
the check queries compare values, so they run there).

In the pipeline both are the engine's own store (:func:`encoded_in_place`: the few quads
whose literal the Store rewrites are swapped for the written ones, encoded, for the time
of the shapes, and put back after); otherwise they are copies (:func:`stores_from_loaded`,
:func:`stores_from_quads`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pyoxigraph as ox
import rdflib

from kg.rdf.imports import OWL_IMPORTS, quads_without_imports
from kg.rdf.load import Loaded
from kg.validation.compiler.literals import encode_quads, from_rdflib
from kg.validation.report import ValidationResult


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
        batch += quads_without_imports(moved)
    encoded.bulk_extend(encode_quads(batch))  # one bulk load
    if own_plain:
        plain.bulk_extend(batch)
    return Stores(encoded, plain, graphs)


def quads_from_rdflib(graph: rdflib.Graph) -> list[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads (default graph)."""
    return [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]


def source_files(stores: Stores, rel: Mapping[str, str], foci: Iterable[str]) -> dict[str, str]:
    """For each focus node (``term_str`` form), the first data file (in ``stores.graphs``
    order) that has it as a subject; ``rel`` maps a graph IRI to the file's relative path.
    A blank focus node is looked up in both stores: its label is the store's own (the
    stores may have been loaded apart); a literal focus node has no file."""
    graphs = stores.graphs
    order = {g.value: i for i, g in enumerate(graphs) if g.value in rel}
    out: dict[str, str] = {}
    for focus in set(foci):
        if not focus:
            continue
        blank = focus.startswith("_:")
        try:
            term = ox.BlankNode(focus[2:]) if blank else ox.NamedNode(focus)
        except ValueError:  # a literal focus node (its lexical form): never a subject
            continue
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


def data_files(loaded: Loaded) -> dict[str, str]:
    """Graph IRI -> relative path of each data file."""
    return {s.graph: s.rel for s in loaded.sources if s.kind == "data"}


@contextmanager
def encoded_in_place(
    loaded: Loaded, before_change: Callable[[], object] | None = None
) -> Iterator[Stores]:
    """The engine's own store made the validation store for the time of the block.

    Its quads with a literal the Store may hold in another form than written
    (kg.rdf.literals.rewritable; the engine keeps them as written, Engine.written_quads) are
    swapped for the written ones, encoded, and owl:imports (never validated data) is
    taken out; on leaving, everything is put back as the Store had it. Each quad is
    removed by its written form, which the Store canonicalises the same way (two written
    forms may share one Store form). A second store bulk-loaded from the same files cost
    a full load, and its memory, to change a small part of the quads; the engine's quads
    also carry its own blank-node labels. Nothing else may use the store meanwhile:
    ``before_change`` is called once the encoded quads are made, just before the store
    changes (the fast validation waits there for the check queries).
    """
    engine = loaded.engine
    store: ox.Store = engine.store
    written = [q for s in loaded.sources for q in engine.written_quads(s.graph)]
    imports = list(store.quads_for_pattern(None, OWL_IMPORTS, None, None))
    encoded = quads_without_imports(encode_quads(written))
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
    engine = loaded.engine
    return engine.store is not None and set(engine.graphs()) <= {s.graph for s in loaded.sources}


def stores_from_loaded(loaded: Loaded) -> Stores:
    """Validation stores copied from a loaded engine (a pyoxigraph engine's own store is
    the plain one); see encoded_in_place for the pipeline's way."""
    engine = loaded.engine
    by_graph: dict[str, list[ox.Quad]] = {}
    for source in loaded.sources:
        by_graph[source.graph] = list(engine.quads(source.graph))
    return stores_from_quads(by_graph, engine.store)

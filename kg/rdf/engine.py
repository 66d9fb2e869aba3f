"""Two interchangeable RDF engines behind one small interface.

``oxigraph`` (the default, an embedded pyoxigraph Store) and ``rdflib`` (an rdflib
Dataset with the default graph as the union of the named graphs). Both speak rdflib
terms at the boundary so that results can be compared across engines. Queries always
see the union of all named graphs as their default graph. Where the engines differ in
what they can do (a parser of their own, reads beside writes, a Store to dump from), the
:class:`Engine` protocol says so, and each implements its methods its own way.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.rdf.literals import (
    WrittenQuads,
    ask_rewritable,
    file_marked,
    ntriples_marked,
    rewritable,
    rewritable_line,
)
from kg.rdf.sources import SOURCE_FORMATS, source_input
from kg.rdf.terms import EngineError, Rows, Triple, from_ox, to_ox
from kg.sparql.files import Term, check_offline, inject_values

Rewrite = Callable[[str], str]
#: A CONSTRUCT query and its parameters' values.
Construct = tuple[str, Mapping[str, Term] | None]
ENGINES = ("oxigraph", "rdflib")
#: Queries evaluated side by side in threads (pyoxigraph releases the GIL while it
#: evaluates, so they take a core each).
QUERY_THREADS = max(1, min(4, os.cpu_count() or 1))


class Engine(Protocol):
    """What the stages need from an RDF engine. Where the two engines differ in what they
    can do, the engine says so here (a capability, or a method each implements its own
    way), so that no caller asks which engine it has."""

    name: str
    #: load() parses with the strict parser check_syntax uses and raises its SyntaxError
    #: (line, column) itself: no separate syntax check is needed before loading
    strict_parser: bool
    #: may be read from another thread while the stages write to it (pyoxigraph's reads
    #: are snapshots): the build then makes the source graphs' dump lines beside them
    concurrent_reads: bool
    #: insert_into's WHERE has the union of the named graphs as its default graph (else
    #: the Store's own default graph, which nothing writes to: GRAPH patterns reach the data)
    insert_sees_union: bool
    #: graph -> how many times the engine has written to it (work prepared from a graph,
    #: such as its dump lines, is stale once this moves on)
    writes: dict[str, int]
    #: the pyoxigraph Store the engine queries, None for an engine without one
    store: ox.Store | None

    def loading(self) -> AbstractContextManager[None]:
        """A block of loads: the engine may run work of its own beside them; the block's
        end waits for it."""
        ...

    def loads_early(self, path: Path) -> bool:
        """Whether this file is best loaded before the others (see OxigraphEngine)."""
        ...

    def load(self, path: Path, graph: str, rewrite: Rewrite | None = None) -> None: ...

    def add(self, graph: str, triples: Iterable[Triple]) -> None: ...

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Rows: ...

    def construct(
        self,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        predicates: Collection[str] | None = None,
    ) -> list[Triple]:
        """CONSTRUCT results as rdflib terms; with ``predicates``, only the triples with
        one of them (the others are never converted)."""
        ...

    def construct_into(
        self, query: str, bindings: Mapping[str, Term] | None, graph: str, counted_class: str
    ) -> tuple[int, int]:
        """Add what a CONSTRUCT query gives to the empty ``graph``: the triples now in the
        graph, and how many of its subjects have type ``counted_class``."""
        ...

    def construct_all_into(
        self, queries: Sequence[Construct], graph: str, counted_class: str
    ) -> tuple[int, int]:
        """:meth:`construct_into` of several (query, bindings), each evaluated before any
        result is added (none reads another's), side by side where the engine can."""
        ...

    def insert_into(self, head: str, where: str, graph: str, counted_class: str) -> tuple[int, int]:
        """:meth:`construct_into` of ``CONSTRUCT { head } WHERE { where }`` whose ``where``
        reads named graphs only (GRAPH patterns; no prefixed names): on the oxigraph
        engine a SPARQL update run inside the Store (no result serialised and read back)."""
        ...

    def graphs(self) -> list[str]: ...

    def triples(self, graph: str) -> list[Triple]: ...

    def quads(self, graph: str) -> list[ox.Quad]:
        """The quads of one named graph exactly as written, as pyoxigraph terms."""
        ...

    def written_quads(self, graph: str) -> list[ox.Quad]:
        """The quads of one named graph whose literal the engine may hold in another form
        than written (kg.rdf.literals), as written; none on an engine without a form of
        its own."""
        ...

    def graph_dump(self, graph: str) -> tuple[bytes, list[ox.Quad]]:
        """One named graph for the canonical dumps: N-Triples in pyoxigraph's own
        serialisation, whose lines with a rewritable literal (kg.rdf.literals) are to be
        left out, and the quads as written that those lines leave out."""
        ...

    def dump_nquads(self) -> str: ...


def make_engine(name: str) -> Engine:
    """Return a fresh, empty engine by name."""
    if name == "oxigraph":
        return OxigraphEngine()
    if name == "rdflib":
        return RdflibEngine()
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


def _rewrite_ox(term, rewrite: Rewrite):  # noqa: ANN001, ANN202 - pyoxigraph terms
    if isinstance(term, ox.NamedNode):
        return ox.NamedNode(rewrite(term.value))
    return term


def _rewrite_rdflib(term: Term, rewrite: Rewrite) -> Term:
    return URIRef(rewrite(str(term))) if isinstance(term, URIRef) else term


# --- oxigraph --------------------------------------------------------------------------


_BATCH = 100_000  # quads parsed, stored and dropped at a time while loading


class OxigraphEngine:
    """The embedded engine: an in-memory pyoxigraph Store.

    The Store holds some literals in a form of its own (kg.rdf.literals), which would
    change the published data. So the quads with such literals are also kept as parsed
    (:class:`kg.rdf.literals.WrittenQuads`, ``dataset``): queries run on the Store, the
    dumps and the graphs handed to validation come from the quads as written.
    """

    name = "oxigraph"
    strict_parser = True
    concurrent_reads = True
    insert_sees_union = False

    def __init__(self) -> None:
        self.store: ox.Store = ox.Store()
        self.dataset = WrittenQuads(self.store)
        #: graphs given quads from Python (not only by the Store's bulk loader): their
        #: blank-node labels are the parser's, not ones the bulk loader chose
        self.quad_by_quad: set[str] = set()
        #: graph -> how many times the engine has written to it (work prepared from a
        #: graph, such as its dump lines, is stale once this moves on)
        self.writes: dict[str, int] = {}
        # inside loading(): the thread that scans loaded files, and their scans
        self._pool: ThreadPoolExecutor | None = None
        self._scans: list[tuple[Path, ox.RdfFormat, str, Future[list[ox.Quad] | None]]] = []

    def _written(self, graph: str) -> None:
        self.writes[graph] = self.writes.get(graph, 0) + 1

    def _extend(self, graph: str, quads: list[ox.Quad]) -> None:
        self.store.extend(quads)
        self.dataset.note(graph, quads)
        self.quad_by_quad.add(graph)
        self._written(graph)

    def load(self, path: Path, graph: str, rewrite: Rewrite | None = None) -> None:
        """Parse one file into ``graph``, a batch at a time (no list of every quad);
        a syntax error raises SyntaxError (line, column)."""
        fmt = SOURCE_FORMATS[path.suffix][0]
        if rewrite is None and self._bulk_load(path, fmt, graph):
            return
        self._load_quad_by_quad(path, fmt, graph, rewrite)

    def _load_quad_by_quad(
        self, path: Path, fmt: ox.RdfFormat, graph: str, rewrite: Rewrite | None
    ) -> None:
        target = ox.NamedNode(graph)
        batch: list[ox.Quad] = []
        with source_input(path) as source:
            for q in ox.parse(**source, format=fmt):
                if rewrite is None:
                    batch.append(ox.Quad(q.subject, q.predicate, q.object, target))
                else:
                    batch.append(
                        ox.Quad(
                            _rewrite_ox(q.subject, rewrite),
                            q.predicate,
                            _rewrite_ox(q.object, rewrite),
                            target,
                        )
                    )
                if len(batch) >= _BATCH:
                    self._extend(graph, batch)
                    batch = []
        self._extend(graph, batch)

    def loads_early(self, path: Path) -> bool:
        """Whether the file's text marks a literal the Store may rewrite
        (kg.rdf.literals.file_marked): such a file most likely needs a second parse, which
        :meth:`loading` runs beside the next load, so it is best loaded before the files
        that need none (the scans of the last files loaded are waited for at the end)."""
        return file_marked(path)

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Loads made inside the block scan their file for the quads the Store rewrites
        (see _bulk_load) in a thread, beside the next file's load: the Store's loader
        releases the GIL, the scan builds Python objects. The block's end waits for
        every scan (and loads quad by quad a file whose scan asks for it)."""
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="govsm-scan")
        self._scans = []
        try:
            yield
            for path, fmt, graph, scan in self._scans:
                kept = scan.result()
                if kept is None:
                    self.store.remove_graph(ox.NamedNode(graph))
                    self._load_quad_by_quad(path, fmt, graph, None)
                else:
                    self.dataset.note(graph, kept)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._scans, self._pool = [], None

    def _bulk_load(self, path: Path, fmt: ox.RdfFormat, graph: str) -> bool:
        """Load a file with the Store's own bulk loader (no Python object per quad), then
        scan it once for the quads whose literal the Store rewrites (_scan; in a thread
        inside :meth:`loading`). Those must share the Store's blank-node labels, which a
        second parse does not give: if one has a blank subject, the graph is dropped
        again and False returned (load it quad by quad)."""
        target = ox.NamedNode(graph)
        with source_input(path) as source:
            self.store.bulk_load(**source, format=fmt, to_graph=target)
        self._written(graph)
        if self._pool is not None:
            self._scans.append((path, fmt, graph, self._pool.submit(self._scan, path, fmt, target)))
            return True
        kept = self._scan(path, fmt, target)
        if kept is None:
            self.store.remove_graph(target)
            return False
        self.dataset.note(graph, kept)
        return True

    def _scan(self, path: Path, fmt: ox.RdfFormat, target: ox.NamedNode) -> list[ox.Quad] | None:
        """The quads of a bulk-loaded file whose literal the Store may have rewritten (a
        second parse), or None when one has a blank subject."""
        if not self.store.query(ask_rewritable(target)):
            return []  # nothing the Store may have rewritten: no need to parse again
        kept: list[ox.Quad] = []
        with source_input(path) as source:
            for q in ox.parse(**source, format=fmt):
                if rewritable(q.object):
                    if not isinstance(q.subject, ox.NamedNode):
                        return None
                    kept.append(ox.Quad(q.subject, q.predicate, q.object, target))
        return kept

    def add(self, graph: str, triples: Iterable[Triple]) -> None:
        target = ox.NamedNode(graph)
        self._extend(graph, [ox.Quad(to_ox(s), to_ox(p), to_ox(o), target) for s, p, o in triples])

    def add_quads(self, graph: str, quads: list[ox.Quad]) -> None:
        """Add pyoxigraph quads (already in ``graph``) without converting terms."""
        self._extend(graph, quads)

    def _run(self, query: str, bindings: Mapping[str, Term] | None):  # noqa: ANN202
        check_offline(query)
        text = inject_values(query, bindings or {})
        try:
            return self.store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise EngineError(f"SPARQL syntax error: {exc}") from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Rows:
        result = self._run(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise EngineError("not a SELECT query")
        variables = [v.value for v in result.variables]
        rows = [
            tuple(None if sol[v] is None else from_ox(sol[v]) for v in variables) for sol in result
        ]
        return Rows(variables, rows)

    def construct(
        self,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        predicates: Collection[str] | None = None,
    ) -> list[Triple]:
        # filtered as they come: no list of every triple the query makes
        return [
            (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
            for t in self._constructed(query, bindings)
            if predicates is None or t.predicate.value in predicates
        ]

    def construct_ox(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[ox.Triple]:
        """CONSTRUCT results as pyoxigraph triples (no conversion to rdflib terms)."""
        return list(self._constructed(query, bindings))

    def _constructed(self, query: str, bindings: Mapping[str, Term] | None) -> ox.QueryTriples:
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise EngineError("not a CONSTRUCT query")
        return result

    def construct_into(
        self, query: str, bindings: Mapping[str, Term] | None, graph: str, counted_class: str
    ) -> tuple[int, int]:
        return self.construct_all_into([(query, bindings)], graph, counted_class)

    def construct_all_into(
        self, queries: Sequence[Construct], graph: str, counted_class: str
    ) -> tuple[int, int]:
        """Add what CONSTRUCT queries give to ``graph``; return the triples now in the
        graph and how many of its subjects have type ``counted_class``.

        The queries are evaluated side by side (QUERY_THREADS), each result serialised
        by the Store, then each loaded by the Store itself (no Python object per
        triple); of the lines with a literal other than a plain string, only those are
        parsed, so that the quads as written are kept (kg.rdf.literals.WrittenQuads).
        Results with a blank node go through :meth:`add_quads`, with the Store's own
        blank-node labels.
        """
        if len(queries) == 1:
            results = [self._construct_ntriples(queries[0])]
        else:
            with ThreadPoolExecutor(QUERY_THREADS, thread_name_prefix="govsm-construct") as pool:
                results = list(pool.map(self._construct_ntriples, queries))
        target = ox.NamedNode(graph)
        results.reverse()
        while results:  # each result freed once loaded
            self._add_ntriples(results.pop(), graph, target)
        return self._counts(target, counted_class)

    def _construct_ntriples(self, construct: Construct) -> bytes:
        return self._constructed(*construct).serialize(format=ox.RdfFormat.N_TRIPLES)

    def _add_ntriples(self, data: bytes, graph: str, target: ox.NamedNode) -> None:
        if b"_:" in data:
            triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
            self.add_quads(
                graph, [ox.Quad(t.subject, t.predicate, t.object, target) for t in triples]
            )
            return
        self.store.load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
        if ntriples_marked(data):
            # a line at a time (no list of every line beside the text: millions at scale)
            lines = b"".join(line for line in io.BytesIO(data) if rewritable_line(line))
            marked = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
            self.dataset.note(
                graph, [ox.Quad(t.subject, t.predicate, t.object, target) for t in marked]
            )
        self._written(graph)

    def insert_into(self, head: str, where: str, graph: str, counted_class: str) -> tuple[int, int]:
        """The update's WHERE is evaluated before anything is inserted, as a CONSTRUCT's
        is, and inserting a triple twice keeps it once. Its default graph is the Store's
        own (hence GRAPH patterns only). Quads with a literal the Store may hold in
        another form are then kept as the Store holds them, as construct_into keeps the
        CONSTRUCT's results (kg.rdf.literals.WrittenQuads)."""
        check_offline(where)
        target = ox.NamedNode(graph)
        self.store.update(f"INSERT {{ GRAPH {target} {{ {head} }} }} WHERE {{ {where} }}")
        if self.store.query(ask_rewritable(target)):
            quads = self.store.quads_for_pattern(None, None, None, target)
            self.dataset.note(graph, [q for q in quads if rewritable(q.object)])
            self.quad_by_quad.add(graph)
        self._written(graph)
        return self._counts(target, counted_class)

    def _counts(self, target: ox.NamedNode, counted_class: str) -> tuple[int, int]:
        """The triples in a graph and how many of its subjects have ``counted_class``."""
        counts = []
        for pattern in ("?s ?p ?o", f"?s a {ox.NamedNode(counted_class)}"):
            rows = self.store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {target} {{ {pattern} }} }}")
            counts.append(int(next(iter(rows))["n"].value))
        return counts[0], counts[1]

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def triples(self, graph: str) -> list[Triple]:
        return [
            (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in self.quads(graph)
        ]

    def quads(self, graph: str) -> list[ox.Quad]:
        return self.dataset.quads_for_graph_name(ox.NamedNode(graph))

    def written_quads(self, graph: str) -> list[ox.Quad]:
        return self.dataset.exact_for(graph)

    def graph_dump(self, graph: str) -> tuple[bytes, list[ox.Quad]]:
        """The Store's own N-Triples dump of the graph (no Python object per quad) and
        the quads with a rewritable literal as written (kg.rdf.literals.WrittenQuads)."""
        data = self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        return data, self.written_quads(graph)

    def dump_nquads(self) -> str:
        return ox.serialize(self.dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8")


# --- rdflib ----------------------------------------------------------------------------


class RdflibEngine:
    """The reference engine: an rdflib Dataset whose default graph is the union.

    It holds the terms its parser made (no second form to keep apart), runs every load
    in the calling thread, and is read only from the thread that writes to it (rdflib's
    in-memory store does not allow a read beside a write)."""

    name = "rdflib"
    strict_parser = False
    concurrent_reads = False
    insert_sees_union = True
    store = None

    def __init__(self) -> None:
        self.dataset = rdflib.Dataset(default_union=True)
        self._names: set[str] = set()  # named graphs in use (cheaper than asking rdflib)
        self.writes: dict[str, int] = {}

    def _target(self, graph: str) -> rdflib.Graph:
        self._names.add(graph)
        self.writes[graph] = self.writes.get(graph, 0) + 1
        return self.dataset.graph(URIRef(graph))

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Loads one after another: nothing runs beside them."""
        yield

    def loads_early(self, path: Path) -> bool:
        """No file: the order of loads changes nothing here."""
        return False

    def load(self, path: Path, graph: str, rewrite: Rewrite | None = None) -> None:
        parsed = rdflib.Graph()
        # A local file parsed by rdflib's own parser; nothing is fetched (no imports followed).
        try:
            parsed.parse(str(path), format=SOURCE_FORMATS[path.suffix][1])
        except RecursionError as exc:  # its Turtle parser recurses into nested [ ] and ( )
            raise EngineError(
                f"{path}: blank nodes or lists nested too deep for the rdflib engine's "
                "parser; load it with the oxigraph engine (--engine oxigraph)"
            ) from exc
        target = self._target(graph)
        if rewrite is None:
            for triple in parsed:
                target.add(triple)
        else:
            for s, p, o in parsed:
                target.add((_rewrite_rdflib(s, rewrite), p, _rewrite_rdflib(o, rewrite)))

    def add(self, graph: str, triples: Iterable[Triple]) -> None:
        target = self._target(graph)
        for triple in triples:
            target.add(triple)

    def _run(self, query: str, bindings: Mapping[str, Term] | None):  # noqa: ANN202
        check_offline(query)
        text = inject_values(query, bindings or {})
        try:
            return self.dataset.query(text)
        except Exception as exc:  # rdflib raises pyparsing errors for bad syntax
            raise EngineError(f"SPARQL error: {exc}") from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Rows:
        result = self._run(query, bindings)
        if result.type != "SELECT":
            raise EngineError("not a SELECT query")
        variables = [str(v) for v in result.vars]
        rows = [tuple(_plain(row[i]) for i in range(len(variables))) for row in result]
        return Rows(variables, rows)

    def construct(
        self,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        predicates: Collection[str] | None = None,
    ) -> list[Triple]:
        result = self._run(query, bindings)
        if result.type != "CONSTRUCT":
            raise EngineError("not a CONSTRUCT query")
        return [
            (s, p, _plain(o))
            for s, p, o in result.graph
            if predicates is None or str(p) in predicates
        ]

    def construct_into(
        self, query: str, bindings: Mapping[str, Term] | None, graph: str, counted_class: str
    ) -> tuple[int, int]:
        return self.construct_all_into([(query, bindings)], graph, counted_class)

    def construct_all_into(
        self, queries: Sequence[Construct], graph: str, counted_class: str
    ) -> tuple[int, int]:
        """One after another (rdflib's store is read from one thread), all evaluated
        before any is added."""
        found = [self.construct(query, bindings) for query, bindings in queries]
        triples = list(dict.fromkeys(t for part in found for t in part))
        self.add(graph, triples)
        kind = URIRef(counted_class)
        return len(triples), sum(1 for _s, p, o in triples if p == RDF.type and o == kind)

    def insert_into(self, head: str, where: str, graph: str, counted_class: str) -> tuple[int, int]:
        query = f"CONSTRUCT {{ {head} }} WHERE {{ {where} }}"
        return self.construct_into(query, None, graph, counted_class)

    def graphs(self) -> list[str]:
        return sorted(name for name in self._names if len(self.dataset.graph(URIRef(name))))

    def triples(self, graph: str) -> list[Triple]:
        return list(self.dataset.graph(URIRef(graph)))

    def quads(self, graph: str) -> list[ox.Quad]:
        target = ox.NamedNode(graph)
        return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), target) for s, p, o in self.triples(graph)]

    def written_quads(self, graph: str) -> list[ox.Quad]:
        """None: it holds the terms its parser made, with no form of its own."""
        return []

    def graph_dump(self, graph: str) -> tuple[bytes, list[ox.Quad]]:
        """No N-Triples of its own: every quad as written."""
        return b"", self.quads(graph)

    def dump_nquads(self) -> str:
        lines = []
        for name in self.graphs():
            g = to_ox(URIRef(name))
            for s, p, o in self.dataset.graph(URIRef(name)):
                lines.append(f"{to_ox(s)} {to_ox(p)} {to_ox(o)} {g} .\n")
        return "".join(lines)


def _plain(term: Term | None) -> Term | None:
    """Drop rdflib's explicit xsd:string so literals compare equal across engines."""
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term

"""Resource pages rendered on demand from a pyoxigraph store, with the static site's code.

A static page per resource stops making sense when resources number in the hundreds of
thousands (see bench.site for the measurements): writing them takes longer than the
rest of the build, and millions of small files are a burden to copy and host. A server
can instead render a resource's page when it is asked for: :class:`OnDemandSite` gives
the page code of :mod:`kg.site.pages` a :class:`~kg.site.graph.SiteGraph` whose indexes
(``out``: triples by subject, ``inc``: by object) are filled from the store on first
use, so a page costs a few index lookups instead of one parse of the whole dump.

Same HTML as the static page for the same data, with one caveat: the Store holds
literals in canonical form (``"1"^^xsd:positiveInteger`` is read back as
``"1"^^xsd:integer``, ``0.50`` as ``0.5``), so a page shows literals as the store holds
them; the dumps keep them as written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from kg.engine import OxigraphEngine
from kg.prefixes import PREFIXES
from kg.site import pages, rdfio, void
from kg.site.graph import SiteGraph, Term, triple_key
from kg.trace import trace

GOVSM = PREFIXES["govsm"]
SKOS = PREFIXES["skos"]
RDF_TYPE = PREFIXES["rdf"] + "type"


class _LazyIndex(dict):
    """term -> its triples (sorted, no duplicates across graphs), fetched once."""

    def __init__(self, fetch: Callable[[Term], list[ox.Triple]]) -> None:
        super().__init__()
        self._fetch = fetch

    def get(self, key: Term, default: object = ()) -> list[ox.Triple]:  # type: ignore[override]
        if not dict.__contains__(self, key):
            self[key] = self._fetch(key)
        return dict.__getitem__(self, key) or default  # type: ignore[return-value]


class _StorePages:
    """The set of page paths: every IRI under the base that is the subject of a triple."""

    def __init__(self, store: ox.Store, base: str) -> None:
        self.store, self.base = store, base
        self._known: dict[str, bool] = {"": True, "dataset": True, "ontology": True}

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path not in self._known:
            subject = ox.NamedNode(self.base + path)
            found = next(iter(self.store.quads_for_pattern(subject, None, None, None)), None)
            self._known[path] = found is not None and "#" not in path
        return self._known[path]


class OnDemandSite:
    """Render the page (or an RDF document) of one resource from a store."""

    def __init__(
        self, engine: OxigraphEngine, base: str, queries: Path, rule_iri: str | None = None
    ) -> None:
        self.engine, self.base, self.queries, self.rule_iri = engine, base, queries, rule_iri
        store = engine.store
        graph = SiteGraph(base, [], [])
        graph.out = _LazyIndex(lambda term: self._triples(term, None))
        graph.inc = _LazyIndex(lambda term: self._triples(None, term))
        graph._pages = _StorePages(store, base)  # type: ignore[assignment]
        graph.files = {f"dumps/{name}" for name in void.DUMPS}
        self.graph = graph

    @classmethod
    def from_nquads(
        cls, nquads: Path, base: str, queries: Path, rule_iri: str | None = None
    ) -> OnDemandSite:
        """A renderer over a dump (``dist/govsm.nq``), bulk-loaded into a fresh store."""
        engine = OxigraphEngine()
        engine.store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        return cls(engine, base, queries, rule_iri)

    def _triples(self, subject: Term | None, obj: Term | None) -> list[ox.Triple]:
        if isinstance(subject, ox.Literal):
            return []
        found = {
            ox.Triple(q.subject, q.predicate, q.object)
            for q in self.engine.store.quads_for_pattern(subject, None, obj, None)
        }
        return sorted(found, key=triple_key)

    def subject(self, path: str) -> ox.NamedNode | None:
        """The resource a page path names, if the store describes it."""
        if path in ("", "dataset", "ontology") or path not in self.graph.pages:
            return None
        return ox.NamedNode(self.base + path)

    def page(self, path: str) -> str | None:
        """The HTML page of ``BASE + path`` (None when the store does not describe it)."""
        subject = self.subject(path)
        if subject is None:
            return None
        return pages.resource_page(pages.Page(path, self.graph), subject, self._extra)

    def document(self, path: str, ext: str) -> str | None:
        """The resource's concise bounded description as ``ttl``, ``jsonld``, ``nt``, ``rdf``."""
        subject = self.subject(path)
        if subject is None or ext not in rdfio.FORMATS:
            return None
        return rdfio.documents(self.graph.description_of([subject]))[ext]

    def _extra(self, page: pages.Page, subject: ox.NamedNode) -> str:
        """What a kind of resource adds (as the static site's ``_extra``)."""
        graph = self.graph
        kinds = graph.types(subject)
        out = ""
        if SKOS + "ConceptScheme" in kinds:
            out += pages.scheme_tree(page, subject)
        if GOVSM + "SubFactor" in kinds:
            out += pages.subfactor_section(page, subject)
        if GOVSM + "DerivedClassification" in kinds:
            subfactor = graph.value(subject, GOVSM + "classifiedSubFactor")
            if isinstance(subfactor, ox.NamedNode):
                for step in trace(self.engine, self.queries, subfactor.value).classifications:
                    if step.iri == subject.value:
                        out += pages.trace_section(page, step)
        if GOVSM + "DerivationRule" in kinds:
            stem = subject.value.rsplit("/", 1)[-1]
            rule = self.queries / "derive" / f"{stem}.rq"
            out += pages.rule_section(rule.read_text(encoding="utf-8") if rule.is_file() else None)
        return out

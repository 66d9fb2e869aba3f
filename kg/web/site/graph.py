"""The view the site is rendered from: one parse of the canonical N-Quads, or a store.

:meth:`SiteGraph.from_nquads` indexes every triple by subject and by object once; every
page, every RDF document and every statistic is read from these indexes (no per-page
parsing or querying). :meth:`SiteGraph.from_store` reads the same indexes lazily from a
pyoxigraph store, a term at a time (pages rendered on demand, and the site-level pages
of a build too large for a page per resource), so memory does not grow with the data.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI, PREFIXES, compact
from kg.rdf.jsonld import Context, Usage
from kg.rdf.load import SHAPES_GRAPHS
from kg.rdf.nquads import canonical_nquads

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
FOAF = PREFIXES["foaf"]
OA = PREFIXES["oa"]
TYPE = ox.NamedNode(RDF + "type")
LABEL_PREDICATES = tuple(
    ox.NamedNode(iri)
    for iri in (SKOS + "prefLabel", RDFS + "label", DCTERMS + "title", FOAF + "name")
)
DESCRIPTION_PREDICATES = tuple(
    ox.NamedNode(iri) for iri in (DCTERMS + "description", SKOS + "definition", RDFS + "comment")
)
# A label derived from a quote shows this many characters of it at most.
QUOTE_LABEL_CHARS = 60
# The ontology, its alignment modules and its version IRIs are documented by one page.
ONTOLOGY_SPACE = DEFAULT_BASE + "ontology"
# The shapes (shape:, like govsm: terms, never move with the base) and the IRI of the
# shapes graph: documented by shapes.html (kg.web.site.shapes_docs).
SHAPES_NS = PREFIXES["shape"]
SHAPES_IRI = SHAPES_NS.removesuffix("#")
#: The site-level pages (besides the resources' pages); "" is the landing page.
SITE_PAGES = frozenset({"", "dataset", "ontology", "shapes"})

Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: A subject with at least this many triples gets its objects grouped by predicate on
#: first use (SiteGraph.objects): a review or a sub-factor with thousands of triples is
#: asked for its label on every page that links to it, and scanning its triples for
#: each label predicate made the static site quadratic in practice.
HUB_TRIPLES = 32
#: Grouped subjects kept at most (then the grouping starts afresh): bounded memory in a
#: long-running server.
HUB_CACHE = 10_000


def sort_key(term: object) -> tuple[int, str]:
    """IRIs, then blank nodes, then literals; within each by their N-Triples text."""
    rank = 0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.BlankNode) else 2
    return rank, str(term)


def triple_key(t: ox.Triple) -> tuple:
    return (sort_key(t.subject), str(t.predicate), sort_key(t.object))


class LazyIndex(dict):
    """term -> its triples (sorted, no duplicates across graphs), fetched on first use.

    Fetched lists are cached up to ``max_triples`` triples in all, then the cache
    starts afresh (so a long-running server, or the ontology page of a class with 10^5
    instances, does not end up holding the whole graph). Triples added with
    :meth:`add` (the site's own metadata, absent from the store) are kept apart and
    appended to what the store gives, as :meth:`SiteGraph.add` does for the full index.
    """

    def __init__(
        self, fetch: Callable[[Term], list[ox.Triple]], max_triples: int = 2_000_000
    ) -> None:
        super().__init__()
        self._fetch, self._max_triples, self._cached = fetch, max_triples, 0
        self.added: dict[Term, list[ox.Triple]] = defaultdict(list)

    def __missing__(self, key: Term) -> list[ox.Triple]:
        found = self._fetch(key) + self.added.get(key, [])
        if self._cached + len(found) > self._max_triples:
            self.clear()
            self._cached = 0
        self[key] = found
        self._cached += len(found) + 1
        return found

    def get(self, key: Term, default: object = ()) -> list[ox.Triple]:  # type: ignore[override]
        return self[key] or default  # type: ignore[return-value]

    def add(self, key: Term, triple: ox.Triple) -> None:
        self.added[key].append(triple)
        self.pop(key, None)


class StorePages:
    """The set of page paths of a store: every IRI under the base that is the subject of
    a triple (as :meth:`SiteGraph.resources`), plus the site-level pages; looked up in
    the store on first use and remembered (a bounded cache)."""

    def __init__(self, store: ox.Store, base: str, max_entries: int = 100_000) -> None:
        self.store, self.base, self._max_entries = store, base, max_entries
        self.site = set(SITE_PAGES)  # the site-level pages beside them
        self._known: dict[str, bool] = {}

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path in self.site:
            return True
        if path not in self._known:
            if len(self._known) >= self._max_entries:
                self._known.clear()
            self._known[path] = is_resource_path(path) and (
                next(
                    iter(self.store.quads_for_pattern(ox.NamedNode(self.base + path), None, None)),
                    None,
                )
                is not None
            )
        return self._known[path]


def is_resource_path(path: str) -> bool:
    """Whether the part of an IRI after the base can name a resource page."""
    if not path or "#" in path or path.endswith("/") or path in SITE_PAGES:
        return False
    return ".." not in path.split("/")


def shapes_of_store(store: ox.Store, base: str) -> list[ox.Triple]:
    """The triples of the store's shapes graphs (BASE graph/shapes/FILE)
    (:func:`canonical_triples`)."""
    found: list[ox.Quad] = []
    for name in store.named_graphs():
        if isinstance(name, ox.NamedNode) and name.value.startswith(base + SHAPES_GRAPHS):
            found += store.quads_for_pattern(None, None, None, name)
    return canonical_triples(found)


def canonical_triples(quads: list[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of ``quads``, sorted, their blank nodes (the shapes' RDF
    lists) labelled canonically from these quads alone: the same documents whether
    they come from the dump or from a store, which keeps labels of its own."""
    text = ox.serialize(
        [ox.Quad(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_QUADS
    ).decode("utf-8")
    canonical = ox.parse(canonical_nquads(text), format=ox.RdfFormat.N_QUADS)
    return sorted({ox.Triple(q.subject, q.predicate, q.object) for q in canonical}, key=triple_key)


def store_triples(store: ox.Store, subject: Term | None, obj: Term | None) -> list[ox.Triple]:
    """The distinct triples (over every graph) with that subject / object, sorted."""
    if isinstance(subject, ox.Literal):
        return []
    found = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(subject, None, obj, None)
    }
    return sorted(found, key=triple_key)


@dataclass
class SiteGraph:
    """The default view (union of the named graphs), indexed, with the site's base."""

    base: str
    triples: list[ox.Triple]
    ontology_triples: list[ox.Triple]
    out: dict[Term, list[ox.Triple]] = field(default_factory=lambda: defaultdict(list))
    inc: dict[Term, list[ox.Triple]] = field(default_factory=lambda: defaultdict(list))
    _pages: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)  # plain files of the site (dumps/…)
    # The JSON-LD context of its documents (kg.rdf.jsonld), made from the build's triples.
    context: Context = field(default_factory=lambda: Context.build(Usage()))
    # the published shapes: the named graphs BASE graph/shapes/FILE (kg.rdf.load.add_shapes)
    shape_triples: list[ox.Triple] = field(default_factory=list)
    # the store a lazily read graph comes from (from_store), for bounded look-ups
    store: ox.Store | None = None
    # subject -> (its triples list, their count, objects by predicate IRI): see objects()
    _hubs: dict[Term, tuple[list[ox.Triple], int, dict[str, list[Term]]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_nquads(cls, canonical: str, base: str, ontology_graphs: set[str]) -> SiteGraph:
        seen: set[ox.Triple] = set()
        onto: set[ox.Triple] = set()
        shapes: list[ox.Quad] = []
        shapes_space = base + SHAPES_GRAPHS
        for quad in ox.parse(canonical, format=ox.RdfFormat.N_QUADS):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            seen.add(triple)
            if isinstance(quad.graph_name, ox.NamedNode):
                if quad.graph_name.value in ontology_graphs:
                    onto.add(triple)
                elif quad.graph_name.value.startswith(shapes_space):
                    shapes.append(quad)
        graph = cls(base, sorted(seen, key=triple_key), sorted(onto, key=triple_key))
        graph.shape_triples = canonical_triples(shapes)
        graph.index(graph.triples)
        return graph

    @classmethod
    def from_store(
        cls, store: ox.Store, base: str, ontology_graphs: Iterable[str] = ()
    ) -> SiteGraph:
        """The default view of a store, read lazily (``triples`` stays empty: nothing
        that needs every triple may be asked of it); ``ontology_triples`` are read at
        once from the ontology's named graphs."""
        onto: set[ox.Triple] = set()
        for name in ontology_graphs:
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
                onto.add(ox.Triple(q.subject, q.predicate, q.object))
        graph = cls(base, [], sorted(onto, key=triple_key))
        graph.shape_triples = shapes_of_store(store, base)
        graph.out = LazyIndex(lambda term: store_triples(store, term, None))
        graph.inc = LazyIndex(lambda term: store_triples(store, None, term))
        graph._pages = StorePages(store, base)  # type: ignore[assignment]
        graph.store = store
        if not graph.shape_triples:  # a dump from before the shapes were published
            graph._pages.site.discard("shapes")  # type: ignore[attr-defined]
        return graph

    def index(self, triples: list[ox.Triple]) -> None:
        for t in triples:
            if isinstance(self.out, LazyIndex) and isinstance(self.inc, LazyIndex):
                self.out.add(t.subject, t)
                self.inc.add(t.object, t)
            else:
                self.out[t.subject].append(t)
                self.inc[t.object].append(t)

    def add(self, triples: list[ox.Triple]) -> None:
        """Add (site metadata) triples to the indexes, not to ``triples`` (the dumps)."""
        self.index(sorted(set(triples), key=triple_key))

    # --- reading ---------------------------------------------------------------------

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        triples = self.out.get(subject, ())
        if len(triples) < HUB_TRIPLES:
            return [t.object for t in triples if t.predicate.value == predicate]
        return list(self._grouped(subject, triples).get(predicate, ()))

    def objects_of(self, subject: Term, predicate: str) -> list[Term]:
        """:meth:`objects`, but on a graph read lazily from a store, a subject whose
        triples are not read yet is asked for that predicate's only: one value of a
        subject with thousands of triples (a derived classification's evidence items at
        scale) without reading and sorting them all."""
        out = self.out
        if (
            self.store is None
            or not isinstance(out, LazyIndex)
            or subject in out
            or out.added.get(subject)
            or isinstance(subject, ox.Literal)
        ):
            return self.objects(subject, predicate)
        found = {
            ox.Triple(q.subject, q.predicate, q.object)
            for q in self.store.quads_for_pattern(subject, ox.NamedNode(predicate), None, None)
        }
        return [t.object for t in sorted(found, key=triple_key)]

    def _grouped(self, subject: Term, triples: list[ox.Triple]) -> dict[str, list[Term]]:
        """A hub's objects by predicate IRI, in the order of its triples; made again when
        its triples list is another one or has grown (index() appends to it)."""
        known = self._hubs.get(subject)
        if known is not None and known[0] is triples and known[1] == len(triples):
            return known[2]
        grouped: dict[str, list[Term]] = defaultdict(list)
        for t in triples:
            grouped[t.predicate.value].append(t.object)
        if len(self._hubs) >= HUB_CACHE:
            self._hubs.clear()
        self._hubs[subject] = (triples, len(triples), grouped)
        return grouped

    def value(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def types(self, subject: Term) -> list[str]:
        return sorted(
            o.value for o in self.objects(subject, TYPE.value) if isinstance(o, ox.NamedNode)
        )

    def label(self, term: Term) -> str:
        """skos:prefLabel, rdfs:label, dcterms:title, foaf:name (English first); for what
        has none, a name derived from what it says (see derived_label), else compact."""
        if isinstance(term, ox.Literal):
            return term.value
        for literal in self._first(term, LABEL_PREDICATES):
            return literal
        derived = self.derived_label(term)
        if derived is not None:
            return derived
        return compact(term.value) if isinstance(term, ox.NamedNode) else "(blank node)"

    def derived_label(self, term: Term) -> str | None:
        """A readable name for a resource with no label of its own: a classification by
        what it says ("x: driver (derived classification)"), a quote selector by its
        text, a resource with a quote (an evidence item, a data-quality issue) by its
        kind and the start of its quote, a Web Annotation and its target (the passage)
        by the start of the quote they select; None for anything else."""
        classified = self.value(term, GOVSM + "classifiedSubFactor")
        direction = self.value(term, GOVSM + "hasDirection")
        if classified is not None and direction is not None and classified != term:
            kind = "derived" if GOVSM + "DerivedClassification" in self.types(term) else "reported"
            return f"{self.label(classified)}: {self.label(direction)} ({kind} classification)"
        exact = self.exact(term)
        if exact is not None:
            return f"“{shorten(exact)}”"
        for selector in sorted(self.objects(term, GOVSM + "hasQuote"), key=sort_key):
            quoted = self.exact(selector)
            if quoted is not None:
                kinds = [t for t in self.types(term) if t.startswith(GOVSM)]
                kind = self.label(ox.NamedNode(kinds[0])) if kinds else "quoted"
                return f"{kind}: “{shorten(quoted)}”"
        for kind, path in (("passage", ()), ("annotation", (OA + "hasTarget",))):
            quoted = self._selected(term, path)
            if quoted is not None:
                return f"{kind}: “{shorten(quoted)}”"
        return None

    def _selected(self, term: Term, path: tuple[str, ...]) -> str | None:
        """The text the first quote selector (oa:hasSelector) of the resource reached
        along ``path`` selects, or None."""
        nodes = [term]
        for predicate in path:
            nodes = [o for n in nodes for o in self.objects(n, predicate)]
        for node in sorted(nodes, key=sort_key):
            for selector in sorted(self.objects(node, OA + "hasSelector"), key=sort_key):
                quoted = self.exact(selector)
                if quoted is not None:
                    return quoted
        return None

    def exact(self, term: Term) -> str | None:
        """The verbatim text of a quote selector (oa:exact), or None."""
        found = self.value(term, OA + "exact")
        return found.value if isinstance(found, ox.Literal) else None

    def subjects(
        self, obj: Term, predicates: tuple[str, ...], limit: int | None = None
    ) -> list[ox.NamedNode]:
        """The IRI subjects of the distinct triples ``(s, p, obj)`` with ``p`` in
        ``predicates``, one per triple, at most ``limit`` of them: a class with 10^5
        instances costs ``limit`` look-ups, not a fetch of every triple pointing at it
        (which ``inc`` would do on a graph read from a store)."""
        found: list[ox.NamedNode] = []
        for t in self._incoming(obj, predicates):
            if isinstance(t.subject, ox.NamedNode):
                found.append(t.subject)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def _incoming(self, obj: Term, predicates: tuple[str, ...]) -> Iterator[ox.Triple]:
        """The distinct triples with that object and one of the predicates, lazily."""
        if self.store is None or isinstance(obj, ox.Triple):
            yield from (t for t in self.inc.get(obj, ()) if t.predicate.value in predicates)
            return
        seen: set[ox.Triple] = set()
        for t in self.inc.added.get(obj, []) if isinstance(self.inc, LazyIndex) else []:
            if t.predicate.value in predicates and t not in seen:
                seen.add(t)
                yield t
        for predicate in predicates:
            for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), obj, None):
                t = ox.Triple(q.subject, q.predicate, q.object)
                if t not in seen:
                    seen.add(t)
                    yield t

    def instances(self, class_iri: str) -> list[ox.NamedNode]:
        """The resources (IRIs under the base that can name a page, see is_resource_path)
        typed with the class or one of its sub-classes, sorted."""
        classes, queue = set(), [ox.NamedNode(class_iri)]
        while queue:
            cls = queue.pop()
            if cls in classes:
                continue
            classes.add(cls)
            queue += [
                t.subject
                for t in self.inc.get(cls, ())
                if t.predicate.value == RDFS + "subClassOf" and isinstance(t.subject, ox.NamedNode)
            ]
        found = {
            t.subject
            for cls in classes
            for t in self.inc.get(cls, ())
            if t.predicate == TYPE
            and isinstance(t.subject, ox.NamedNode)
            and t.subject.value.startswith(self.base)
            and is_resource_path(t.subject.value[len(self.base) :])
        }
        return sorted(found, key=lambda n: n.value)

    def rdf_list(self, node: Term) -> list[Term] | None:
        """The members of an RDF list starting at ``node``, or None if it is not one."""
        items: list[Term] = []
        current: Term | None = node
        while isinstance(current, ox.BlankNode):
            first = self.value(current, RDF + "first")
            if first is None:
                return None
            items.append(first)
            current = self.value(current, RDF + "rest")
        if isinstance(current, ox.NamedNode) and current.value == RDF + "nil":
            return items
        return None

    def description(self, term: Term) -> str | None:
        for text in self._first(term, DESCRIPTION_PREDICATES):
            return text
        return None

    def _first(self, term: Term, predicates: tuple[ox.NamedNode, ...]) -> list[str]:
        for predicate in predicates:
            values = [o for o in self.objects(term, predicate.value) if isinstance(o, ox.Literal)]
            if values:
                values.sort(
                    key=lambda v: (v.language not in ("en", None), v.language or "", v.value)
                )
                return [values[0].value]
        return []

    # --- where things live in the site ------------------------------------------------

    def page_path(self, iri: str) -> tuple[str, str] | None:
        """(page path without extension, fragment) of the page describing an IRI, or None."""
        if iri.startswith(GOVSM):
            return ("ontology", iri[len(GOVSM) :]) if "ontology" in self.pages else None
        if iri.startswith(SHAPES_NS) or iri == SHAPES_IRI:
            return ("shapes", iri[len(SHAPES_NS) :]) if "shapes" in self.pages else None
        if iri.startswith(self.base):
            path, _, fragment = iri[len(self.base) :].partition("#")
            if path in self.pages:
                return path, fragment
        if iri == ONTOLOGY_IRI or iri.startswith(ONTOLOGY_SPACE + "/"):
            return ("ontology", "") if "ontology" in self.pages else None
        return None

    def file_path(self, iri: str) -> str | None:
        """The site file an IRI under the base names directly (a dump), or None."""
        if iri.startswith(self.base) and iri[len(self.base) :] in self.files:
            return iri[len(self.base) :]
        return None

    @property
    def pages(self) -> set[str]:
        return self._pages

    def set_pages(self, pages: set[str]) -> None:
        self._pages = pages

    def resources(self) -> list[ox.NamedNode]:
        """IRIs under the base that are the subject of a triple (each gets its documents)."""
        found = []
        for subject in self.out:
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(self.base):
                continue
            if is_resource_path(subject.value[len(self.base) :]):
                found.append(subject)
        return sorted(found, key=lambda s: s.value)

    # --- concise bounded description --------------------------------------------------

    def description_of(self, subjects: list[Term]) -> list[ox.Triple]:
        """CBD: the subjects' triples, their blank-node closure, and labels of linked IRIs."""
        result: set[ox.Triple] = set()
        queue = list(subjects)
        done: set[Term] = set()
        while queue:
            node = queue.pop()
            if node in done:
                continue
            done.add(node)
            for t in self.out.get(node, ()):
                result.add(t)
                if isinstance(t.object, ox.BlankNode):
                    queue.append(t.object)
        for t in list(result):
            if isinstance(t.object, ox.NamedNode) and t.object not in done:
                for lt in self.out.get(t.object, ()):
                    if lt.predicate in LABEL_PREDICATES:
                        result.add(lt)
        first = set(subjects)
        return sorted(result, key=lambda t: (t.subject not in first, triple_key(t)))


def shorten(text: str, limit: int = QUOTE_LABEL_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to ``limit`` characters (with …)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > 0 else limit].rstrip(" ,;:.") + "…"


# Pages link the same few targets (the site-level pages, their neighbours) from the same
# folders, and posixpath.relpath is the slow part of a link: remembered.
@lru_cache(maxsize=1 << 16)
def relative(from_path: str, to_path: str, fragment: str = "", ext: str = ".html") -> str:
    """A relative link from the page at ``from_path`` to ``to_path`` + ext (+ #fragment)."""
    target = (to_path or "index") + ext
    start = posixpath.dirname(from_path) or "."
    # percent-encode what a browser would decode or read as a scheme ("%", ":", spaces)
    href = quote(posixpath.relpath(target, start), safe="/-._~!$&'()*+,;=@")
    return href + (f"#{quote(fragment, safe='-._~')}" if fragment else "")

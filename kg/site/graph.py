"""The in-memory view the site is rendered from: one parse of the canonical N-Quads.

Triples are indexed by subject and by object once; every page, every RDF document and
every statistic is read from these indexes (no per-page parsing or querying).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI, PREFIXES

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
FOAF = PREFIXES["foaf"]
TYPE = ox.NamedNode(RDF + "type")
LABEL_PREDICATES = tuple(
    ox.NamedNode(iri)
    for iri in (SKOS + "prefLabel", RDFS + "label", DCTERMS + "title", FOAF + "name")
)
DESCRIPTION_PREDICATES = tuple(
    ox.NamedNode(iri) for iri in (DCTERMS + "description", SKOS + "definition", RDFS + "comment")
)
# The ontology, its alignment modules and its version IRIs are documented by one page.
ONTOLOGY_SPACE = DEFAULT_BASE + "ontology"

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def sort_key(term: object) -> tuple[int, str]:
    """IRIs, then blank nodes, then literals; within each by their N-Triples text."""
    rank = 0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.BlankNode) else 2
    return rank, str(term)


def triple_key(t: ox.Triple) -> tuple:
    return (sort_key(t.subject), str(t.predicate), sort_key(t.object))


def compact(iri: str) -> str:
    """prefix:local for display (longest matching namespace), else the IRI."""
    best = ""
    name = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    return f"{name}:{iri[len(best) :]}" if best else iri


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

    @classmethod
    def from_nquads(cls, canonical: str, base: str, ontology_graphs: set[str]) -> SiteGraph:
        seen: set[ox.Triple] = set()
        onto: set[ox.Triple] = set()
        for quad in ox.parse(canonical, format=ox.RdfFormat.N_QUADS):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            seen.add(triple)
            if (
                isinstance(quad.graph_name, ox.NamedNode)
                and quad.graph_name.value in ontology_graphs
            ):
                onto.add(triple)
        graph = cls(base, sorted(seen, key=triple_key), sorted(onto, key=triple_key))
        graph.index(graph.triples)
        return graph

    def index(self, triples: list[ox.Triple]) -> None:
        for t in triples:
            self.out[t.subject].append(t)
            self.inc[t.object].append(t)

    def add(self, triples: list[ox.Triple]) -> None:
        """Add (site metadata) triples to the indexes, not to ``triples`` (the dumps)."""
        self.index(sorted(set(triples), key=triple_key))

    # --- reading ---------------------------------------------------------------------

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        return [t.object for t in self.out.get(subject, ()) if t.predicate.value == predicate]

    def value(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def types(self, subject: Term) -> list[str]:
        return sorted(
            t.object.value
            for t in self.out.get(subject, ())
            if t.predicate == TYPE and isinstance(t.object, ox.NamedNode)
        )

    def label(self, term: Term) -> str:
        """skos:prefLabel, rdfs:label, dcterms:title, foaf:name (English first), else compact."""
        if isinstance(term, ox.Literal):
            return term.value
        for literal in self._first(term, LABEL_PREDICATES):
            return literal
        classified = self.value(term, GOVSM + "classifiedSubFactor")
        direction = self.value(term, GOVSM + "hasDirection")
        if classified is not None and direction is not None and classified != term:
            # classifications carry no label of their own: name them by what they say
            kind = "derived" if GOVSM + "DerivedClassification" in self.types(term) else "reported"
            return f"{self.label(classified)}: {self.label(direction)} ({kind} classification)"
        return compact(term.value) if isinstance(term, ox.NamedNode) else "(blank node)"

    def description(self, term: Term) -> str | None:
        for text in self._first(term, DESCRIPTION_PREDICATES):
            return text
        return None

    def _first(self, term: Term, predicates: tuple[ox.NamedNode, ...]) -> list[str]:
        triples = self.out.get(term, ())
        for predicate in predicates:
            values = [
                t.object
                for t in triples
                if t.predicate == predicate and isinstance(t.object, ox.Literal)
            ]
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
            return "ontology", iri[len(GOVSM) :]
        if iri.startswith(self.base):
            path, _, fragment = iri[len(self.base) :].partition("#")
            if path in self.pages:
                return path, fragment
        if iri == ONTOLOGY_IRI or iri.startswith(ONTOLOGY_SPACE + "/"):
            return "ontology", ""
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
            path = subject.value[len(self.base) :]
            if not path or "#" in path or path.endswith("/") or path == "ontology":
                continue
            if ".." in path.split("/"):
                continue
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


def relative(from_path: str, to_path: str, fragment: str = "", ext: str = ".html") -> str:
    """A relative link from the page at ``from_path`` to ``to_path`` + ext (+ #fragment)."""
    target = (to_path or "index") + ext
    start = posixpath.dirname(from_path) or "."
    # percent-encode what a browser would decode or read as a scheme ("%", ":", spaces)
    href = quote(posixpath.relpath(target, start), safe="/-._~!$&'()*+,;=@")
    return href + (f"#{quote(fragment, safe='-._~')}" if fragment else "")

"""Load the GovSM ontology with its owl:imports closure, offline, through the XML catalog.

``ontology/govsm.ttl`` imports one alignment module per external vocabulary
(``ontology/alignments/``), which import small declaration modules of the external
terms they use (``ontology/imports/``). Every import IRI is resolved through
``ontology/catalog-v001.xml`` (OASIS XML catalog, as Protégé writes it) to a local
file. Nothing is ever fetched from the network: an import that the catalog does not
list is an error that names the IRI.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.rdf.imports import without_imports
from kg.rdf.offline import RdfFileError, dtd_refusal
from kg.rdf.offline import parse_file as offline_parse

ROOT_FILE = "govsm.ttl"
CATALOG_FILE = "catalog-v001.xml"
_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


class OntologyLoadError(Exception):
    """The ontology or one of its imports cannot be loaded."""


class ImportNotInCatalogError(OntologyLoadError):
    """An owl:imports IRI has no entry in the catalog (it would need the network)."""

    def __init__(self, iri: str, importer: str, catalog: Path) -> None:
        self.iri = iri
        super().__init__(
            f"owl:imports <{iri}> (imported by <{importer}>) is not in {catalog}; "
            "GovSM-KG resolves imports offline only: add a <uri name=...> entry"
        )


@dataclass(frozen=True)
class LoadedOntology:
    """The merged import closure and where each module came from."""

    graph: Graph
    modules: dict[str, Path]  # ontology IRI -> file


def parse_file(graph: Graph, path: Path) -> None:
    """Parse one RDF file into ``graph`` offline (kg.rdf.offline: a JSON-LD context named
    by URL or an XML DOCTYPE is refused); any error names the file."""
    try:
        offline_parse(graph, path)
    except RdfFileError as exc:
        raise OntologyLoadError(str(exc)) from exc


def read_catalog(catalog: Path) -> dict[str, Path]:
    """Map each ``<uri name=IRI uri=FILE/>`` of an OASIS catalog to an absolute path.
    Refused: a DOCTYPE that kg.rdf.offline.dtd_refusal refuses, an entry mapping an IRI
    to anything but a local file (an ``http:`` URL...): nothing is ever fetched. Other
    entries (``nextCatalog``, ``rewriteURI``...) are not read."""
    try:
        refusal = dtd_refusal(catalog.read_bytes())
        if refusal:
            raise OntologyLoadError(f"{catalog}: {refusal}")
        root = ET.parse(catalog).getroot()
    except (OSError, ET.ParseError) as exc:
        raise OntologyLoadError(f"{catalog}: {exc}") from exc
    entries: dict[str, Path] = {}
    for el in root.iter(f"{_CATALOG_NS}uri"):
        name, uri = el.get("name"), el.get("uri")
        if name and uri:
            entries[name] = _local_file(catalog, name, uri)
    return entries


def _local_file(catalog: Path, name: str, uri: str) -> Path:
    """The file a catalog entry maps ``name`` to: a path relative to the catalog, or a
    ``file:`` URI; any other scheme is refused (it would need the network)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path)).resolve()
    if len(parts.scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise OntologyLoadError(
            f"{catalog}: refused: <{name}> is mapped to {uri!r}, which is not a local file; "
            "GovSM-KG never fetches an import: map it to a file beside the catalog"
        )
    return (catalog.parent / uri).resolve()


def _ontology_iri(graph: Graph, path: Path) -> str:
    iris = [str(s) for s in graph.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)]
    if len(iris) != 1:
        raise OntologyLoadError(f"{path}: expected one owl:Ontology header, found {len(iris)}")
    return iris[0]


def load_ontology(ontology_dir: Path, root: str = ROOT_FILE) -> LoadedOntology:
    """Load ``root`` and its owl:imports closure (through the catalog) into one graph."""
    ontology_dir = Path(ontology_dir)
    catalog_path = ontology_dir / CATALOG_FILE
    catalog = read_catalog(catalog_path) if catalog_path.exists() else {}
    merged = Graph()
    modules: dict[str, Path] = {}
    queue: list[tuple[Path, str | None]] = [(ontology_dir / root, None)]
    seen_files: set[Path] = set()
    while queue:
        path, expected_iri = queue.pop(0)
        if path in seen_files:
            continue
        seen_files.add(path)
        if not path.exists():
            raise OntologyLoadError(f"{path}: file not found (catalog entry for <{expected_iri}>)")
        module = Graph()
        parse_file(module, path)
        iri = _ontology_iri(module, path)
        if expected_iri is not None and iri != expected_iri:
            raise OntologyLoadError(
                f"{path}: declares <{iri}> but the catalog maps <{expected_iri}> to it"
            )
        modules[iri] = path
        merged += module
        for imported in sorted(str(o) for o in module.objects(URIRef(iri), OWL.imports)):
            if imported in modules:
                continue
            if imported not in catalog:
                raise ImportNotInCatalogError(imported, iri, catalog_path)
            queue.append((catalog[imported], imported))
    return LoadedOntology(merged, modules)


def load_files(paths: Iterable[Path], into: Graph | None = None) -> Graph:
    """Parse several RDF files into one graph (format from each suffix)."""
    graph = into if into is not None else Graph()
    for path in paths:
        parse_file(graph, Path(path))
    return graph


_OWL_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
_PROPERTY_TYPES = (RDF.Property, *_OWL_PROPERTY_TYPES)
_CLASS_AXIOMS = (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith)


def owl_view(graph: Graph, notes: list[str] | None = None) -> Graph:
    """A copy of ``graph`` ready for an OWL reasoner that must not touch the network.

    - ``owl:imports`` triples are dropped: the closure is already merged.
    - RDFS-only declarations are lifted the way OWL tools read them: an ``rdfs:Class``
      (not a datatype) is also an ``owl:Class``; an ``rdf:Property`` that no loaded
      file gives an OWL property type is read as an ``owl:AnnotationProperty``, so its
      rdfs:domain/range/subPropertyOf carry no logical weight. This is a weakening
      (never a strengthening): it can hide, not create, a clash. schema.org, DCTERMS
      and Web Annotation are written in RDFS this way; the GovSM term modules give
      the external properties GovSM relies on their proper OWL type.
    - A term declared as a property that some file also uses as a class (schema.org
      30.0 states ``schema:timestamp owl:equivalentClass prov:atTime`` and types
      ``prov:atTime`` as ``rdfs:Class``) keeps its property reading: its class typing
      and the class axioms naming it are dropped and described in ``notes``.
    """
    out = without_imports(graph)
    properties = {s for t in _PROPERTY_TYPES for s in out.subjects(RDF.type, t)}
    for prop in sorted(properties):
        dropped = [(prop, RDF.type, c) for c in (RDFS.Class, OWL.Class)]
        dropped = [triple for triple in dropped if triple in out]
        for axiom in _CLASS_AXIOMS:
            dropped += list(out.triples((prop, axiom, None)))
            dropped += list(out.triples((None, axiom, prop)))
        for triple in dropped:
            out.remove(triple)
        if dropped and notes is not None:
            notes.append(f"<{prop}> is a property; {len(dropped)} class statement(s) ignored")
    for cls in set(out.subjects(RDF.type, RDFS.Class)):
        if (cls, RDF.type, RDFS.Datatype) not in out:
            out.add((cls, RDF.type, OWL.Class))
    for prop in set(out.subjects(RDF.type, RDF.Property)):
        if not any((prop, RDF.type, t) in out for t in _OWL_PROPERTY_TYPES):
            out.add((prop, RDF.type, OWL.AnnotationProperty))
    return out


def label_of(graph: Graph, iri: str) -> str:
    """An English (or untagged) rdfs:label or skos:prefLabel of ``iri``; empty if none."""
    node = URIRef(iri)
    fallback = ""
    for prop in (RDFS.label, SKOS.prefLabel):
        for value in graph.objects(node, prop):
            lang = getattr(value, "language", None)
            if lang == "en":
                return str(value)
            if lang is None and not fallback:
                fallback = str(value)
    return fallback

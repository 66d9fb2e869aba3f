"""The ontology header and the documentation of every GovSM term."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.prefixes import GOVSM, ONTOLOGY_IRI

VANN = "http://purl.org/vocab/vann/"


@pytest.fixture(scope="module")
def core(repo_root: Path) -> Graph:
    """ontology/govsm.ttl alone (no imports)."""
    return Graph().parse(repo_root / "ontology" / "govsm.ttl")


def _en(graph: Graph, node: URIRef, prop: URIRef) -> list[Literal]:
    return [o for o in graph.objects(node, prop) if isinstance(o, Literal) and o.language == "en"]


def test_header_metadata(core: Graph) -> None:
    onto = URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in core
    assert _en(core, onto, DCTERMS.title), "English dcterms:title"
    assert _en(core, onto, DCTERMS.description), "English dcterms:description"
    licence = core.value(onto, DCTERMS.license)
    assert isinstance(licence, URIRef), "dcterms:license must be an IRI"
    assert list(core.objects(onto, DCTERMS.creator)), "dcterms:creator"
    version_iri = core.value(onto, OWL.versionIRI)
    assert isinstance(version_iri, URIRef) and version_iri != onto
    assert str(version_iri).startswith(ONTOLOGY_IRI + "/")
    info = core.value(onto, OWL.versionInfo)
    assert info is not None and str(info) in str(version_iri)
    assert str(core.value(onto, URIRef(VANN + "preferredNamespacePrefix"))) == "govsm"
    assert str(core.value(onto, URIRef(VANN + "preferredNamespaceUri"))) == GOVSM
    for prop in (DCTERMS.created, DCTERMS.modified):
        value = core.value(onto, prop)
        assert isinstance(value, Literal) and value.datatype is not None, prop


def _govsm_terms(graph: Graph, types: tuple[URIRef, ...]) -> list[URIRef]:
    return sorted(
        {
            s
            for t in types
            for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef) and str(s).startswith(GOVSM)
        }
    )


def test_every_class_and_property_has_english_label_and_definition(core: Graph) -> None:
    terms = _govsm_terms(
        core, (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    )
    assert len(terms) > 50
    missing = [
        f"{t}: {'label ' if len(_en(core, t, RDFS.label)) != 1 else ''}"
        f"{'definition' if not _en(core, t, SKOS.definition) else ''}"
        for t in terms
        if len(_en(core, t, RDFS.label)) != 1 or not _en(core, t, SKOS.definition)
    ]
    assert not missing, "\n".join(missing)


def test_every_controlled_value_has_preflabel_and_definition(core: Graph) -> None:
    concepts = {
        s
        for s, _, cls in core.triples((None, RDF.type, None))
        if str(s).startswith(GOVSM) and (cls, RDFS.subClassOf, SKOS.Concept) in core
    }
    schemes = set(_govsm_terms(core, (SKOS.ConceptScheme,)))
    assert len(concepts) > 20 and schemes
    missing = [
        str(c)
        for c in sorted(concepts | schemes)
        if len(_en(core, c, SKOS.prefLabel)) != 1 or not _en(core, c, SKOS.definition)
    ]
    assert not missing, missing
    for concept in concepts:
        assert list(core.objects(concept, SKOS.inScheme)), f"{concept} in no scheme"

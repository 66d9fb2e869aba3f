"""Alignment and import modules: offline resolution through the catalog, declarations."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.prefixes import GOVSM, ONTOLOGY_IRI, PREFIXES
from kg.rdf.offline import rdflib_format as rdf_format
from kg.stages.ontology import (
    ImportNotInCatalogError,
    load_ontology,
    read_catalog,
)

ALIGNED = ("prov", "skos", "dcterms", "bibo", "fabio", "cito", "oa", "dcat", "cpsv", "org")
ALIGNED += ("schema", "sioc")
# Namespaces whose terms GovSM may use without an import module: RDF/OWL built-ins,
# its own, instance IRIs and Wikidata entities.
BUILTIN = tuple(
    PREFIXES[n] for n in ("rdf", "rdfs", "owl", "xsd", "govsm", "id", "rule", "wd", "vann")
)
# Pinned copy (vendored in tests/vocab/) of each term module's vocabulary; foaf and void
# are not pinned.
PINNED = {
    "prov": "prov-o.ttl",
    "skos": "skos.rdf",
    "dcterms": "dublin_core_terms.ttl",
    "bibo": "bibo.owl",
    "fabio": "fabio.ttl",
    "cito": "cito.ttl",
    "oa": "oa.ttl",
    "dcat": "dcat3.ttl",
    "cpsv": "cpsv-ap-3.2.0.ttl",
    "org": "org.ttl",
    "schema": "schemaorg-current-https.ttl",
    "sioc": "sioc.ttl",
    "sepio": "sepio.owl",
}


@pytest.fixture(scope="module")
def ontology_dir(repo_root: Path) -> Path:
    return repo_root / "ontology"


@pytest.fixture(scope="module")
def closure(ontology_dir: Path):
    return load_ontology(ontology_dir)


def test_catalog_lists_existing_files_under_the_ontology_iri(ontology_dir: Path) -> None:
    catalog = read_catalog(ontology_dir / "catalog-v001.xml")
    assert catalog
    for iri, path in catalog.items():
        assert iri.startswith(ONTOLOGY_IRI + "/"), iri
        assert path.is_file(), f"{iri} -> {path}"
        assert ontology_dir.resolve() in path.parents


def test_import_closure_resolves_offline(closure, ontology_dir: Path) -> None:
    modules = closure.modules
    assert ONTOLOGY_IRI in modules
    for name in (*ALIGNED, "foaf"):
        assert f"{ONTOLOGY_IRI}/alignments/{name}" in modules, name
    catalog = read_catalog(ontology_dir / "catalog-v001.xml")
    assert set(catalog) <= set(modules), "catalog entries nobody imports"
    for iri, path in modules.items():
        graph = Graph().parse(path, format=rdf_format(path))
        assert (URIRef(iri), RDF.type, OWL.Ontology) in graph


def test_one_alignment_file_per_vocabulary(ontology_dir: Path) -> None:
    files = sorted(p.name for p in (ontology_dir / "alignments").glob("*.ttl"))
    for name in ALIGNED:
        assert f"govsm-{name}.ttl" in files


def test_import_not_in_catalog_is_an_error_naming_the_iri(tmp_path: Path) -> None:
    missing = "https://w3id.org/govsm/ontology/alignments/not-there"
    (tmp_path / "govsm.ttl").write_text(
        f"<{ONTOLOGY_IRI}> a <{OWL.Ontology}> ; <{OWL.imports}> <{missing}> .\n"
    )
    (tmp_path / "catalog-v001.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog"/>'
    )
    with pytest.raises(ImportNotInCatalogError) as info:
        load_ontology(tmp_path)
    assert missing in str(info.value)


def _external_terms(graph: Graph) -> set[URIRef]:
    """Every IRI an alignment mentions (subject, predicate, object) outside built-ins."""
    terms: set[URIRef] = set()
    for triple in graph:
        for node in triple:
            if isinstance(node, URIRef) and not str(node).startswith(
                (*BUILTIN, ONTOLOGY_IRI + "/")
            ):
                terms.add(node)
    return terms


def _declared(closure) -> set[URIRef]:
    graph = closure.graph
    return {
        s for s in graph.subjects(RDFS.isDefinedBy, None) if graph.value(s, RDFS.label) is not None
    }


def test_every_external_term_of_alignments_and_examples_is_declared(
    closure, ontology_dir: Path, repo_root: Path
) -> None:
    declared = _declared(closure)
    used: set[URIRef] = set()
    for path in sorted((ontology_dir / "alignments").glob("*.ttl")):
        used |= _external_terms(Graph().parse(path))
    for path in sorted((repo_root / "tests" / "fixtures" / "examples").glob("*.ttl")):
        graph = Graph().parse(path)
        used |= {p for p in graph.predicates() if not str(p).startswith(BUILTIN)}
        used |= {o for o in graph.objects(None, RDF.type) if not str(o).startswith(BUILTIN)}
    missing = sorted(str(t) for t in used - declared)
    assert not missing, "declare in ontology/imports/: " + ", ".join(missing)


def test_import_modules_declare_terms_that_exist_upstream(
    ontology_dir: Path, vocab_dir: Path
) -> None:
    vocab = vocab_dir
    for key, filename in PINNED.items():
        module = Graph().parse(ontology_dir / "imports" / f"{key}-terms.ttl")
        upstream = Graph().parse(vocab / filename, format=rdf_format(vocab / filename))
        for term in set(module.subjects(RDFS.isDefinedBy, None)):
            assert (term, None, None) in upstream, f"{term} not in {filename}"


def test_skos_mappings_only_from_govsm_terms(closure) -> None:
    mapping = (SKOS.closeMatch, SKOS.relatedMatch, SKOS.exactMatch)
    for prop in mapping:
        for s in closure.graph.subjects(prop, None):
            assert str(s).startswith(GOVSM), f"{s} {prop}: alignments map GovSM terms only"

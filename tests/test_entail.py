"""The entailment view (kg.stages.entail): every triple it adds is entailed by the
ontology and its alignments (owlrl's OWL 2 RL closure is the oracle), it adds every
statement the five axiom kinds imply onto external terms, and each graph says which
axioms yielded it."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
import rdflib
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD

from kg.build.pipeline import restate
from kg.config import Project
from kg.prefixes import DEFAULT_BASE, GOVSM
from kg.rdf.engine import make_engine
from kg.rdf.load import load
from kg.stages.derive import derive, select_rules
from kg.stages.entail import PROVENANCE_GRAPH, entail

AXIOMS = (
    RDFS.subPropertyOf,
    RDFS.subClassOf,
    OWL.equivalentProperty,
    OWL.equivalentClass,
    OWL.inverseOf,
)
BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))
EX = Namespace("http://example.org/vocab#")
EXT = Namespace("http://external.example.org/")


def _is_external(term: rdflib.term.Node) -> bool:
    return isinstance(term, URIRef) and not str(term).startswith((GOVSM, *BUILTIN))


@pytest.fixture(scope="module")
def built(repo_root: Path):
    """The review loaded, derived and restated on the embedded engine."""
    project = Project(root=repo_root)
    loaded = load(project, DEFAULT_BASE)
    derivations = derive(loaded.engine, select_rules(project.queries, "assessment"), DEFAULT_BASE)
    views, entailments = restate(loaded, project, derivations)
    return loaded, views, entailments


def _split(loaded) -> tuple[Graph, Graph, Graph, dict[str, Graph]]:
    """Ontology, data (sources, derived, views), and the entailed graphs, as rdflib."""
    tbox, data = Graph(), Graph()
    entailed: dict[str, Graph] = {}
    ontology = {s.graph for s in loaded.sources if s.kind == "ontology"}
    for name in loaded.engine.graphs():
        triples = loaded.engine.triples(name)
        if "/graph/entailed/" in name:
            entailed[name] = Graph()
            for t in triples:
                entailed[name].add(t)
        elif name.endswith(PROVENANCE_GRAPH):
            continue
        else:
            target = tbox if name in ontology else data
            for t in triples:
                target.add(t)
    return tbox, data, tbox + data, entailed


@pytest.fixture(scope="module")
def closure(built) -> tuple[Graph, Graph, dict[str, Graph]]:
    """owlrl's OWL 2 RL closure of ontology + data, the data, and the entailed graphs."""
    tbox, data, union, entailed = _split(built[0])
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(union)
    return union, data, entailed


def test_every_entailed_triple_is_entailed_and_not_asserted(closure) -> None:
    union, data, entailed = closure
    assert len(entailed) > 20
    for name, graph in entailed.items():
        assert len(graph), name
        for triple in graph:
            assert triple in union, f"{triple} in {name} is not entailed"
            assert triple not in data, f"{triple} in {name} is stated already"
            predicate, obj = triple[1], triple[2]
            assert _is_external(obj if predicate == RDF.type else predicate), triple


def test_every_statement_the_axioms_imply_onto_external_terms_is_there(built) -> None:
    """Completeness: the closure of the five axiom kinds alone (no domain, range or other
    OWL: the data's owl:sameAs links of duplicate records are left out too, as the view
    does not merge them), restricted to external terms and the data's subjects, minus
    what is stated."""
    tbox, data, _, entailed = _split(built[0])
    axioms = Graph()
    for predicate in AXIOMS:
        for s, o in tbox.subject_objects(predicate):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                axioms.add((s, predicate, o))
    union = axioms + data
    union.remove((None, OWL.sameAs, None))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(union)
    subjects = set(data.subjects()) | set(data.objects())
    expected = {
        (s, p, o)
        for s, p, o in union
        if s in subjects
        and (s, p, o) not in data
        and (_is_external(o) if p == RDF.type else _is_external(p) and o in subjects)
    }
    found = set().union(*(set(g) for g in entailed.values()))
    assert expected - found == set()
    assert found - expected == set()


def test_a_prov_only_client_reaches_the_studies_from_a_classification(built) -> None:
    """``prov:wasDerivedFrom+`` from each derived classification reaches exactly the works
    its evidence items cite (govsm:supportedBy/govsm:evidenceSource), typed bibo:Document
    and dated with dcterms:issued where the data has a year."""
    engine = built[0].engine
    prefixes = """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX bibo: <http://purl.org/ontology/bibo/>
        PREFIX fabio: <http://purl.org/spar/fabio/>
        PREFIX govsm: <https://w3id.org/govsm/ontology#>
    """
    standard = engine.select(
        prefixes
        + """SELECT DISTINCT ?classification ?work ?year WHERE {
          ?classification prov:wasGeneratedBy ?activity ; prov:wasDerivedFrom+ ?work .
          ?work a bibo:Document .
          OPTIONAL { ?work dcterms:issued ?year }
        }"""
    ).rows
    own = engine.select(
        prefixes
        + """SELECT DISTINCT ?classification ?work ?year WHERE {
          ?classification a govsm:DerivedClassification ;
              govsm:supportedBy/govsm:evidenceSource ?work .
          OPTIONAL { ?work fabio:hasPublicationYear ?year }
        }"""
    ).rows
    assert len({row[0] for row in own}) == 16
    assert set(standard) == set(own)
    assert sum(1 for row in standard if row[2] is not None) > 16


def test_each_graph_names_the_axioms_that_yielded_it_in_chain_order(built) -> None:
    loaded, _, entailments = built
    provenance = Graph()
    for t in loaded.engine.triples(DEFAULT_BASE + PROVENANCE_GRAPH):
        provenance.add(t)
    for pair in entailments:
        graph = URIRef(pair.graph)
        steps = list(provenance.objects(graph, PROV.wasDerivedFrom))
        assert len(steps) == len(pair.chain) >= 1
        chain_ends = {pair.term}
        for axiom in pair.chain:
            node = next(
                n
                for n in steps
                if (n, RDF.subject, axiom.subject) in provenance
                and (n, RDF.object, axiom.object) in provenance
            )
            location = provenance.value(node, PROV.atLocation)
            stated = {t for t in loaded.engine.triples(str(location))}
            assert (axiom.subject, axiom.predicate, axiom.object) in stated
            assert chain_ends & {axiom.subject, axiom.object}
            chain_ends = {axiom.subject, axiom.object}
        assert pair.target in chain_ends


TBOX = [
    (EX.knows, RDFS.subPropertyOf, EXT.related),
    (EX.partOf, OWL.inverseOf, EXT.hasPart),
    (EXT.hasPart, RDFS.subPropertyOf, EXT.contains),
    (EX.label, OWL.equivalentProperty, EXT.name),
    (EX.Thing, OWL.equivalentClass, EXT.Item),
    (EXT.Item, RDFS.subClassOf, EXT.Resource),
    (EX.Thing, RDFS.subClassOf, EX.Inner),
    (EX.Inner, RDFS.subClassOf, EXT.Kind),
]
DATA = [
    (EX.a, EX.knows, EX.b),
    (EX.a, EX.partOf, EX.c),
    (EX.a, EX.label, Literal("a")),
    (EX.a, RDF.type, EX.Thing),
    (EX.b, EXT.related, EX.a),
]


@pytest.mark.parametrize("engine_name", ["oxigraph", "rdflib"])
def test_inverse_and_equivalence_are_applied_on_both_engines(
    engine_name: str,
) -> None:
    """An ontology with every axiom kind (the review's has no inverse): the view equals
    the oracle's closure onto the external namespace, on both engines."""
    engine = make_engine(engine_name)
    base = "http://example.org/"
    engine.add(base + "graph/ontology", TBOX)
    engine.add(base + "graph/data", DATA)
    done = entail(engine, base, [base + "graph/ontology"], [base + "graph/data"], str(EX))
    found = set()
    for pair in done:
        found |= set(engine.triples(pair.graph))
    union = Graph()
    for t in TBOX + DATA:
        union.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(union)
    expected = {
        (s, p, o)
        for s, p, o in union
        if s in {EX.a, EX.b, EX.c}
        and (s, p, o) not in set(DATA)
        and str(o if p == RDF.type else p).startswith(str(EXT))
    }
    assert found == expected
    assert (EX.c, EXT.contains, EX.a) in found  # inverse, then up
    assert (EX.a, EXT.related, EX.b) in found
    names = {pair.graph for pair in done}
    assert base + "graph/entailed/partOf/inverse-hasPart" in names
    assert base + "graph/entailed/partOf/inverse-contains" in names

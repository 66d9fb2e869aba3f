"""Derivation rules are data: headers, rule sets, and what the rules may read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from kg.build.pipeline import load_and_derive
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM
from kg.rdf.engine import ENGINES
from kg.rdf.load import derived_graph_iri, load
from kg.stages.derive import derive, rule_sets, select_rules

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"
RULE_FILES = sorted((QUERIES / "derive").glob("*.rq"))


def derived(project: Project, engine: str, rules: str = "assessment") -> set[tuple]:
    loaded, rule_list, _ = load_and_derive(project, BuildOptions(engine=engine, rules=rules))
    triples = set()
    for rule in rule_list:
        triples |= set(loaded.engine.triples(derived_graph_iri(DEFAULT_BASE, rule.stem)))
    return triples


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_headers(path: Path) -> None:
    text = path.read_text()
    for key in ("# title:", "# question:", "# parameters:"):
        assert key in text, f"{path.name} lacks {key}"
    # a classification rule names its rule set; a confidence rule its phase
    assert ("# rule-set:" in text) != ("# confidence:" in text), path.name


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_never_mention_reported_classifications(path: Path) -> None:
    text = path.read_text()
    assert "ReportedClassification" not in text
    assert "reportedIn" not in text and "reportedLabel" not in text


def test_rule_sets_are_discovered_from_headers() -> None:
    sets = rule_sets(QUERIES)
    assert [r.stem for r in sets["assessment"]] == ["classification-from-assessment"]
    assert [r.stem for r in sets["evidence-majority"]] == ["classification-from-evidence-majority"]


def test_a_new_rule_set_needs_no_python(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(QUERIES, queries)
    text = (QUERIES / "derive" / "classification-from-assessment.rq").read_text()
    text = text.replace("# rule-set: assessment", "# rule-set: experimental")
    (queries / "derive" / "my-new-rule.rq").write_text(text)
    project = Project(data_dirs=(FIXTURE / "data",), queries_dir=queries)
    rules = select_rules(queries, "experimental")
    loaded = load(project, DEFAULT_BASE)
    (result,) = derive(loaded.engine, rules, DEFAULT_BASE)
    assert result.classifications == 3
    assert result.graph == DEFAULT_BASE + "graph/derived/my-new-rule"


@pytest.mark.parametrize("engine", ENGINES)
def test_assessment_rule_output(engine: str) -> None:
    triples = derived(Project(data_dirs=(FIXTURE / "data",)), engine)
    c = URIRef(
        DEFAULT_BASE + "id/classification/classification-from-assessment/iran/legal-infrastructure"
    )
    g = GOVSM
    prov = "http://www.w3.org/ns/prov#"

    def objects(p: str) -> set:
        return {o for s, pp, o in triples if s == c and str(pp) == p}

    assert objects(str(RDF.type)) == {URIRef(g + "DerivedClassification"), URIRef(prov + "Entity")}
    assert objects(g + "hasDirection") == {URIRef(g + "preventer")}
    assert objects(g + "derivedByRule") == {
        URIRef(DEFAULT_BASE + "rule/classification-from-assessment")
    }
    evidence = {
        URIRef(DEFAULT_BASE + "id/evidence/" + e)
        for e in ("linke-2013-governance", "linke-2013-rules")
    }
    assessment = URIRef(DEFAULT_BASE + "id/assessment/iran/legal-infrastructure")
    assert objects(g + "supportedBy") == evidence
    assert objects(g + "basedOnAssessment") == {assessment}
    assert objects(prov + "wasDerivedFrom") == evidence | {assessment}
    assert objects(prov + "wasGeneratedBy") == {
        URIRef(DEFAULT_BASE + "id/activity/derive/classification-from-assessment")
    }
    assert not any(t.__class__.__name__ == "BNode" for triple in triples for t in triple)


def test_no_classification_without_evidence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    evidence = data / "mini-review" / "evidence.ttl"
    evidence.write_text(
        evidence.read_text().replace(" , <https://w3id.org/govsm/id/subfactor/user-training>", "")
    )
    triples = derived(Project(data_dirs=(data,)), "oxigraph")
    subjects = {str(s) for s, _, _ in triples}
    assert not any(s.endswith("/iran/user-training") for s in subjects)
    assert any(s.endswith("/iran/legal-infrastructure") for s in subjects)


@pytest.mark.parametrize("engine", ENGINES)
def test_evidence_majority_ties_are_mixed(engine: str) -> None:
    triples = derived(Project(data_dirs=(FIXTURE / "data",)), engine, "evidence-majority")
    direction = {
        str(s).rsplit("/", 1)[-1]: str(o).rsplit("#", 1)[-1]
        for s, p, o in triples
        if str(p) == GOVSM + "hasDirection"
    }
    assert direction == {
        "legal-infrastructure": "preventer",  # 2 preventer
        "technical-infrastructure": "mixed",  # 1 driver, 1 preventer
        "user-training": "preventer",  # 1 preventer
    }


@pytest.mark.parametrize("rules", ["assessment", "evidence-majority"])
def test_deleting_reported_leaves_derivation_unchanged(tmp_path: Path, rules: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    before = derived(Project(data_dirs=(data,)), "oxigraph", rules)
    (data / "mini-review" / "reported.ttl").unlink()
    after = derived(Project(data_dirs=(data,)), "oxigraph", rules)
    assert before == after and before


REAL_REPORTED = ROOT / "data" / "social-media-service-delivery" / "reported.ttl"


@pytest.mark.skipif(not REAL_REPORTED.is_file(), reason="real review data not present")
def test_deleting_reported_leaves_real_derivation_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    before = derived(Project(data_dirs=(data,)), "oxigraph")
    (data / "social-media-service-delivery" / "reported.ttl").unlink()
    assert derived(Project(data_dirs=(data,)), "oxigraph") == before


# A rule whose results hold literals the Store rewrites ("01"^^xsd:int is kept as
# "1"^^xsd:integer) and a blank node: the oxigraph engine must take the quad-by-quad path
# for it and keep the literals as the rule wrote them, like the rdflib engine.
_LITERAL_RULE = """# title: Literal-making rule
# question: test only
# parameters: rule (IRI)
# rule-set: literals
PREFIX govsm: <https://w3id.org/govsm/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
CONSTRUCT {
  ?assessment a govsm:DerivedClassification ;
      govsm:note ?padded , "Note"@EN-gb ;
      govsm:part [ govsm:rank ?padded ] .
}
WHERE {
  ?assessment a govsm:ContextAssessment .
  BIND (STRDT("01", xsd:int) AS ?padded)
}
"""


@pytest.mark.parametrize("template", ["plain", "literals"])
def test_rule_results_are_stored_as_the_query_gave_them(tmp_path: Path, template: str) -> None:
    import pyoxigraph as ox

    from kg.rdf.engine import to_ox
    from kg.rdf.nquads import canonical_dump, canonical_nquads
    from kg.stages.derive import describe_rule

    queries = tmp_path / "queries"
    shutil.copytree(QUERIES, queries)
    if template == "plain":
        text = (QUERIES / "derive" / "classification-from-assessment.rq").read_text()
        text = text.replace("# rule-set: assessment", "# rule-set: literals")
    else:
        text = _LITERAL_RULE
    (queries / "derive" / "made.rq").write_text(text)
    project = Project(data_dirs=(FIXTURE / "data",), queries_dir=queries)
    (rule,) = select_rules(queries, "literals")
    graph = ox.NamedNode(DEFAULT_BASE + "graph/derived/made")
    counts, engines = {}, {}
    for engine in ENGINES:
        engines[engine] = load(project, DEFAULT_BASE, engine).engine
        (result,) = derive(engines[engine], [rule], DEFAULT_BASE)
        counts[engine] = (result.triples, result.classifications)
    # the oxigraph engine's graph holds exactly the query's results and the rule's
    # description, literals and all (checked against a fresh load: same quads)
    fresh = load(project, DEFAULT_BASE).engine
    given = fresh.construct_ox(text, {"rule": rule.iri(DEFAULT_BASE)})
    expected = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in given]
    expected += [
        ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph)
        for s, p, o in describe_rule(rule, DEFAULT_BASE)
    ]
    stored = [
        line for line in canonical_dump(engines["oxigraph"]).splitlines() if str(graph) in line
    ]
    # (blank-node labels: canonical within this graph alone)
    written = ox.serialize(expected, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    assert canonical_nquads("\n".join(stored)) == canonical_nquads(written)
    assert counts["oxigraph"] == counts["rdflib"]
    assert counts["oxigraph"][1] == 3
    if template == "literals":
        assert "_:" in "\n".join(stored) and "@en-gb" in "\n".join(stored).lower()


@pytest.mark.parametrize("rules", ["assessment", "evidence-majority"])
def test_terms_outside_the_id_paths_give_one_classification_each(
    tmp_path: Path, rules: str
) -> None:
    """Sub-factors and contexts named under another path (a researcher's own IRIs) each get
    a classification of their own, named by a slug of their IRI, as many as under id/."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    for path in data.rglob("*.ttl"):
        text = path.read_text(encoding="utf-8")
        text = text.replace(DEFAULT_BASE + "id/subfactor/", "https://example.org/codes/")
        text = text.replace(DEFAULT_BASE + "id/context/", "urn:example:context:")
        path.write_text(text, encoding="utf-8")
    before = derived(Project(data_dirs=(FIXTURE / "data",)), "oxigraph", rules)
    after = derived(Project(data_dirs=(data,)), "oxigraph", rules)
    kind = URIRef(GOVSM + "DerivedClassification")
    classifications = {t[0] for t in after if t[1:] == (RDF.type, kind)}
    assert len(classifications) == len({t[0] for t in before if t[1:] == (RDF.type, kind)}) > 1
    prefix = f"{DEFAULT_BASE}id/classification/classification-from-{rules}/"
    for iri in classifications:
        context, subfactor = str(iri)[len(prefix) :].split("/")
        assert context == "example-context-iran"  # the scheme dropped
        assert subfactor.startswith("example-org-codes-")

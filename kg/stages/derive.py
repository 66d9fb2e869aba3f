"""Derive: run the CONSTRUCT rules of a rule set and store each rule's results.

Rules are data: every ``queries/derive/*.rq`` whose header has ``# rule-set: NAME``
belongs to rule set NAME; its stem names the rule (``BASE rule/STEM``) and its graph
(``BASE graph/derived/STEM``). The rule's IRI is bound into the query by the engine
layer; Python adds only a description of the rule itself (its title and question), never
a classification.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.prefixes import GOVSM
from kg.rdf.engine import Engine, Triple
from kg.rdf.load import derived_graph_iri
from kg.sparql.files import QueryError, QueryFile, read_query


@dataclass(frozen=True)
class Rule:
    """One derivation rule: its query file and its IRI under a base."""

    query: QueryFile
    rule_set: str

    @property
    def stem(self) -> str:
        return self.query.stem

    def iri(self, base: str) -> URIRef:
        return URIRef(f"{base}rule/{self.stem}")


@dataclass(frozen=True)
class Derivation:
    """What one rule produced."""

    rule: Rule
    graph: str
    triples: int
    classifications: int


def rule_sets(queries_dir: Path) -> dict[str, list[Rule]]:
    """All rule sets found in queries/derive/, by name (from each file's rule-set header)."""
    found: dict[str, list[Rule]] = defaultdict(list)
    for path in sorted((queries_dir / "derive").glob("*.rq")):
        query = read_query(path)
        name = query.header.get("rule-set")
        if name:
            found[name].append(Rule(query, name))
    return dict(found)


def select_rules(queries_dir: Path, name: str) -> list[Rule]:
    """The rules of one rule set; QueryError listing the sets if it does not exist."""
    sets = rule_sets(queries_dir)
    if name not in sets:
        raise QueryError(f"unknown rule set {name!r}; available: {', '.join(sorted(sets))}")
    return sets[name]


def describe_rule(rule: Rule, base: str) -> list[Triple]:
    """Metadata about the rule itself (not about any classification)."""
    iri = rule.iri(base)
    triples: list[Triple] = [
        (iri, RDF.type, URIRef(GOVSM + "DerivationRule")),
        (iri, RDFS.label, Literal(rule.query.title, lang="en")),
        (iri, DCTERMS.identifier, Literal(f"queries/derive/{rule.query.path.name}")),
    ]
    if "question" in rule.query.header:
        triples.append(
            (iri, DCTERMS.description, Literal(rule.query.header["question"], lang="en"))
        )
    return triples


def derive(engine: Engine, rules: list[Rule], base: str) -> list[Derivation]:
    """Run each rule and add its triples, then a description of the rule, to the rule's
    own named graph (Engine.construct_into: on the oxigraph engine the triples go from
    the query to the store without a Python object per triple)."""
    results = []
    for rule in rules:
        graph = derived_graph_iri(base, rule.stem)
        triples, classifications = engine.construct_into(
            rule.query.text, {"rule": rule.iri(base)}, graph, GOVSM + "DerivedClassification"
        )
        engine.add(graph, describe_rule(rule, base))
        results.append(Derivation(rule, graph, triples, classifications))
    return results

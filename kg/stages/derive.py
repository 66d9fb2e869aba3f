"""Derive: run the CONSTRUCT rules of a rule set and store each rule's results.

Rules are data: every ``queries/derive/*.rq`` whose header has ``# rule-set: NAME``
belongs to rule set NAME; its stem names the rule (``BASE rule/STEM``) and its graph
(``BASE graph/derived/STEM``). The rule's IRI is bound into the query by the engine
layer; Python adds only a description of the rule itself (its title and question), never
a classification.

A rule's ``# requires: CLASS ...`` header names the classes (prefixed names) whose
instances it reads. The rule set ``auto`` (the default) is chosen from the data: of the
rule sets whose every requirement has an instance in the loaded data, the one that
requires the most classes (the most specific; ties by name). With the shipped rules that
is ``assessment`` when the data has context assessments, else ``evidence-majority``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.prefixes import GOVSM, PREFIXES
from kg.rdf.engine import Engine, Triple
from kg.rdf.load import derived_graph_iri
from kg.sparql.files import QueryError, QueryFile, read_query

#: The rule set chosen from the data (see the module's docstring).
AUTO = "auto"


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

    @property
    def requires(self) -> tuple[str, ...]:
        """The IRIs of the classes whose instances the rule reads (``# requires:``)."""
        return tuple(_expand(name, self.query.path) for name in self.requires_names)

    @property
    def requires_names(self) -> tuple[str, ...]:
        """The ``# requires:`` header's class names, as written."""
        return tuple(self.query.header.get("requires", "").replace(",", " ").split())


def _expand(name: str, path: Path) -> str:
    """A prefixed name of the project's prefix table as an IRI; QueryError otherwise."""
    prefix, _, local = name.partition(":")
    if prefix not in PREFIXES or not local:
        raise QueryError(f"{path.name}: '# requires: {name}' is not a prefixed name (prefix:Name)")
    return PREFIXES[prefix] + local


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


def check_rule_set(queries_dir: Path, name: str) -> dict[str, list[Rule]]:
    """The rule sets, once ``name`` is known to be one of them or ``auto``; QueryError
    listing them otherwise (a build checks this before it loads anything)."""
    sets = rule_sets(queries_dir)
    if name != AUTO and name not in sets:
        available = ", ".join([AUTO, *sorted(sets)])
        raise QueryError(f"unknown rule set {name!r}; available: {available}")
    return sets


def select_rules(queries_dir: Path, name: str, engine: Engine | None = None) -> list[Rule]:
    """The rules of one rule set; for ``auto``, the one the data loaded in ``engine``
    calls for (an engine is then required); QueryError if the set does not exist."""
    sets = check_rule_set(queries_dir, name)
    if name != AUTO:
        return sets[name]
    if engine is None:
        raise ValueError("the rule set auto is chosen from the data: give the loaded engine")
    return sets[choose_rule_set(engine, sets)]


def choose_rule_set(engine: Engine, sets: dict[str, list[Rule]]) -> str:
    """The rule set ``auto`` stands for: of the sets whose every required class has an
    instance in the data, the one requiring the most classes (ties: by name); with none
    applicable, the set requiring the fewest (it derives nothing)."""
    needs = _needs(sets)
    if not needs:
        raise QueryError("no rule set in queries/derive/ (no '# rule-set:' header)")
    applicable = applicable_rule_sets(engine, sets)
    if applicable:
        return min(applicable, key=lambda name: (-len(needs[name]), name))
    return min(needs, key=lambda name: (len(needs[name]), name))


def _needs(sets: dict[str, list[Rule]]) -> dict[str, set[str]]:
    """The classes each rule set requires."""
    return {name: {c for rule in rules for c in rule.requires} for name, rules in sets.items()}


def applicable_rule_sets(engine: Engine, sets: dict[str, list[Rule]]) -> list[str]:
    """The rule sets whose every required class has an instance in the data, by name."""
    needs = _needs(sets)
    if not needs:
        return []
    present = {c for c in set().union(*needs.values()) if _has_instance(engine, c)}
    return sorted(name for name, classes in needs.items() if classes <= present)


def rule_set_name(requested: str, derivations: list[Derivation]) -> str:
    """The rule set that ran, saying so when ``auto`` chose it."""
    ran = derivations[0].rule.rule_set if derivations else requested
    return f"{ran} (chosen from the data: {AUTO})" if requested == AUTO else ran


def _has_instance(engine: Engine, cls: str) -> bool:
    """Whether the data has an instance of ``cls``."""
    rows = engine.select("SELECT ?x WHERE { ?x a ?class } LIMIT 1", {"class": URIRef(cls)})
    return bool(rows.rows)


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

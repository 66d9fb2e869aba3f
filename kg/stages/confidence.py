"""Confidence: GRADE-CERQual profiles of the derived classifications, and robustness.

Rules are data: every ``queries/derive/*.rq`` whose header has ``# confidence: PHASE``
is a confidence rule (it has no ``# rule-set:``, so it is never a classification rule
set). The phases run in this order: ``component`` (one rule per GRADE-CERQual
component: a component assessment per classification, with its concern level,
explanation, counts and the evidence it counted), ``in-force`` (a reviewer's judgement,
recorded as data, over the derived one) and ``overall`` (the overall confidence from the
components in force). The rules of a phase read what the phases before it made, never
one another's results: they are evaluated side by side (Engine.construct_all_into).
Each rule's thresholds are stated and cited in its header; Python only runs the rules,
into one named graph (``BASE graph/confidence``), and describes each rule (its title and
question).

Robustness: for each classification, whether every other rule set applicable to the data
(kg.stages.derive) derives the same direction for the same sub-factor and context. The
other rule sets run here without adding their classifications to the store (which rule
set makes the classifications does not change); what each one derives is compared with
the classification and recorded as a govsm:RobustnessCheck beside the confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.prefixes import GOVSM, PREFIXES
from kg.rdf.engine import Engine, Triple
from kg.sparql.files import QueryError, QueryFile, read_query
from kg.stages.derive import Derivation, Rule, applicable_rule_sets, rule_sets

#: The phases of the confidence rules, in the order they run.
PHASES = ("component", "in-force", "overall")
PROV = PREFIXES["prov"]
GOVSM_SUBFACTOR = URIRef(GOVSM + "classifiedSubFactor")
GOVSM_CONTEXT = URIRef(GOVSM + "inContext")
GOVSM_DIRECTION = URIRef(GOVSM + "hasDirection")
#: what robustness reads of another rule's classifications (not their evidence links)
_FINDING_PREDICATES = frozenset(map(str, (GOVSM_SUBFACTOR, GOVSM_CONTEXT, GOVSM_DIRECTION)))
_PROFILES = """
PREFIX govsm: <https://w3id.org/govsm/ontology#>
SELECT (COUNT(DISTINCT ?assessment) AS ?n) WHERE { ?assessment govsm:overallConfidence ?level }"""
_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?graph { ?s ?p ?o } }"
# the in-force rule links a judgement to the finding it matches (govsm:assessesFinding)
_UNUSED = """
PREFIX govsm: <https://w3id.org/govsm/ontology#>
SELECT ?judgement ?graph ?subfactor ?context WHERE {
  GRAPH ?graph {
    ?judgement a govsm:ReviewerJudgement ; govsm:judgedSubFactor ?subfactor .
    OPTIONAL { ?judgement govsm:inContext ?context }
  }
  FILTER NOT EXISTS { ?judgement govsm:assessesFinding ?finding }
}
ORDER BY ?graph ?judgement"""
_FINDING = """
PREFIX govsm: <https://w3id.org/govsm/ontology#>
SELECT ?classification ?subfactor ?context ?direction ?rule WHERE {
  ?classification a govsm:DerivedClassification ;
      govsm:classifiedSubFactor ?subfactor ;
      govsm:hasDirection ?direction ;
      govsm:derivedByRule ?rule .
  OPTIONAL { ?classification govsm:inContext ?context }
}"""


@dataclass(frozen=True)
class ConfidenceRule:
    """One confidence rule: its query file and its phase."""

    query: QueryFile
    phase: str

    @property
    def stem(self) -> str:
        return self.query.stem

    def iri(self, base: str) -> URIRef:
        return URIRef(f"{base}rule/{self.stem}")


@dataclass(frozen=True)
class UnusedJudgement:
    """A reviewer's judgement that no finding matches (no derived classification of its
    sub-factor, in its context if it names one): the named graph (file) it came from."""

    judgement: str
    graph: str
    subfactor: str
    context: str | None

    def message(self) -> str:
        """What is wrong, for the build's log (the caller names the file)."""
        where = f" in context <{self.context}>" if self.context else ""
        return (
            f"the reviewer judgement <{self.judgement}> names sub-factor <{self.subfactor}>"
            f"{where}, for which no rule derived a classification: it is not used"
        )


@dataclass(frozen=True)
class Confidence:
    """What the confidence stage produced."""

    graph: str
    rules: list[ConfidenceRule]
    triples: int
    assessments: int
    checks: int
    unused: list[UnusedJudgement] = field(default_factory=list)


def confidence_graph_iri(base: str) -> str:
    """The named graph of the confidence assessments and robustness checks."""
    return f"{base}graph/confidence"


def confidence_rules(queries_dir: Path) -> list[ConfidenceRule]:
    """The confidence rules of queries/derive/, in the order they run; QueryError for an
    unknown phase."""
    found = []
    for path in sorted((queries_dir / "derive").glob("*.rq")):
        query = read_query(path)
        phase = query.header.get("confidence")
        if phase is None:
            continue
        if phase not in PHASES:
            raise QueryError(
                f"{path.name}: '# confidence: {phase}' is not a phase ({', '.join(PHASES)})"
            )
        found.append(ConfidenceRule(query, phase))
    return sorted(found, key=lambda rule: (PHASES.index(rule.phase), rule.stem))


def describe_rule(rule: ConfidenceRule, base: str) -> list[Triple]:
    """Metadata about the rule itself (its note states and cites its thresholds)."""
    iri = rule.iri(base)
    header = rule.query.header
    triples: list[Triple] = [
        (iri, RDF.type, URIRef(GOVSM + "ConfidenceRule")),
        (iri, RDFS.label, Literal(rule.query.title, lang="en")),
        (iri, DCTERMS.identifier, Literal(f"queries/derive/{rule.query.path.name}")),
    ]
    for key in ("question", "note"):
        if key in header:
            triples.append((iri, DCTERMS.description, Literal(header[key], lang="en")))
    return triples


def assess(
    engine: Engine, queries_dir: Path, base: str, derivations: list[Derivation]
) -> Confidence:
    """Run the confidence rules in order into the confidence graph, then the robustness
    checks of the classifications ``derivations`` made."""
    graph = confidence_graph_iri(base)
    rules = confidence_rules(queries_dir)
    for phase in PHASES:
        of_phase = [rule for rule in rules if rule.phase == phase]
        queries = [(rule.query.text, {"rule": rule.iri(base)}) for rule in of_phase]
        engine.construct_all_into(queries, graph, GOVSM + "ConfidenceAssessment")
        for rule in of_phase:
            engine.add(graph, describe_rule(rule, base))
    checks = robustness(engine, queries_dir, base, derivations)
    engine.add(graph, checks)
    count = sum(1 for _, p, o in checks if p == RDF.type and o == URIRef(GOVSM + "RobustnessCheck"))
    # counted by the engine: the graph holds several triples per evidence item and rule
    ((triples,),) = engine.select(_TRIPLES, {"graph": URIRef(graph)}).rows
    ((profiles,),) = engine.select(_PROFILES).rows
    unused = [
        UnusedJudgement(str(j), str(g), str(sf), None if c is None else str(c))
        for j, g, sf, c in engine.select(_UNUSED).rows
    ]
    return Confidence(graph, rules, int(triples or 0), int(profiles or 0), count, unused)


def other_rules(engine: Engine, queries_dir: Path, derivations: list[Derivation]) -> list[Rule]:
    """The rules of every rule set applicable to the data other than the one that ran."""
    ran = {d.rule.rule_set for d in derivations}
    sets = rule_sets(queries_dir)
    return [
        rule
        for name in applicable_rule_sets(engine, sets)
        if name not in ran
        for rule in sets[name]
    ]


def robustness(
    engine: Engine, queries_dir: Path, base: str, derivations: list[Derivation]
) -> list[Triple]:
    """A govsm:RobustnessCheck per (classification, other applicable rule): the other
    rule's direction for the same sub-factor and context, and whether it agrees."""
    findings = engine.select(_FINDING).dicts()
    triples: list[Triple] = []
    for rule in other_rules(engine, queries_dir, derivations):
        found = engine.construct(rule.query.text, {"rule": rule.iri(base)}, _FINDING_PREDICATES)
        directions = _directions(found)
        for finding in findings:
            key = (finding["subfactor"], finding["context"])
            triples += _check(finding, rule, directions.get(key), base)
    return triples


def _directions(triples: list[Triple]) -> dict[tuple, object]:
    """(sub-factor, context or None) -> direction, from a classification rule's output."""
    by_subject: dict[object, dict[str, object]] = {}
    for s, p, o in triples:
        if p in (GOVSM_SUBFACTOR, GOVSM_CONTEXT, GOVSM_DIRECTION):
            by_subject.setdefault(s, {})[str(p)] = o
    return {
        (fields.get(str(GOVSM_SUBFACTOR)), fields.get(str(GOVSM_CONTEXT))): fields[
            str(GOVSM_DIRECTION)
        ]
        for fields in by_subject.values()
        if str(GOVSM_DIRECTION) in fields
    }


def _check(finding: dict, rule: Rule, other: object, base: str) -> list[Triple]:
    """The triples of one robustness check."""
    classification = finding["classification"]
    path = str(classification).split("/id/classification/", 1)[-1]
    check = URIRef(f"{base}id/robustness/{path}/{rule.stem}")
    activity = URIRef(f"{base}id/activity/robustness/{rule.stem}")
    other_iri = rule.iri(base)
    if other is None:
        result, said = "otherRuleSilent", "derives no classification"
    elif other == finding["direction"]:
        result, said = "rulesAgree", f"also derives {_local(other)}: agree"
    else:
        own = _local(finding["direction"])
        result, said = "rulesDisagree", f"derives {_local(other)}, not {own}: disagree"
    triples: list[Triple] = [
        (check, RDF.type, URIRef(GOVSM + "RobustnessCheck")),
        (check, RDF.type, URIRef(PROV + "Entity")),
        (check, URIRef(GOVSM + "assessesFinding"), classification),
        (check, URIRef(GOVSM + "comparedRule"), other_iri),
        (check, URIRef(GOVSM + "robustness"), URIRef(GOVSM + result)),
        (check, DCTERMS.description, Literal(f"The rule {rule.stem} {said}.", lang="en")),
        (check, URIRef(PROV + "wasDerivedFrom"), classification),
        (check, URIRef(PROV + "wasGeneratedBy"), activity),
        (activity, RDF.type, URIRef(PROV + "Activity")),
        (activity, URIRef(PROV + "used"), other_iri),
        (activity, URIRef(PROV + "used"), finding["rule"]),
    ]
    if other is not None:
        triples.append((check, URIRef(GOVSM + "comparedDirection"), other))
    return triples


def _local(iri: object) -> str:
    """The local name of a govsm: term (driver, preventer, mixed)."""
    return str(iri).rsplit("#", 1)[-1]

"""Entail: the standard-vocabulary statements the ontology and its alignments imply for
the data, materialised so that a client that does not reason still finds them.

A client that knows PROV-O, DCTERMS or SKOS but not ``govsm:`` queries
``prov:wasDerivedFrom``, not ``govsm:evidenceSource``; the alignment axioms saying one is
a sub-property of the other help it only if something applies them. This stage applies
them: for every property and class the data graphs use, it follows
``rdfs:subPropertyOf`` / ``rdfs:subClassOf`` (transitively), ``owl:equivalentProperty`` /
``owl:equivalentClass`` (both ways) and ``owl:inverseOf`` through the ontology graphs
(the core, its alignments and the declared extracts of external vocabularies) to every
term outside the ontology's own namespace, and adds the statements so implied that no
graph already states.

Each (term, external term) pair gets a named graph of its own,
``BASE graph/entailed/<term>/<external term>`` (prefixed names with ``-`` for ``:``;
``inverse-`` before the external term when an ``owl:inverseOf`` turned the statement
round), so the provenance of every entailed triple is its graph: the graph
``BASE graph/provenance/entailed`` says of each one which axioms yielded it (as
``rdf:Statement`` nodes, in chain order, each with the named graph of the file that states
it). Only rdfs:domain/range and the rest of OWL are not applied: they would type
resources by the vocabulary's reading, not the data's.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS

from kg.prefixes import GOVSM, compact
from kg.rdf.engine import Engine, Triple

PROVENANCE_GRAPH = "graph/provenance/entailed"

_PROPERTY_AXIOMS = (RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf)
_CLASS_AXIOMS = (RDFS.subClassOf, OWL.equivalentClass)


@dataclass(frozen=True)
class Axiom:
    """One ontology triple that licenses a step, and the named graph that states it."""

    subject: URIRef
    predicate: URIRef
    object: URIRef
    graph: str


@dataclass(frozen=True)
class Step:
    """A step from one term to another: the axiom, and whether it turns a property
    round (owl:inverseOf)."""

    target: URIRef
    axiom: Axiom
    inverts: bool = False


@dataclass(frozen=True)
class Entailment:
    """What one (term, external term) pair implies: its graph, the chain of axioms from
    the term to the external term, and the triples added."""

    term: URIRef
    target: URIRef
    is_class: bool
    inverted: bool
    chain: tuple[Axiom, ...]
    graph: str
    triples: int = 0


def is_external(term: URIRef, namespace: str = GOVSM) -> bool:
    """A term of another vocabulary (not in the ontology's own ``namespace``)."""
    return not str(term).startswith(namespace)


def axiom_steps(engine: Engine, graphs: Iterable[str]) -> dict[URIRef, list[Step]]:
    """Every step the ontology graphs license, from each term: sub-property/-class
    upwards, equivalence both ways, inverse both ways (turning the statement round)."""
    steps: dict[URIRef, list[Step]] = {}
    for graph in sorted(graphs):
        for s, p, o in engine.triples(graph):
            if p not in _PROPERTY_AXIOMS + _CLASS_AXIOMS:
                continue
            if not (isinstance(s, URIRef) and isinstance(o, URIRef)) or s == o:
                continue  # restrictions and other class expressions: not followed
            axiom = Axiom(s, p, o, graph)
            inverts = p == OWL.inverseOf
            steps.setdefault(s, []).append(Step(o, axiom, inverts))
            if p in (OWL.equivalentProperty, OWL.equivalentClass, OWL.inverseOf):
                steps.setdefault(o, []).append(Step(s, axiom, inverts))
    for found in steps.values():
        found.sort(key=lambda step: (str(step.target), str(step.axiom.predicate)))
    return steps


def closure(
    term: URIRef, steps: dict[URIRef, list[Step]], namespace: str = GOVSM
) -> list[tuple[URIRef, bool, tuple[Axiom, ...]]]:
    """Every external term reachable from ``term``, whether the path turns statements
    round, and the shortest chain of axioms to it (breadth first, steps in a fixed
    order: the same chain on every run)."""
    seen = {(term, False)}
    queue: deque[tuple[URIRef, bool, tuple[Axiom, ...]]] = deque([(term, False, ())])
    found = []
    while queue:
        current, inverted, chain = queue.popleft()
        for step in steps.get(current, ()):
            state = (step.target, inverted != step.inverts)
            if state in seen:
                continue
            seen.add(state)
            path = (*chain, step.axiom)
            queue.append((*state, path))
            if is_external(step.target, namespace):
                found.append((*state, path))
    return found


def _slug(term: URIRef) -> str:
    """A term as a graph-name segment: its prefixed name with ``-`` for ``:``, or the
    local name of a term no prefix covers."""
    name = compact(str(term))
    if name != str(term):
        return name.replace(":", "-", 1)
    return re.split(r"[/#]", name.rstrip("/#"))[-1]


def entailed_graph_iri(base: str, term: URIRef, target: URIRef, inverted: bool) -> str:
    """The named graph of the statements ``term`` implies about ``target``."""
    turned = "inverse-" if inverted else ""
    return f"{base}graph/entailed/{_slug(term)}/{turned}{_slug(target)}"


def used_terms(
    engine: Engine, graphs: Sequence[str], among: Iterable[URIRef]
) -> tuple[list[URIRef], list[URIRef]]:
    """The terms ``among`` (those an axiom leads from) that the graphs use as properties
    and as classes (objects of rdf:type): one existence check each, not a scan of every
    triple of the data for the terms it uses."""
    values = " ".join(f"<{g}>" for g in graphs)
    terms = " ".join(f"<{t}>" for t in sorted(among, key=str))
    if not terms or not values:
        return [], []
    found = []
    for pattern in ("?s ?t ?o", "?s a ?t"):
        rows = engine.select(
            f"SELECT ?t WHERE {{ VALUES ?t {{ {terms} }} "
            f"FILTER EXISTS {{ VALUES ?g {{ {values} }} GRAPH ?g {{ {pattern} }} }} }}"
        ).rows
        found.append(sorted({row[0] for row in rows if isinstance(row[0], URIRef)}, key=str))
    return found[0], found[1]


def plan(
    engine: Engine,
    base: str,
    ontology_graphs: Iterable[str],
    data_graphs: Sequence[str],
    namespace: str = GOVSM,
) -> list[Entailment]:
    """Every (term, term outside ``namespace``) pair the data's terms reach, with its
    graph."""
    steps = axiom_steps(engine, ontology_graphs)
    properties, classes = used_terms(engine, data_graphs, steps)
    pairs = []
    for terms, is_class in ((properties, False), (classes, True)):
        for term in terms:
            for target, inverted, chain in closure(term, steps, namespace):
                graph = entailed_graph_iri(base, term, target, inverted)
                pairs.append(Entailment(term, target, is_class, inverted, chain, graph))
    return pairs


def _query(pair: Entailment, data_graphs: Sequence[str], union: bool) -> tuple[str, str]:
    """What one pair implies that no graph states already: the template and the WHERE
    of a CONSTRUCT (Engine.insert_into), which reads named graphs only. ``union``: the
    WHERE's default graph is the union of the graphs (Engine.insert_sees_union), where
    rdflib finds a triple at once instead of trying every graph for every row."""
    values = " ".join(f"<{g}>" for g in data_graphs)
    if pair.is_class:
        head, body = f"?s a <{pair.target}>", f"?s a <{pair.term}>"
    elif pair.inverted:
        head, body = f"?o <{pair.target}> ?s", f"?s <{pair.term}> ?o"
    else:
        head, body = f"?s <{pair.target}> ?o", f"?s <{pair.term}> ?o"
    stated = head if union else f"GRAPH ?any {{ {head} }}"
    where = f"VALUES ?g {{ {values} }} GRAPH ?g {{ {body} }} FILTER NOT EXISTS {{ {stated} }}"
    return head, where


def describe(pair: Entailment) -> list[Triple]:
    """The provenance of one entailed graph: the axioms that yielded it, in chain order."""
    graph = URIRef(pair.graph)
    triples: list[Triple] = [
        (graph, RDF.type, PROV.Entity),
        (graph, RDFS.label, Literal(_label(pair), lang="en")),
    ]
    for position, axiom in enumerate(pair.chain, start=1):
        node = BNode()
        triples += [
            (graph, PROV.wasDerivedFrom, node),
            (node, RDF.type, RDF.Statement),
            (node, RDF.subject, axiom.subject),
            (node, RDF.predicate, axiom.predicate),
            (node, RDF.object, axiom.object),
            (node, PROV.atLocation, URIRef(axiom.graph)),
            (node, RDFS.label, Literal(f"step {position}: {_axiom_text(axiom)}", lang="en")),
        ]
    return triples


def _axiom_text(axiom: Axiom) -> str:
    return " ".join(compact(str(t)) for t in (axiom.subject, axiom.predicate, axiom.object))


def _label(pair: Entailment) -> str:
    term, target = compact(str(pair.term)), compact(str(pair.target))
    if pair.is_class:
        return f"rdf:type {target} of every {term}"
    turned = " (turned round)" if pair.inverted else ""
    return f"{target} of every {term} statement{turned}"


def entail(
    engine: Engine,
    base: str,
    ontology_graphs: Iterable[str],
    data_graphs: Sequence[str],
    namespace: str = GOVSM,
) -> list[Entailment]:
    """Materialise what the ontology graphs imply for the data graphs onto terms outside
    the ontology's ``namespace`` (one graph per pair that adds something) and describe
    each graph's provenance in ``BASE graph/provenance/entailed``; the pairs that added
    triples."""
    done = []
    provenance: list[Triple] = []
    if not data_graphs:
        return done
    for pair in plan(engine, base, ontology_graphs, data_graphs, namespace):
        head, where = _query(pair, data_graphs, engine.insert_sees_union)
        triples, _ = engine.insert_into(head, where, pair.graph, str(RDFS.Resource))
        if triples:
            done.append(
                Entailment(
                    pair.term,
                    pair.target,
                    pair.is_class,
                    pair.inverted,
                    pair.chain,
                    pair.graph,
                    triples,
                )
            )
            provenance += describe(pair)
    if provenance:
        engine.add(base + PROVENANCE_GRAPH, provenance)
    return done

"""Trace: why does a sub-factor have its classification?

The chain is classification -> rule -> context assessment (status, basis, justification,
quote) -> evidence items (basis, section, quote) -> source works (authors in order, year,
title, DOI). Every step is a query in queries/trace/; a sub-factor is named by its
preferred or alternative label (case-insensitive) or by an IRI.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from kg.rdf.engine import Engine
from kg.sparql.files import QueryError, expand_iri, read_query


class UnknownLabel(QueryError):
    """No sub-factor has this label; ``suggestions`` lists the closest ones."""

    def __init__(self, label: str, suggestions: list[str]) -> None:
        hint = f" Closest labels: {', '.join(suggestions)}." if suggestions else ""
        super().__init__(f"no sub-factor is labelled {label!r}.{hint}")
        self.label, self.suggestions = label, suggestions


@dataclass
class Source:
    iri: str
    title: str | None
    year: str | None
    doi: str | None
    authors: list[str] = field(default_factory=list)


@dataclass
class EvidenceStep:
    iri: str
    basis: str | None
    indicates: str | None
    section: str | None
    quote: str | None
    source: Source | None


@dataclass
class AssessmentStep:
    iri: str
    status: str | None
    basis: str | None
    justification: str | None
    quotes: list[str]
    section: str | None


@dataclass
class ComponentStep:
    """One assessment of a GRADE-CERQual component: derived (``rule``) or a reviewer's
    (``agent``); ``in_force``: the one the overall confidence uses."""

    component: str
    iri: str
    level: str
    explanation: str | None
    in_force: bool
    rule: str | None
    agent: str | None


@dataclass
class RobustnessStep:
    rule: str
    result: str
    direction: str | None  # what the other rule derives (None: nothing)


@dataclass
class ConfidenceStep:
    overall: str
    explanation: str | None
    components: list[ComponentStep]
    robustness: list[RobustnessStep]


@dataclass
class ClassificationStep:
    iri: str
    direction: str
    rule: str
    rule_title: str | None
    context: str | None  # None: the classification holds for the whole review
    context_label: str | None
    assessment: AssessmentStep | None
    evidence: list[EvidenceStep]
    confidence: ConfidenceStep | None = None


@dataclass
class Trace:
    subfactor: str
    label: str
    factor: str | None
    classifications: list[ClassificationStep]


def _q(queries_dir: Path, name: str):  # noqa: ANN202
    return read_query(queries_dir / "trace" / f"{name}.rq")


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def resolve_subfactor(engine: Engine, queries_dir: Path, name: str) -> URIRef:
    """A sub-factor IRI from a label (case-insensitive, spaces/hyphens alike) or an IRI."""
    rows = engine.select(_q(queries_dir, "labels").text).rows
    by_label: dict[str, str] = {}
    labels: list[str] = []
    for subfactor, label in rows:
        by_label.setdefault(_norm(str(label)), str(subfactor))
        labels.append(str(label))
    subfactors = {str(s) for s, _ in rows}
    if ":" in name:
        try:
            iri = expand_iri(name)
        except QueryError:
            iri = None
        if iri is not None and str(iri) in subfactors:
            return iri
    key = _norm(name)
    if key in by_label:
        return URIRef(by_label[key])
    pool = sorted(set(labels), key=str.lower)
    lowered = {label.lower(): label for label in pool}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.3)
    raise UnknownLabel(name, [lowered[c] for c in close])


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


def trace(engine: Engine, queries_dir: Path, name: str, rule: URIRef | None = None) -> Trace:
    """Follow one sub-factor from its classification(s) back to the source works."""
    subfactor = resolve_subfactor(engine, queries_dir, name)
    bindings = {"subfactor": subfactor} | ({"rule": rule} if rule is not None else {})
    rows = engine.select(_q(queries_dir, "classification").text, bindings).dicts()
    label = _s(rows[0]["subfactorLabel"]) if rows else str(subfactor)
    factor = _s(rows[0]["factorLabel"]) if rows else None
    steps: dict[str, ClassificationStep] = {}
    author_cache: dict[str, list[str]] = {}
    for row in rows:
        if row["classification"] is None:
            continue
        key = str(row["classification"]) + " " + str(row["rule"])
        step = steps.get(key)
        if step is None:
            assessment = None
            if row["assessment"] is not None:
                assessment = AssessmentStep(
                    str(row["assessment"]),
                    _s(row["status"]),
                    _s(row["basis"]),
                    _s(row["justification"]),
                    [],
                    _s(row["section"]),
                )
            step = ClassificationStep(
                str(row["classification"]),
                str(row["direction"]),
                str(row["rule"]),
                _s(row["ruleTitle"]),
                _s(row["context"]),
                _s(row["contextLabel"]),
                assessment,
                _evidence(engine, queries_dir, URIRef(str(row["classification"])), author_cache),
            )
            step.confidence = _confidence(engine, queries_dir, URIRef(step.iri))
            steps[key] = step
        quote = _s(row["quote"])
        if step.assessment is not None and quote and quote not in step.assessment.quotes:
            step.assessment.quotes.append(quote)
    return Trace(str(subfactor), label or str(subfactor), factor, list(steps.values()))


def _evidence(
    engine: Engine, queries_dir: Path, classification: URIRef, cache: dict[str, list[str]]
) -> list[EvidenceStep]:
    rows = engine.select(_q(queries_dir, "evidence").text, {"classification": classification})
    items: list[EvidenceStep] = []
    for row in rows.dicts():
        source = None
        if row["source"] is not None:
            iri = str(row["source"])
            if iri not in cache:
                authors = engine.select(_q(queries_dir, "authors").text, {"work": URIRef(iri)})
                cache[iri] = [str(r["name"] or r["author"]) for r in authors.dicts()]
            source = Source(
                iri, _s(row["sourceTitle"]), _s(row["year"]), _s(row["doi"]), cache[iri]
            )
        items.append(
            EvidenceStep(
                str(row["evidence"]),
                _s(row["basis"]),
                _s(row["indicates"]),
                _s(row["section"]),
                _s(row["quote"]),
                source,
            )
        )
    return items


def _confidence(engine: Engine, queries_dir: Path, classification: URIRef) -> ConfidenceStep | None:
    """The classification's GRADE-CERQual profile and robustness (None without one, or
    with a queries folder that has no trace/confidence.rq)."""
    if not (queries_dir / "trace" / "confidence.rq").is_file():
        return None
    bindings = {"classification": classification}
    rows = engine.select(_q(queries_dir, "confidence").text, bindings).dicts()
    if not rows:
        return None
    parts = [
        ComponentStep(
            str(r["componentLabel"]),
            str(r["part"]),
            str(r["level"]),
            _s(r["explanation"]),
            str(r["inForce"]).lower() in ("true", "1"),
            _s(r["rule"]),
            _s(r["agentName"] or r["agent"]),
        )
        for r in rows
    ]
    checks: list[RobustnessStep] = []
    if (queries_dir / "trace" / "robustness.rq").is_file():
        found = engine.select(_q(queries_dir, "robustness").text, bindings).dicts()
        checks = [
            RobustnessStep(str(r["otherRule"]), str(r["result"]), _s(r["otherDirection"]))
            for r in found
        ]
    first = rows[0]
    return ConfidenceStep(str(first["overall"]), _s(first["overallExplanation"]), parts, checks)

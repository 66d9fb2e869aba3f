"""The reference validator: pySHACL (called here and nowhere else) and the check queries
on rdflib.

Used for ``validator="pyshacl"`` and, by the fast path, for the shapes the compiler
leaves out. The shapes run over the union of the data and the ontology with no
inference: the ontology's ``rdfs:subClassOf`` axioms are in the graph, so a
``govsm:MetaSynthesis`` is a ``govsm:Review`` for ``sh:targetClass`` and ``sh:class``.
Nothing is fetched from the network: ``owl:imports`` triples are dropped from the data
and the ontology, and pySHACL is called with ``do_owl_imports=False``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.rdf.imports import without_imports
from kg.validation.inputs import CheckQuery, ValidationSetupError, check_result
from kg.validation.report import VIOLATION, ValidationReport, ValidationResult, sort_results
from kg.validation.terms import local_name, message_key, named_shape, path_str, term_str

if TYPE_CHECKING:
    from rdflib.plugins.sparql.sparql import Query


class _PreparingGraph(Graph):
    """A graph that parses each distinct SPARQL text once (:func:`_prepared`).

    pySHACL runs a SPARQL-based constraint once per focus node, with the same text
    and a different ``initBindings``; rdflib would parse the text every time. A
    prepared query with fresh bindings is rdflib's documented way to reuse a query.
    """

    def __init__(self) -> None:
        super().__init__()
        self._namespaces: tuple[tuple[str, str], ...] | None = None

    def query(  # type: ignore[no-untyped-def, override]
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,  # noqa: N803 - rdflib's names: pySHACL passes them by position
        initBindings=None,  # noqa: N803
        use_store_provided=True,
        **kwargs,
    ):
        if isinstance(query_object, str) and not initNs:
            if self._namespaces is None:  # read once the data is in: one per query is dear
                self._namespaces = namespaces_of(self)
            query_object = _prepared(query_object, self._namespaces)
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def namespaces_of(graph: Graph) -> tuple[tuple[str, str], ...]:
    """The prefixes Graph.query would give a query text on ``graph``, hashable."""
    return tuple(sorted((prefix, str(ns)) for prefix, ns in graph.namespaces()))


@functools.lru_cache(maxsize=256)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]) -> Query:
    """A query text parsed once per process for these prefixes: pySHACL's constraints
    and the check queries are the same texts on every validation, and rdflib's parse of
    one takes tens of ms."""
    # rdflib's SPARQL parser takes a fifth of a second to import: only the reference
    # validator needs it, and every build imports this module (the fast path's fallback)
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text, initNs=dict(namespaces))


def run_pyshacl(
    data: Graph,
    shapes: Graph,
    sources: Mapping[str, str],
    ontology: Graph | None = None,
    use_shapes: list[str] | None = None,
) -> list[ValidationResult]:
    """pySHACL over ``data``, which it may change (``inplace``: the caller's own copy),
    with ``ontology`` mixed in; only the shapes ``use_shapes`` names, when given."""
    # pySHACL takes a second to import: the fast path seldom needs it.
    from pyshacl import validate

    _conforms, report, _text = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
        do_owl_imports=False,
        use_shapes=use_shapes,
    )
    return list(_results(report, shapes, sources))


def _results(
    report: Graph, shapes: Graph, sources: Mapping[str, str]
) -> Iterable[ValidationResult]:
    """The results of a pySHACL report graph."""
    for res in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(res, SH.focusNode)
        path = report.value(res, SH.resultPath)
        component = report.value(res, SH.sourceConstraintComponent)
        severity = report.value(res, SH.resultSeverity)
        shape = report.value(res, SH.sourceShape)
        value = report.value(res, SH.value)
        constraint = report.value(res, SH.sourceConstraint)
        messages = sorted(report.objects(res, SH.resultMessage), key=message_key)
        if constraint is not None and shape is not None:
            # pySHACL reports a SPARQL-based constraint's own (templated) message
            # together with the shape's, both without a language tag; the
            # constraint's says what went wrong.
            own = {str(m) for m in shapes.objects(shape, SH.message)}
            messages = [m for m in messages if str(m) not in own] or messages
        focus_s = term_str(focus) if focus is not None else ""
        yield ValidationResult(
            severity=local_name(severity) if severity is not None else VIOLATION,
            focus=focus_s,
            path=path_str(report, path) if path is not None else None,
            component=str(component) if component is not None else "",
            message=str(messages[0]) if messages else "",
            shape=named_shape(shapes, shape) if shape is not None else "",
            value=term_str(value) if value is not None else None,
            source_file=sources.get(focus_s),
            constraint=str(constraint) if isinstance(constraint, URIRef) else None,
        )


def run_checks(
    graph: Graph, checks: Iterable[CheckQuery], sources: Mapping[str, str]
) -> list[ValidationResult]:
    """Run each check query on rdflib; every row it returns is a violation
    (:func:`kg.validation.inputs.check_result`)."""
    out: list[ValidationResult] = []
    namespaces = namespaces_of(graph)
    for check in checks:
        try:
            rows = graph.query(_prepared(check.text, namespaces))
        except Exception as exc:  # rdflib raises parser-specific types
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        variables = [str(v) for v in rows.vars or []]
        for row in rows:
            bound = {v: row[v] for v in variables if row[v] is not None}
            out.append(check_result(check, bound, sources))
    return out


def validate_reference(
    data: Graph,
    ontology: Graph,
    shapes: Graph,
    checks: list[CheckQuery],
    sources: Mapping[str, str],
) -> ValidationReport:
    """The check queries, then pySHACL, over the union of ``data`` and ``ontology``
    (neither is modified); ``sources`` maps a subject to the file that defines it."""
    ont = without_imports(ontology)
    union = without_imports(data, into=_PreparingGraph())
    union += ont
    results = run_checks(union, checks, sources) if checks else []
    # pySHACL runs in place (it adds the ontology's axioms to ``union``), so the
    # checks run first, on the plain union.
    results = run_pyshacl(union, shapes, sources, ontology=ont) + results
    return ValidationReport(sort_results(results))

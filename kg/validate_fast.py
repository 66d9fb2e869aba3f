"""The fast validation path: compiled SHACL (kg.shacl_compile) and the check queries on
pyoxigraph, with pySHACL for any shape the compiler does not cover.

Two stores are used. The *validation store* holds every source file in its own named
graph with literals encoded (see :mod:`kg.shacl_compile`); the compiled Core
constraints run there. SPARQL-based constraints (``sh:sparql``) and the check queries
are user SPARQL that compares values, so they run on an ordinary pyoxigraph store (the
engine's own store in the pipeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib import Graph, Literal
from rdflib.namespace import OWL

from kg.shacl_compile import RESTRICT, Compiled, CompiledQuery, compile_shapes, decode, encode_quads
from kg.validate import (
    CHECK_COMPONENT,
    VIOLATION,
    CheckQuery,
    ValidationResult,
    ValidationSetupError,
    _message_key,
    named_shape,
    path_str,
    term_str,
)

#: Named graph and marker of the focus nodes an incremental run re-checks.
FOCUS_GRAPH = ox.NamedNode("urn:x-govsm:focus")
_FOCUS_PATTERN = "GRAPH <urn:x-govsm:focus> { ?this <urn:x-govsm:focus> <urn:x-govsm:focus> }\n"
_OWL_IMPORTS = ox.NamedNode(str(OWL.imports))

_DEFAULT_MESSAGES = {
    "ClassConstraintComponent": "Value does not have class {}",
    "DatatypeConstraintComponent": "Value is not Literal with datatype {}",
    "NodeKindConstraintComponent": "Value is not of node kind {}",
    "MinCountConstraintComponent": "Less than {} values",
    "MaxCountConstraintComponent": "More than {} values",
}


@dataclass
class Stores:
    """The validation store (encoded) and the plain store, with their graphs."""

    encoded: ox.Store
    plain: ox.Store
    graphs: list[ox.NamedNode]  # the graphs that make the default graph (data + ontology)


def stores_from_quads(
    quads_by_graph: Mapping[str, Iterable[ox.Quad]], plain: ox.Store | None = None
) -> Stores:
    """Build the validation stores; ``plain`` is reused when given (the engine's store)."""
    encoded = ox.Store()
    own_plain = plain is None
    plain = plain if plain is not None else ox.Store()
    graphs = []
    for name, quads in quads_by_graph.items():
        g = ox.NamedNode(name)
        graphs.append(g)
        quads = [q for q in quads if q.predicate != _OWL_IMPORTS]
        encoded.bulk_extend(list(encode_quads(quads, g)))
        if own_plain:
            plain.bulk_extend([ox.Quad(q.subject, q.predicate, q.object, g) for q in quads])
    return Stores(encoded, plain, graphs)


def quads_from_rdflib(graph: rdflib.Graph) -> list[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads (default graph)."""
    from kg.shacl_compile import from_rdflib

    return [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]


def run_compiled(
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    sources: Mapping[str, str],
    restrict: bool = False,
    kinds: Sequence[str] = ("core", "sparql"),
) -> list[ValidationResult]:
    """Run the compiled queries; ``restrict`` keeps only the focus nodes marked in
    FOCUS_GRAPH of the validation store (core constraints only)."""
    results: list[ValidationResult] = []
    named: dict[rdflib.term.Node, str] = {}
    paths: dict[rdflib.term.Node, str] = {}
    for cq in compiled.queries:
        if cq.kind not in kinds:
            continue
        if cq.kind == "core":
            text = cq.sparql.replace(RESTRICT, _FOCUS_PATTERN if restrict else "")
            rows = stores.encoded.query(
                text, default_graph=stores.graphs, named_graphs=[FOCUS_GRAPH] if restrict else []
            )
        else:
            text = cq.sparql.replace(RESTRICT, "")
            rows = stores.plain.query(text, use_default_graph_as_union=True)
        if cq.shape not in named:
            named[cq.shape] = named_shape(shapes, cq.shape)
        shape_iri = named[cq.shape]
        if cq.path is not None and cq.path not in paths:
            paths[cq.path] = path_str(shapes, cq.path)
        base_path = paths.get(cq.path) if cq.path is not None else None
        variables = [v.value for v in rows.variables]
        for row in rows:
            results.append(_result(cq, row, variables, shape_iri, base_path, sources))
    return results


def _result(
    cq: CompiledQuery,
    row: ox.QuerySolution,
    variables: list[str],
    shape_iri: str,
    base_path: str | None,
    sources: Mapping[str, str],
) -> ValidationResult:
    focus_t = decode(row["this"])
    focus = term_str(focus_t)
    value_t = None
    if cq.value_is_focus:
        value_t = focus_t
    elif "value" in variables and row["value"] is not None:
        value_t = decode(row["value"])
    path = base_path
    if cq.path_var and "path" in variables and row["path"] is not None:
        path = term_str(decode(row["path"]))
    if cq.kind == "sparql":
        bindings = {v: row[v] for v in variables if row[v] is not None}
        if "message" in bindings:
            message = str(decode(bindings["message"]))
        elif cq.sparql_message:
            template = str(sorted(cq.sparql_message, key=_message_key)[0])
            message = _fill(template, {k: term_str(decode(t)) for k, t in bindings.items()})
        else:
            message = _first(cq.messages) or "SPARQL constraint violated"
    else:
        message = _first(cq.messages) or _default_message(cq)
    return ValidationResult(
        severity=cq.severity,
        focus=focus,
        path=path,
        component=cq.component,
        message=message,
        shape=shape_iri,
        value=term_str(value_t) if value_t is not None else None,
        source_file=sources.get(focus),
    )


def _first(messages: list[Literal]) -> str:
    return str(sorted(messages, key=_message_key)[0]) if messages else ""


def _default_message(cq: CompiledQuery) -> str:
    name = cq.component.rsplit("#", 1)[-1]
    return f"{name.removesuffix('ConstraintComponent')} constraint violated"


_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def _fill(template: str, bindings: Mapping[str, str]) -> str:
    return _TEMPLATE.sub(lambda m: bindings.get(m.group(1), m.group(0)), template)


def run_checks_ox(
    store: ox.Store, checks: Iterable[CheckQuery], sources: Mapping[str, str]
) -> list[ValidationResult]:
    """Each check query on pyoxigraph (union default graph); every row is a violation,
    reported as :func:`kg.validate.run_checks` reports it."""
    out: list[ValidationResult] = []
    for check in checks:
        try:
            rows = store.query(check.text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        variables = [v.value for v in rows.variables]
        for row in rows:
            bound = {v: decode(row[v]) for v in variables if row[v] is not None}
            focus = bound.get("focus", next(iter(bound.values()), None))
            focus_s = term_str(focus) if focus is not None else ""
            detail = ", ".join(f"{k}={term_str(v)}" for k, v in bound.items())
            out.append(
                ValidationResult(
                    severity=VIOLATION,
                    focus=focus_s,
                    path=None,
                    component=CHECK_COMPONENT,
                    message=f"{check.title}: {detail}" if detail else check.title,
                    shape=check.name,
                    value=None,
                    source_file=sources.get(focus_s),
                )
            )
    return out


def run_fallback(
    stores: Stores, compiled: Compiled, shapes: Graph, sources: Mapping[str, str]
) -> list[ValidationResult]:
    """pySHACL for the shapes the compiler left out (none for our shapes)."""
    if not compiled.fallback:
        return []
    from pyshacl import validate

    from kg.validate import _shacl_results

    data = Graph()
    wanted = set(stores.graphs)
    for q in stores.encoded.quads_for_pattern(None, None, None, None):
        if q.graph_name in wanted:  # the encoded store keeps every literal as written
            data.add((decode(q.subject), decode(q.predicate), decode(q.object)))
    _c, report, _t = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
        do_owl_imports=False,
        use_shapes=compiled.fallback_shapes,
    )
    return list(_shacl_results(report, shapes, sources))


def fast_shapes(
    stores: Stores,
    shapes: Graph,
    sources: Mapping[str, str],
    compiled: Compiled | None = None,
) -> tuple[list[ValidationResult], Compiled]:
    """Every shape: compiled where possible, pySHACL for the rest."""
    compiled = compiled or compile_shapes(shapes)
    results = run_compiled(stores, compiled, shapes, sources)
    results += run_fallback(stores, compiled, shapes, sources)
    return results, compiled

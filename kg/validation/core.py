"""Validate stage: SHACL shapes plus check queries.

Two validators give the same report: ``"fast"`` (the default: SHACL Core compiled into
SPARQL on pyoxigraph, :mod:`kg.validation.compiler` and :mod:`kg.validation.fast`, with
:mod:`kg.validation.incremental` for the editing loop) and ``"pyshacl"`` (the reference,
below).

``validate_graph`` runs every shape in ``shapes/*.ttl`` over the union of the data and
the ontology (no inference: the ontology's ``rdfs:subClassOf`` axioms are in the graph,
so a ``govsm:MetaSynthesis`` is a ``govsm:Review`` for ``sh:targetClass`` and
``sh:class``), then every ``queries/checks/*-violation.rq`` (each must return zero rows;
each row is a violation). It returns a :class:`ValidationReport`: one
:class:`ValidationResult` per finding, ``conforms`` when there is no violation
(warnings never fail a build).

Nothing is fetched from the network: ``owl:imports`` triples are dropped from the
ontology and shapes before pySHACL sees them, and pySHACL is called with
``do_owl_imports=False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from kg.prefixes import compact as compact_iri
from kg.sparql.files import parse_header

if TYPE_CHECKING:
    from rich.table import Table

VIOLATION = "Violation"
WARNING = "Warning"
INFO = "Info"
_SEVERITY_ORDER = {VIOLATION: 0, WARNING: 1, INFO: 2}

#: Component name given to rows of a check query (they have no SHACL component).
CHECK_COMPONENT = "check-query"

# Properties by which a shape refers to a nested shape: used to find, for a blank
# property shape, the named node shape it belongs to.
_NESTING = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
_LIST_NESTING = (SH["or"], SH["and"], SH.xone)


class ValidationSetupError(Exception):
    """Shapes or check queries cannot be read (the data was not looked at)."""


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One finding: a SHACL validation result or one row of a check query."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: str  # focus node: an IRI, or "_:id" for a blank node
    path: str | None  # result path (SPARQL property-path syntax), if any
    component: str  # constraint component IRI, or CHECK_COMPONENT
    message: str
    shape: str  # named node shape IRI, or the check query's file name
    value: str | None = None  # the offending value, if any
    source_file: str | None = None  # file that defines the focus node, if known

    @property
    def is_violation(self) -> bool:
        """True for a result of severity sh:Violation."""
        return self.severity == VIOLATION


@dataclass
class ValidationReport:
    """The results of one validation run."""

    results: list[ValidationResult] = field(default_factory=list)
    #: How the shapes were checked, when not all by the fast path (e.g. "shape:X:
    #: validated by pySHACL (not compiled: sh:target)").
    notes: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """No violation (warnings and infos do not count)."""
        return not self.violations

    @property
    def violations(self) -> list[ValidationResult]:
        """Results of severity sh:Violation (shapes and check queries)."""
        return [r for r in self.results if r.severity == VIOLATION]

    @property
    def warnings(self) -> list[ValidationResult]:
        """Results of severity sh:Warning."""
        return [r for r in self.results if r.severity == WARNING]

    def by_shape(self, severity: str | None = None) -> dict[str, list[ValidationResult]]:
        """Group results (or only those of ``severity``) by shape, in shape order."""
        groups: dict[str, list[ValidationResult]] = {}
        for r in self.results:
            if severity is None or r.severity == severity:
                groups.setdefault(r.shape, []).append(r)
        return dict(sorted(groups.items()))

    def summary(self, severity: str = WARNING) -> list[tuple[str, str, int]]:
        """(shape, message, count) for each distinct message of ``severity``: warnings
        are many and alike, so a reader wants them counted, not listed."""
        counts: dict[tuple[str, str], int] = {}
        for r in self.results:
            if r.severity == severity:
                counts[(r.shape, r.message)] = counts.get((r.shape, r.message), 0) + 1
        return [(s, m, n) for (s, m), n in sorted(counts.items())]


# ---------------------------------------------------------------------------
# Loading shapes and checks
# ---------------------------------------------------------------------------


def shape_files(shapes_dir: Path) -> list[Path]:
    """The shapes files, in name order."""
    return sorted(Path(shapes_dir).glob("*.ttl"))


def load_shapes(shapes_dir: Path) -> Graph:
    """Parse every ``shapes_dir/*.ttl`` into one shapes graph (owl:imports dropped)."""
    files = shape_files(shapes_dir)
    if not files:
        raise ValidationSetupError(f"{shapes_dir}: no *.ttl shapes files")
    graph = Graph()
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises parser-specific types
            raise ValidationSetupError(f"{path}: {exc}") from exc
    graph.remove((None, OWL.imports, None))
    return graph


@dataclass(frozen=True)
class CheckQuery:
    """A ``*-violation.rq`` file: its header and its text."""

    path: Path
    title: str
    question: str
    text: str

    @property
    def name(self) -> str:
        """The file name, e.g. ``subfactor-without-evidence-violation.rq``."""
        return self.path.name


def load_checks(checks_dir: Path) -> list[CheckQuery]:
    """Every ``checks_dir/*-violation.rq``, in name order."""
    checks: list[CheckQuery] = []
    for path in sorted(Path(checks_dir).glob("*-violation.rq")):
        text = path.read_text(encoding="utf-8")
        header = parse_header(text)
        if "title" not in header:
            raise ValidationSetupError(f"{path}: no '# title:' header line")
        checks.append(CheckQuery(path, header["title"], header.get("question", ""), text))
    return checks


# ---------------------------------------------------------------------------
# Rendering terms
# ---------------------------------------------------------------------------


def term_str(node: rdflib.term.Node) -> str:
    """An IRI as itself, a blank node as ``_:id``, a literal as its lexical form."""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def path_str(graph: Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path in SPARQL property-path syntax."""
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:  # a list is a sequence path, whatever else it has
        return "/".join(_wrap(graph, p) for p in Collection(graph, path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{_wrap(graph, inverse)}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_wrap(graph, p) for p in Collection(graph, alternatives))
    repeats = ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?"))
    for prop, suffix in repeats:
        inner = graph.value(path, prop)
        if inner is not None:
            return f"({_wrap(graph, inner)}){suffix}"
    return term_str(path)


def _wrap(graph: Graph, path: rdflib.term.Node) -> str:
    text = path_str(graph, path)
    return f"<{text}>" if isinstance(path, URIRef) else f"({text})"


def named_shape(shapes: Graph, shape: rdflib.term.Node) -> str:
    """The IRI of the named shape a (possibly nested, blank) shape belongs to."""
    seen: set[rdflib.term.Node] = set()
    frontier = [shape]
    while frontier:
        node = frontier.pop(0)
        if isinstance(node, URIRef):
            return str(node)
        if node in seen:
            continue
        seen.add(node)
        for prop in _NESTING:
            frontier.extend(shapes.subjects(prop, node))
        # A shape listed in sh:or/sh:and/sh:xone: climb the RDF list to its head.
        for cell in shapes.subjects(RDF.first, node):
            head = cell
            while (prev := shapes.value(predicate=RDF.rest, object=head)) is not None:
                head = prev
            for prop in _LIST_NESTING:
                frontier.extend(shapes.subjects(prop, head))
    return term_str(shape)


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


class _PreparingGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL runs a SPARQL-based constraint once per focus node, with the same text
    and a different ``initBindings``; rdflib would parse the text every time. A
    prepared query with fresh bindings is rdflib's documented way to reuse a query.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Query] = {}

    def query(self, query_object, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        if isinstance(query_object, str) and not kwargs.get("initNs") and not args:
            prepared = self._prepared.get(query_object)
            if prepared is None:
                namespaces = dict(self.namespaces())  # as Graph.query would use them
                prepared = prepareQuery(query_object, initNs=namespaces)
                self._prepared[query_object] = prepared
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _without_imports(graph: Graph) -> Graph:
    out = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            out.add(triple)
    return out


def run_shapes(
    union: Graph,
    ontology: Graph,
    shapes: Graph,
    sources: Mapping[str, str] | None = None,
) -> list[ValidationResult]:
    """Run pySHACL over ``union`` (data plus ontology) and convert its report."""
    from pyshacl import validate

    _conforms, report, _text = validate(
        union,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        inplace=True,  # ``union`` is our own copy
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
        do_owl_imports=False,
    )
    return list(_shacl_results(report, shapes, sources or {}))


def _shacl_results(
    report: Graph, shapes: Graph, sources: Mapping[str, str]
) -> Iterable[ValidationResult]:
    for res in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(res, SH.focusNode)
        path = report.value(res, SH.resultPath)
        component = report.value(res, SH.sourceConstraintComponent)
        severity = report.value(res, SH.resultSeverity)
        shape = report.value(res, SH.sourceShape)
        value = report.value(res, SH.value)
        messages = sorted(report.objects(res, SH.resultMessage), key=_message_key)
        if report.value(res, SH.sourceConstraint) is not None and shape is not None:
            # pySHACL reports a SPARQL-based constraint's own (templated) message
            # together with the shape's, both without a language tag; the
            # constraint's says what went wrong.
            own = {str(m) for m in shapes.objects(shape, SH.message)}
            messages = [m for m in messages if str(m) not in own] or messages
        focus_s = term_str(focus) if focus is not None else ""
        yield ValidationResult(
            severity=_local(severity) if severity is not None else VIOLATION,
            focus=focus_s,
            path=path_str(report, path) if path is not None else None,
            component=str(component) if component is not None else "",
            message=str(messages[0]) if messages else "",
            shape=named_shape(shapes, shape) if shape is not None else "",
            value=term_str(value) if value is not None else None,
            source_file=sources.get(focus_s),
        )


def _message_key(msg: rdflib.term.Node) -> tuple[int, str]:
    # English first, then untagged, then the rest.
    lang = msg.language if isinstance(msg, Literal) else None
    return ({"en": 0, None: 1}.get(lang, 2), str(msg))


def _local(iri: rdflib.term.Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def check_result(
    check: CheckQuery, bound: Mapping[str, rdflib.term.Node], sources: Mapping[str, str]
) -> ValidationResult:
    """One row of a check query as a violation: the focus is its ``?focus`` (or first
    bound value), the message the query's title followed by the row's bindings."""
    focus = bound.get("focus", next(iter(bound.values()), None))
    focus_s = term_str(focus) if focus is not None else ""
    detail = ", ".join(f"{k}={term_str(v)}" for k, v in bound.items())
    return ValidationResult(
        severity=VIOLATION,
        focus=focus_s,
        path=None,
        component=CHECK_COMPONENT,
        message=f"{check.title}: {detail}" if detail else check.title,
        shape=check.name,
        value=None,
        source_file=sources.get(focus_s),
    )


def run_checks(
    graph: Graph, checks: Iterable[CheckQuery], sources: Mapping[str, str] | None = None
) -> list[ValidationResult]:
    """Run each check query; every row it returns is a violation.

    The focus node is the row's ``?focus`` binding (or its first bound value); the
    message is the query's title followed by the row's bindings.
    """
    sources = sources or {}
    out: list[ValidationResult] = []
    for check in checks:
        try:
            rows = graph.query(check.text)
        except Exception as exc:  # rdflib raises parser-specific types
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        variables = [str(v) for v in rows.vars or []]
        for row in rows:
            bound = {v: row[v] for v in variables if row[v] is not None}
            out.append(check_result(check, bound, sources))
    return out


#: The validators: the compiled fast path (default) and the pySHACL reference.
VALIDATORS = ("fast", "pyshacl")


def result_order(r: ValidationResult) -> tuple:
    """Report order: severity, shape, focus node, path, value."""
    return (_SEVERITY_ORDER.get(r.severity, 9), r.shape, r.focus, r.path or "", r.value or "")


def fallback_notes(fallback: Mapping[str, str]) -> list[str]:
    """One note per shape the fast path left to pySHACL, with the reason."""
    return [
        f"{compact(shape)}: validated by pySHACL (not compiled: {why})"
        for shape, why in sorted(fallback.items())
    ]


def sort_results(results: list[ValidationResult]) -> list[ValidationResult]:
    """Results in report order (:func:`result_order`)."""
    return sorted(results, key=result_order)


def validate_graph(
    data: rdflib.Graph,
    ontology: rdflib.Graph,
    shapes_dir: Path,
    checks_dir: Path | None = None,
    sources: Mapping[str, str] | None = None,
    validator: str = "fast",
) -> ValidationReport:
    """Validate ``data`` against the shapes in ``shapes_dir`` and the check queries in
    ``checks_dir`` (skipped when None), on the union of data and ontology.

    ``sources`` maps a subject IRI to the file that defines it, so that each result
    can name its file. ``validator`` is ``"fast"`` (SHACL compiled to SPARQL on
    pyoxigraph, :mod:`kg.validation.fast`) or ``"pyshacl"`` (the reference). Neither
    input graph is modified.
    """
    if validator not in VALIDATORS:
        raise ValueError(f"unknown validator {validator!r} (one of {', '.join(VALIDATORS)})")
    shapes = load_shapes(shapes_dir)
    checks = load_checks(checks_dir) if checks_dir is not None else []
    if validator == "fast":
        from kg.validation.fast import (
            fast_shapes,
            quads_from_rdflib,
            run_checks_ox,
            stores_from_quads,
        )

        stores = stores_from_quads(
            {
                "urn:x-govsm:data": quads_from_rdflib(data),
                "urn:x-govsm:ontology": quads_from_rdflib(ontology),
            }
        )
        results, compiled = fast_shapes(stores, shapes, sources or {})
        results += run_checks_ox(stores.plain, checks, sources or {})
        return ValidationReport(sort_results(results), fallback_notes(compiled.fallback))
    ont = _without_imports(ontology)
    union = _PreparingGraph()
    for triple in data:
        if triple[1] != OWL.imports:
            union.add(triple)
    union += ont
    results = run_checks(union, checks, sources) if checks else []
    # pySHACL runs in place (it adds the ontology's axioms to ``union``), so the
    # checks run first, on the plain union.
    results = run_shapes(union, ont, shapes, sources) + results
    return ValidationReport(sort_results(results))


# ---------------------------------------------------------------------------
# Rendering reports
# ---------------------------------------------------------------------------


def compact(iri: str | None) -> str:
    """An IRI written with the project's prefix table where one fits."""
    return compact_iri(iri) if iri else ""


def render_text(report: ValidationReport, warnings: str = "summary") -> str:
    """A plain-text report: every violation in full; warnings in full (``"all"``),
    counted per shape and message (``"summary"``) or left out (``"none"``)."""
    lines = [
        f"conforms: {'yes' if report.conforms else 'no'} "
        f"({len(report.violations)} violation(s), {len(report.warnings)} warning(s))"
    ]
    for r in report.violations + (report.warnings if warnings == "all" else []):
        where = f" [{r.source_file}]" if r.source_file else ""
        path = f" {compact(r.path)}" if r.path else ""
        lines.append(f"{r.severity}: {compact(r.focus)}{path}{where}")
        lines.append(f"    {r.message}")
        lines.append(f"    ({compact(r.shape)}, {compact(r.component)})")
    if warnings == "summary":
        for shape, message, n in report.summary(WARNING):
            lines.append(f"Warning x{n}: {compact(shape)}: {message}")
    return "\n".join(lines)


def render_table(report: ValidationReport, severity: str | None = None) -> Table:
    """A rich table of the results (or only those of ``severity``)."""
    from rich.table import Table

    table = Table(title="Validation results", show_lines=False)
    for name in ("severity", "focus", "path", "message", "shape", "file"):
        table.add_column(name, overflow="fold")
    for r in report.results:
        if severity is not None and r.severity != severity:
            continue
        style = "red" if r.severity == VIOLATION else "yellow"
        table.add_row(
            f"[{style}]{r.severity}[/{style}]",
            compact(r.focus),
            compact(r.path),
            r.message,
            compact(r.shape),
            r.source_file or "",
        )
    return table

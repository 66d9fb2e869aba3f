"""The fast path: the compiled shapes (kg.validation.compiler) and the check queries run
on pyoxigraph (kg.validation.stores), with pySHACL (kg.validation.reference) for any
shape the compiler does not cover.

The compiled Core constraints run on the validation store (literals encoded as written);
SPARQL-based constraints (``sh:sparql``) and the check queries are user SPARQL that
compares values, so they run on the plain store. Queries run several at a time in
threads: pyoxigraph releases the GIL while it evaluates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDFS

from kg.rdf.engine import QUERY_THREADS
from kg.validation.compiler import Compiled, CompiledQuery, compile_shapes
from kg.validation.compiler.cardinality import grouped_sparql
from kg.validation.compiler.literals import decode
from kg.validation.compiler.targets import fill_subclasses
from kg.validation.inputs import CheckQuery, ValidationSetupError, check_result
from kg.validation.reference import run_pyshacl
from kg.validation.report import ValidationResult
from kg.validation.stores import Stores
from kg.validation.terms import first_message, message_key, named_shape, path_str, term_str

_THIS = ox.Variable("this")


#: Focus nodes to check, per query index (incremental runs).
FocusNodes = Mapping[int, list]


def fast_shapes(
    stores: Stores,
    shapes: Graph,
    sources: Mapping[str, str],
    compiled: Compiled | None = None,
) -> tuple[list[ValidationResult], Compiled]:
    """Every shape: compiled where possible, pySHACL for the rest."""
    compiled = compiled or compile_shapes(shapes)
    results = [r for _cq, r in iter_compiled(stores, compiled, shapes, sources)]
    results += run_fallback(stores, compiled, shapes, sources)
    return results, compiled


def iter_compiled(
    stores: Stores,
    compiled: Compiled,
    shapes: Graph,
    sources: Mapping[str, str],
    only: Callable[[CompiledQuery], bool] | None = None,
    focus: FocusNodes | None = None,
) -> list[tuple[CompiledQuery, ValidationResult]]:
    """The results of the compiled queries (those ``only`` accepts), each with the query
    that gave it, in query order; the queries run several at a time in threads, and
    those of one group (CompiledQuery.group) as one query. With ``focus`` (query index
    -> focus nodes), a query runs once for each of its focus nodes, with ``?this`` bound
    to it, and not at all without one (incremental runs)."""
    chosen = [(i, cq) for i, cq in enumerate(compiled.queries) if only is None or only(cq)]
    jobs = _jobs([cq for _i, cq in chosen] if focus is None else [])
    jobs += [[k] for k in range(len(chosen)) if not any(k in job for job in jobs)]
    texts = _job_texts(stores, chosen, jobs)

    def run(job: list[int]) -> list[tuple[int, list[tuple[CompiledQuery, ValidationResult]]]]:
        text = texts[job[0]]
        if len(job) > 1:
            return _run_group(stores, chosen, job, text, shapes, sources)
        i, cq = chosen[job[0]]
        if cq.kind == "core" and focus is not None and cq.restrictable:
            return [(job[0], _run_focused(stores, cq, text, focus.get(i, ()), shapes, sources))]
        # The union default graph: naming the graphs (default_graph=[...]) is far slower
        # in pyoxigraph.
        store = stores.encoded if cq.kind == "core" else stores.plain
        variables, rows = _solutions(store, text, use_default_graph_as_union=True)
        return [(job[0], list(_rows(cq, rows, variables, shapes, sources)))]

    with ThreadPoolExecutor(QUERY_THREADS, thread_name_prefix="govsm-shacl") as pool:
        by_query = dict(pair for done in pool.map(run, jobs) for pair in done)
    return [pair for k in range(len(chosen)) for pair in by_query[k]]


def _jobs(queries: list[CompiledQuery]) -> list[list[int]]:
    """The indexes of ``queries`` that run as one query: two or more of a group."""
    groups: dict[tuple[str, str], list[int]] = {}
    for k, cq in enumerate(queries):
        if cq.group is not None and cq.kind == "core":
            groups.setdefault(cq.group, []).append(k)
    return [job for job in groups.values() if len(job) > 1]


def _job_texts(
    stores: Stores, chosen: list[tuple[int, CompiledQuery]], jobs: list[list[int]]
) -> dict[int, str]:
    """Each job's SPARQL, by its first index; made in one thread (the subclass lookup
    caches)."""
    lookup = _subclass_lookup(stores)
    texts = {}
    for job in jobs:
        cq = chosen[job[0]][1]
        if len(job) == 1:
            texts[job[0]] = fill_subclasses(cq.sparql, lookup)
        else:
            assert cq.group is not None
            predicates = [chosen[k][1].group_predicate for k in job]
            texts[job[0]] = fill_subclasses(grouped_sparql(cq.group, predicates), lookup)
    return texts


def _run_group(
    stores: Stores,
    chosen: list[tuple[int, CompiledQuery]],
    job: list[int],
    text: str,
    shapes: Graph,
    sources: Mapping[str, str],
) -> list[tuple[int, list[tuple[CompiledQuery, ValidationResult]]]]:
    """A group's one query, its rows shared out to the queries by predicate (``?p``)."""
    variables, rows = _solutions(stores.encoded, text, use_default_graph_as_union=True)
    by_predicate: dict[str, list[ox.QuerySolution]] = {}
    for row in rows:
        by_predicate.setdefault(str(row["p"]), []).append(row)
    out = []
    for k in job:
        cq = chosen[k][1]
        found = by_predicate.get(cq.group_predicate, [])
        out.append((k, list(_rows(cq, found, variables, shapes, sources))))
    return out


def _run_focused(
    stores: Stores,
    cq: CompiledQuery,
    text: str,
    nodes: Iterable[ox.NamedNode | ox.BlankNode],
    shapes: Graph,
    sources: Mapping[str, str],
) -> list[tuple[CompiledQuery, ValidationResult]]:
    """A query once per focus node, ``?this`` bound up front (SEP-0007 substitution):
    pyoxigraph then looks at that node only; a VALUES block or a marker graph would
    still scan the targets."""
    found = []
    for node in nodes:
        variables, rows = _solutions(
            stores.encoded, text, use_default_graph_as_union=True, substitutions={_THIS: node}
        )
        found += _rows(cq, rows, variables, shapes, sources)
    return found


def _rows(
    cq: CompiledQuery,
    rows: Iterable[ox.QuerySolution],
    variables: list[str],
    shapes: Graph,
    sources: Mapping[str, str],
) -> Iterator[tuple[CompiledQuery, ValidationResult]]:
    """Each row of a compiled query as a validation result."""
    shape_iri = cq.shape_name or named_shape(shapes, cq.shape)
    base_path = cq.path_text
    if base_path is None and cq.path is not None:
        base_path = path_str(shapes, cq.path)
    for row in rows:
        yield cq, _result(cq, row, variables, shape_iri, base_path, sources)


def _solutions(
    store: ox.Store, text: str, **options: Any
) -> tuple[list[str], list[ox.QuerySolution]]:
    """A SELECT's variables and rows, read whole in the calling thread: pyoxigraph's
    solutions iterator must be freed in the thread that made it, and a frame that
    still held it could outlive the query (rdflib logs an ill-typed literal's
    conversion error with its traceback, which keeps the frames below it alive)."""
    solutions = store.query(text, **options)
    return [v.value for v in solutions.variables], list(solutions)


def _subclass_lookup(stores: Stores) -> Callable[[str], list[str]]:
    """cls -> cls and its subclasses (rdfs:subClassOf*, in the data graph), cached."""
    cache: dict[str, list[str]] = {}

    def lookup(cls: str) -> list[str]:
        if cls not in cache:
            rows = stores.encoded.query(
                f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}",
                use_default_graph_as_union=True,
            )
            found = {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}
            cache[cls] = sorted(found | {cls})
        return cache[cls]

    return lookup


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
    return ValidationResult(
        severity=cq.severity,
        focus=focus,
        path=path,
        component=cq.component,
        message=_message(cq, row, variables),
        shape=shape_iri,
        value=term_str(value_t) if value_t is not None else None,
        source_file=sources.get(focus),
        constraint=cq.constraint or None,
    )


_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def _message(cq: CompiledQuery, row: ox.QuerySolution, variables: list[str]) -> str:
    """A result's message: the shape's; for a SPARQL-based constraint, the row's
    ``?message`` or the constraint's own, its ``{?var}`` filled from the row."""
    if cq.kind != "sparql":
        name = cq.component.rsplit("#", 1)[-1]
        default = f"{name.removesuffix('ConstraintComponent')} constraint violated"
        return first_message(cq.messages) or default
    bindings = {v: row[v] for v in variables if row[v] is not None}
    if "message" in bindings:
        return str(decode(bindings["message"]))
    if cq.sparql_message:
        template = str(sorted(cq.sparql_message, key=message_key)[0])
        values = {k: term_str(decode(t)) for k, t in bindings.items()}
        return _TEMPLATE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    return first_message(cq.messages) or "SPARQL constraint violated"


def run_checks_ox(
    store: ox.Store, checks: Iterable[CheckQuery], sources: Mapping[str, str]
) -> list[ValidationResult]:
    """Each check query on pyoxigraph (union default graph), several at a time in
    threads; every row is a violation (kg.validation.inputs.check_result), in the order
    of the checks."""

    def run(check: CheckQuery) -> list[ValidationResult]:
        try:
            variables, rows = _solutions(store, check.text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValidationSetupError(f"{check.path}: {exc}") from exc
        found = []
        for row in rows:
            bound = {v: decode(row[v]) for v in variables if row[v] is not None}
            found.append(check_result(check, bound, sources))
        return found

    with ThreadPoolExecutor(QUERY_THREADS, thread_name_prefix="govsm-checks") as pool:
        return [result for found in pool.map(run, list(checks)) for result in found]


def run_fallback(
    stores: Stores, compiled: Compiled, shapes: Graph, sources: Mapping[str, str]
) -> list[ValidationResult]:
    """pySHACL for the shapes the compiler left out (none for our shapes)."""
    if not compiled.fallback:
        return []
    data = Graph()
    wanted = set(stores.graphs)
    for q in stores.encoded.quads_for_pattern(None, None, None, None):
        if q.graph_name in wanted:  # the encoded store keeps every literal as written
            data.add((decode(q.subject), decode(q.predicate), decode(q.object)))
    return run_pyshacl(data, shapes, sources, use_shapes=compiled.fallback_shapes)

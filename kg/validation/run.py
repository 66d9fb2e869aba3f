"""The validate stage's one entry point: SHACL shapes and check queries over a loaded
engine, with the fast path (the default) or pySHACL (the reference); both give the same
report (:class:`kg.validation.report.ValidationReport`)."""

from __future__ import annotations

from concurrent.futures import wait

import rdflib

from kg.background import in_background
from kg.config import Project
from kg.rdf.load import Loaded
from kg.validation.fast import fast_shapes, run_checks_ox
from kg.validation.inputs import CheckQuery, load_checks, load_shapes
from kg.validation.reference import validate_reference
from kg.validation.report import ValidationReport, fallback_notes, sort_results
from kg.validation.stores import (
    data_files,
    encoded_in_place,
    in_place,
    source_files,
    stores_from_loaded,
    with_sources,
)

#: The validators: the compiled fast path (default) and the pySHACL reference.
VALIDATORS = ("fast", "pyshacl")


def validate(
    loaded: Loaded, project: Project, validator: str = "fast", *, copy: bool = False
) -> ValidationReport:
    """Validate what ``loaded`` holds against ``project``'s shapes and check queries
    (``queries/checks/*-violation.rq``, skipped when the folder is absent).

    ``validator`` is ``"fast"`` (SHACL compiled to SPARQL on pyoxigraph; on the
    pyoxigraph engine in its own store, unless ``copy`` or the engine holds more than the
    sources: then in copies) or ``"pyshacl"`` (the reference). The engine is left as it
    was. Each result names the data file that defines its focus node.
    """
    if validator not in VALIDATORS:
        raise ValueError(f"unknown validator {validator!r} (one of {', '.join(VALIDATORS)})")
    shapes = load_shapes(project.shapes)
    checks = load_checks(project.checks) if project.checks.is_dir() else []
    if validator == "pyshacl":
        data, ontology, sources = _graphs(loaded)
        return validate_reference(data, ontology, shapes, checks, sources)
    return _validate_fast(loaded, shapes, checks, copy)


def _validate_fast(
    loaded: Loaded, shapes: rdflib.Graph, checks: list[CheckQuery], copy: bool
) -> ValidationReport:
    """Shapes, then check queries, on the fast path."""
    if in_place(loaded) and not copy:
        # The check queries compare values as the Store has them: they run before the
        # store changes, while the written literals are encoded.
        checked = in_background(run_checks_ox, loaded.engine.store, checks, {})
        with encoded_in_place(loaded, before_change=lambda: wait([checked])) as stores:
            results, compiled = fast_shapes(stores, shapes, {})
        results += checked.result()
    else:
        stores = stores_from_loaded(loaded)
        results, compiled = fast_shapes(stores, shapes, {})
        results += run_checks_ox(stores.plain, checks, {})
    sources = source_files(stores, data_files(loaded), (r.focus for r in results))
    return ValidationReport(
        sort_results(with_sources(results, sources)), fallback_notes(compiled.fallback)
    )


def _graphs(loaded: Loaded) -> tuple[rdflib.Graph, rdflib.Graph, dict[str, str]]:
    """The data graph, the ontology graph, and which file each data subject comes from."""
    data, ontology, sources = rdflib.Graph(), rdflib.Graph(), {}
    for source in loaded.sources:
        target = data if source.kind == "data" else ontology
        for triple in loaded.engine.triples(source.graph):
            target.add(triple)
            if source.kind == "data":
                sources.setdefault(str(triple[0]), source.rel)
    return data, ontology, sources

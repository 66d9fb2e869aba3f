"""The validate stage: SHACL shapes and check queries (``queries/checks/*-violation.rq``,
each row a violation).

One entry point, :func:`validate`, over a loaded engine, with two validators that give
the same report: ``"fast"`` (the default: SHACL Core compiled into SPARQL on pyoxigraph,
:mod:`kg.validation.compiler` run by :mod:`kg.validation.fast`) and ``"pyshacl"`` (the
reference, :mod:`kg.validation.reference`, the one place pySHACL is called). The editing
loop has its own run, :func:`validate_incremental` (:mod:`kg.validation.incremental`),
which re-checks only what changed files can affect.

The layers of the package, lowest first: :mod:`.report` (results, report, rendering),
:mod:`.terms`, :mod:`.inputs` (shapes and check queries), :mod:`.compiler`,
:mod:`.reference`, :mod:`.stores`, :mod:`.fast`, :mod:`.run`, :mod:`.incremental`.
"""

from kg.validation.incremental import CacheBusy, Outcome, validate_incremental
from kg.validation.inputs import ValidationSetupError
from kg.validation.report import (
    CHECK_COMPONENT,
    INFO,
    VIOLATION,
    WARNING,
    ValidationReport,
    ValidationResult,
    compact,
    render_table,
    render_text,
)
from kg.validation.run import VALIDATORS, validate

__all__ = [
    "CHECK_COMPONENT",
    "INFO",
    "VALIDATORS",
    "VIOLATION",
    "WARNING",
    "CacheBusy",
    "Outcome",
    "ValidationReport",
    "ValidationResult",
    "ValidationSetupError",
    "compact",
    "render_table",
    "render_text",
    "validate",
    "validate_incremental",
]

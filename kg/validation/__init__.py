"""The validate stage: SHACL shapes and check queries (``queries/checks/*-violation.rq``,
each row a violation).

One entry point, :func:`validate`, over a loaded engine, with two validators that give
the same report: ``"fast"`` (the default: SHACL Core compiled into SPARQL on pyoxigraph,
:mod:`kg.validation.compiler` run by :mod:`kg.validation.fast`) and ``"pyshacl"`` (the
reference, :mod:`kg.validation.reference`, the one place pySHACL is called). The editing
loop has its own run, :func:`validate_incremental` (:mod:`kg.validation.incremental`),
which re-checks only what changed files can affect: imported when first asked for
(``__getattr__``), as it imports rdflib's SPARQL parser, a fifth of a second that a
build, which imports this package, does not need.

The layers of the package, lowest first: :mod:`.report` (results, report, rendering),
:mod:`.terms`, :mod:`.inputs` (shapes and check queries), :mod:`.compiler`,
:mod:`.reference`, :mod:`.stores`, :mod:`.fast`, :mod:`.run`, :mod:`.incremental`.
"""

from typing import Any

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

#: The names of kg.validation.incremental this package gives (see the module's doc).
_INCREMENTAL = ("CacheBusy", "Outcome", "validate_incremental")


def __getattr__(name: str) -> Any:
    """The incremental run's names (PEP 562), imported the first time one is asked for."""
    if name not in _INCREMENTAL:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # not at the top: see the module's doc (rdflib's SPARQL parser)
    from kg.validation import incremental

    return getattr(incremental, name)


__all__ = [
    "CacheBusy",
    "Outcome",
    "validate_incremental",
    "CHECK_COMPONENT",
    "INFO",
    "VALIDATORS",
    "VIOLATION",
    "WARNING",
    "ValidationReport",
    "ValidationResult",
    "ValidationSetupError",
    "compact",
    "render_table",
    "render_text",
    "validate",
]

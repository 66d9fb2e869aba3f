"""The validation report: its results, severities and order, and its text and table forms.

The bottom of :mod:`kg.validation`: every validator (the compiled fast path, pySHACL,
the check queries, the incremental run) gives its findings as :class:`ValidationResult`
and its run as a :class:`ValidationReport`; this module imports no other part of the
package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.prefixes import compact as compact_iri

if TYPE_CHECKING:
    from rich.table import Table

VIOLATION = "Violation"
WARNING = "Warning"
INFO = "Info"
_SEVERITY_ORDER = {VIOLATION: 0, WARNING: 1, INFO: 2}

#: Component name given to rows of a check query (they have no SHACL component).
CHECK_COMPONENT = "check-query"


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One finding: a SHACL validation result or one row of a check query."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: str  # focus node: an IRI, or "_:id" for a blank node
    path: str | None  # result path (SPARQL property-path syntax), if any
    component: str  # constraint component IRI, or CHECK_COMPONENT
    message: str
    # sh:sourceShape: the shape that declares the constraint (a property shape, or the
    # node shape for a node-level or SPARQL-based constraint; the nearest named shape
    # above a blank one), or the check query's file name
    shape: str
    value: str | None = None  # the offending value, if any
    source_file: str | None = None  # file that defines the focus node, if known
    # sh:sourceConstraint: the SPARQL-based constraint (sh:sparql) that gave the result,
    # when it has an IRI
    constraint: str | None = None


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


def result_order(r: ValidationResult) -> tuple:
    """Report order: severity, shape, focus node, path, value."""
    return (_SEVERITY_ORDER.get(r.severity, 9), r.shape, r.focus, r.path or "", r.value or "")


def sort_results(results: list[ValidationResult]) -> list[ValidationResult]:
    """Results in report order (:func:`result_order`)."""
    return sorted(results, key=result_order)


def compact(iri: str | None) -> str:
    """An IRI written with the project's prefix table where one fits."""
    return compact_iri(iri) if iri else ""


def fallback_notes(fallback: Mapping[str, str]) -> list[str]:
    """One note per shape the fast path left to pySHACL, with the reason."""
    return [
        f"{compact(shape)}: validated by pySHACL (not compiled: {why})"
        for shape, why in sorted(fallback.items())
    ]


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
        source = ", ".join(compact(x) for x in (r.shape, r.component, r.constraint) if x)
        lines.append(f"    ({source})")
    if warnings == "summary":
        for shape, message, n in report.summary(WARNING):
            lines.append(f"Warning x{n}: {compact(shape)}: {message}")
    return "\n".join(lines)


def render_table(report: ValidationReport, severity: str | None = None) -> Table:
    """A rich table of the results (or only those of ``severity``)."""
    # rich is for the command line only: the library and the server do not load it.
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

"""What the commands print: the two consoles (results on stdout, progress, warnings and
errors on stderr), compact IRIs and the tables and reports shared by several commands."""

from __future__ import annotations

import os

from rdflib import URIRef
from rich.console import Console
from rich.table import Table as RichTable

from kg.stages.query import compact
from kg.stages.reason import ReasonReport
from kg.stages.reason import render as render_reasoning
from kg.stages.report import Table
from kg.stages.verify import VerifyReport
from kg.validation import WARNING, ValidationReport, render_text
from kg.validation import compact as compact_shape


def _console(stderr: bool = False) -> Console:
    """A rich console, 160 columns wide off a terminal unless COLUMNS says otherwise."""
    # Off a terminal (pipes, CI logs) rich would wrap at 80 columns: the tables need more.
    probe = Console(stderr=stderr)
    wide = None if probe.is_terminal or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, width=wide)


#: Results (tables, trees, the closing line of a command).
console = _console()
#: Progress, warnings and errors.
err = _console(stderr=True)


def log(message: str) -> None:
    """A progress line of a pipeline stage: dim, or yellow for a warning."""
    style = "yellow" if message.startswith("warning") else "dim"
    err.print(f"[{style}]{message}[/]", highlight=False)


def compact_iri(iri: str) -> str:
    """An IRI as a prefixed name where the prefix table has one."""
    return compact(URIRef(iri))


def print_table(table: Table, title: str = "Classification of sub-factors") -> None:
    """The classification table; rows whose derived direction differs from the reported
    one in red."""
    out = RichTable(title=title, show_lines=False)
    for heading in table.headings:
        out.add_column(heading, overflow="fold")
    for row in table.rows:
        match = row[table.headings.index("Match")] if "Match" in table.headings else ""
        style = "red" if match == "no" else None
        out.add_row(*row, style=style)
    console.print(out)


def print_differences(report: VerifyReport) -> None:
    """Differences between derived and reported classifications."""
    out = RichTable(title="Derived vs reported: differences", header_style="bold red")
    for heading in ("Rule", "Sub-factor", "Context", "Derived", "Reported", "Words", "Status"):
        out.add_column(heading)
    for d in report.differences:
        out.add_row(
            d.rule,
            d.label,
            "whole review" if d.context is None else compact_iri(d.context),
            d.derived or "—",
            d.reported or "—",
            d.reported_words or "",
            d.status,
        )
    err.print(out)


def print_validation(report: ValidationReport) -> None:
    """Every violation in full (focus node, path, source file, message, shape), as plain
    lines: a table would cut long IRIs and messages in a narrow terminal or a CI log."""
    err.print(render_text(report, warnings="none"), markup=False, highlight=False)


def print_warnings(report: ValidationReport) -> None:
    """Warnings grouped by shape and message, with how many nodes each concerns."""
    summary = report.summary(WARNING)
    if not summary:
        return
    out = RichTable(title=f"Warnings by shape ({len(report.warnings)})", header_style="bold yellow")
    for heading in ("Shape", "Message", "Nodes"):
        out.add_column(heading, overflow="fold")
    for shape, message, count in summary:
        out.add_row(compact_shape(shape), message, str(count))
    console.print(out)


def print_reasoning(report: ReasonReport) -> None:
    """The reasoner's verdict."""
    err.print(render_reasoning(report))

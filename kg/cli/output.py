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
from kg.timings import Timings
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


def log(message: str, soft_wrap: bool = False) -> None:
    """A progress line of a pipeline stage: dim, or yellow for a warning; ``soft_wrap``:
    one line whatever its length (for a line that scripts read, as bench.command does)."""
    style = "yellow" if message.startswith("warning") else "dim"
    err.print(f"[{style}]{message}[/]", highlight=False, soft_wrap=soft_wrap)


def compact_iri(iri: str) -> str:
    """An IRI as a prefixed name where the prefix table has one."""
    return compact(URIRef(iri))


#: Sources a cell of the terminal's classification table names before "and N more"
#: (report.md, report.html and the site keep every one).
SOURCES_SHOWN = 3
#: How the classification table query joins a row's sources (queries/cq/...).
SOURCES_SEPARATOR = "; "


def summarise_sources(cell: str, shown: int = SOURCES_SHOWN) -> str:
    """The first ``shown`` sources of a Sources cell, then "and N more": a row backed by
    thousands of studies stays one line in a terminal (rendering it cost seconds)."""
    sources = cell.split(SOURCES_SEPARATOR) if cell else []
    if len(sources) <= shown:
        return cell
    rest = len(sources) - shown
    return f"{SOURCES_SEPARATOR.join(sources[:shown])} and {rest} more"


def print_table(table: Table, title: str = "Classification of sub-factors") -> None:
    """The classification table, its Sources cells summarised (summarise_sources); rows
    whose derived direction differs from the reported one in red."""
    out = RichTable(title=title, show_lines=False)
    for heading in table.headings:
        out.add_column(heading, overflow="fold")
    sources = table.headings.index("Sources") if "Sources" in table.headings else None
    for row in table.rows:
        match = row[table.headings.index("Match")] if "Match" in table.headings else ""
        style = "red" if match == "no" else None
        cells = list(row)
        if sources is not None:
            cells[sources] = summarise_sources(cells[sources])
        out.add_row(*cells, style=style)
    console.print(out)


def print_timings(timings: Timings) -> None:
    """Every stage's seconds and share of the whole (sub-stages indented), on stderr."""
    out = RichTable(title="Stage timings", header_style="bold")
    for heading, justify in (("Stage", "left"), ("Seconds", "right"), ("Share", "right")):
        out.add_column(heading, justify=justify)  # type: ignore[arg-type]
    rows = timings.rows()
    total = rows[-1][1] or 1.0
    for name, seconds in rows:
        label = "  " + name.split("/", 1)[1] if "/" in name else name
        style = "bold" if name == "total" else None
        out.add_row(label, f"{seconds:.2f}", f"{100 * seconds / total:.0f}%", style=style)
    err.print(out)


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

"""The classification report as an HTML page (the template report.html).

The same page stands alone in the build's folder (``dist/report.html`` and the build's
``index.html``, which adds the downloads: the stylesheet inlined, links in the table
only to what is beside it) and inside the static site (``site/report.html``, with the
site's navigation and stylesheet, and each row's sub-factor, factor and derived
classification linked to their pages, see kg.web.site). The table itself, and the
Markdown report, are kg.stages.report's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.stages.report import Table
from kg.web.templates import render, stylesheet

TEMPLATE = "report.html"


@dataclass(frozen=True)
class Report:
    """What the report says: the table, a title and notes on the build."""

    table: Table
    title: str
    notes: list[str]


def report_context(
    report: Report,
    links: list[tuple[str, str]] | tuple = (),
    row_links: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The template context of report.html: ``links`` (href, text) listed as downloads,
    ``row_links`` (per row: column heading -> href) the cells that link."""
    table = report.table
    rows = []
    for i, row in enumerate(table.rows):
        hrefs = row_links[i] if row_links is not None else {}
        rows.append(
            [(cell, hrefs.get(heading)) for heading, cell in zip(table.headings, row, strict=True)]
        )
    return {
        "heading": report.title,
        "notes": report.notes,
        "links": list(links),
        "headings": table.headings,
        "rows": rows,
    }


def standalone_page(
    report: Report, links: list[tuple[str, str]] | tuple = (), templates: Path | None = None
) -> str:
    """The report as a page that stands alone (its stylesheet inlined), with optional
    download ``links``; ``templates``: a project's templates folder (kg.web.templates)."""
    return render(
        TEMPLATE,
        templates,
        title=report.title,
        inline_style=stylesheet(templates),
        **report_context(report, links),
    )

"""Report: the classification table, from queries/cq/classification-table.rq.

The same rows are printed by the CLI (rich), and written to dist/report.md and
dist/report.html.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from kg.rdf.engine import Engine
from kg.sparql.files import read_query

TABLE_QUERY = Path("cq") / "classification-table.rq"
COLUMNS = (
    ("factorLabel", "Factor"),
    ("subfactorLabel", "Sub-factor"),
    ("derivedDirection", "Derived"),
    ("reportedDirection", "Reported"),
    ("reportedWords", "Reported words"),
    ("match", "Match"),
    ("evidenceCount", "Evidence"),
    ("studyCount", "Studies"),
    ("sources", "Sources"),
)


@dataclass(frozen=True)
class Table:
    """The classification table: headings and rows of display strings."""

    headings: list[str]
    rows: list[list[str]]

    @property
    def mismatches(self) -> int:
        col = self.headings.index("Match")
        return sum(1 for row in self.rows if row[col] != "yes")


def classification_table(engine: Engine, queries_dir: Path, rule: URIRef | None) -> Table:
    """Run the table query (for one rule, or all rules when None)."""
    query = read_query(queries_dir / TABLE_QUERY)
    result = engine.select(query.text, {"rule": rule} if rule is not None else {})
    rows = []
    for row in result.dicts():
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key)
            if value is None and key in ("evidenceCount", "studyCount"):
                cells.append("0")
            else:
                cells.append("" if value is None else str(value))
        rows.append(cells)
    return Table([title for _, title in COLUMNS], rows)


def to_markdown(table: Table, title: str, notes: list[str]) -> str:
    """A Markdown report with the table."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", "| " + " | ".join(table.headings) + " |"]
    lines.append("|" + "|".join("---" for _ in table.headings) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def to_html_table(table: Table) -> str:
    """The table as an HTML <table>."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n"
        for row in table.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}"
)


def to_html(table: Table, title: str, notes: list[str], links: list[tuple[str, str]] = ()) -> str:
    """A standalone HTML page with the table (and optional links)."""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    link_items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in links
    )
    links_html = f"<h2>Downloads</h2><ul>{link_items}</ul>" if links else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<ul>{items}</ul>\n{links_html}\n"
        f"<h2>Classification table</h2>\n{to_html_table(table)}\n</body>\n</html>\n"
    )

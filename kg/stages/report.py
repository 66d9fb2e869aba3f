"""Report: the classification table, from queries/cq/classification-table.rq.

The same rows are printed by the CLI (rich), and written to dist/report.md (here) and
as HTML to dist/report.html and the site's report.html (kg.web.report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    ("confidence", "Confidence"),
    ("evidenceCount", "Evidence"),
    ("studyCount", "Studies"),
    ("sources", "Sources"),
)
# Shown only when the rows differ in them (a build of several reviews or contexts), so a
# review's own table stays as it is.
VARYING = ("Review", "Context")
# The overall GRADE-CERQual confidence of each derived classification and what the other
# applicable rule sets derive (kg.stages.confidence): one short cell.
CONFIDENCE_QUERY = """
PREFIX govsm: <https://w3id.org/govsm/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?subfactor ?rule ?context ?level ?result ?other ?otherRule WHERE {
  ?assessment govsm:overallConfidence ?overall ;
      govsm:assessesFinding ?classification .
  ?classification govsm:classifiedSubFactor ?subfactor ;
      govsm:derivedByRule ?rule .
  OPTIONAL { ?classification govsm:inContext ?context }
  ?overall skos:prefLabel ?level . FILTER (lang(?level) = "en")
  OPTIONAL {
    ?check govsm:assessesFinding ?classification ;
        govsm:comparedRule ?otherRule ;
        govsm:robustness/skos:prefLabel ?result .
    FILTER (lang(?result) = "en")
    OPTIONAL { ?check govsm:comparedDirection/skos:prefLabel ?other . FILTER (lang(?other) = "en") }
  }
}
ORDER BY ?subfactor ?rule ?context ?otherRule
"""
# Left out when no row has a reported classification.
REPORTED = ("Reported", "Reported words", "Match")


@dataclass(frozen=True)
class Table:
    """The classification table: headings and rows of display strings."""

    headings: list[str]
    rows: list[list[str]]
    # Per row, the IRIs it is about ("subfactor", and "rule" when one derived it), so
    # that a page can link the row to them.
    subjects: list[dict[str, str]] = field(default_factory=list)
    # The table query's rows as the engine gave them (the site's figure reads them
    # rather than running the query again).
    found: list[dict] = field(default_factory=list, compare=False, repr=False)

    @property
    def mismatches(self) -> int:
        if "Match" not in self.headings:
            return 0
        col = self.headings.index("Match")
        return sum(1 for row in self.rows if row[col] == "no")


def classification_table(engine: Engine, queries_dir: Path, rule: URIRef | None) -> Table:
    """Run the table query (for one rule, or all rules when None)."""
    query = read_query(queries_dir / TABLE_QUERY)
    found = engine.select(query.text, {"rule": rule} if rule is not None else {}).dicts()
    confidence = confidence_cells(engine)
    rows, subjects, varying = [], [], []
    for row in found:
        row["confidence"] = confidence.get(_finding_key(row))
        subjects.append({k: str(row[k]) for k in ("subfactor", "rule") if row.get(k) is not None})
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key)
            if value is None and key in ("evidenceCount", "studyCount"):
                cells.append("0")
            else:
                cells.append("" if value is None else str(value))
        rows.append(cells)
        varying.append([str(row.get("reviews") or ""), _where(row)])
    headings = [title for _, title in COLUMNS]
    if not any(row.get("reportedDirection") is not None for row in found):
        # a primary review reports no classification: nothing to compare, no empty columns
        keep = [i for i, h in enumerate(headings) if h not in REPORTED]
        headings = [headings[i] for i in keep]
        rows = [[cells[i] for i in keep] for cells in rows]
    # Review first, Context after the sub-factor: only those with two values or more
    for index, title in reversed(list(enumerate(VARYING))):
        if len({v[index] for v in varying} - {""}) > 1:
            at = 0 if title == "Review" else headings.index("Sub-factor") + 1
            headings.insert(at, title)
            for cells, values in zip(rows, varying, strict=True):
                cells.insert(at, values[index])
    return Table(headings, rows, subjects, found)


def _finding_key(row: dict) -> tuple[str, str, str]:
    return tuple(str(row.get(k) or "") for k in ("subfactor", "rule", "context"))  # type: ignore[return-value]


def confidence_cells(engine: Engine) -> dict[tuple[str, str, str], str]:
    """(sub-factor, rule, context) -> "LEVEL; RESULT (OTHER DIRECTION)": the overall
    confidence without the word "confidence", then each other rule set's agreement."""
    cells: dict[tuple[str, str, str], list[str]] = {}
    for row in engine.select(CONFIDENCE_QUERY).dicts():
        parts = cells.setdefault(_finding_key(row), [str(row["level"]).removesuffix(" confidence")])
        if row["result"] is not None:
            other = f" ({row['other']})" if row["result"] != row["other"] and row["other"] else ""
            said = f"{row['result']}{other}" if str(row["result"]) != "agree" else "agree"
            parts.append(said)
    return {key: "; ".join(parts) for key, parts in cells.items()}


def _where(row: dict) -> str:
    """A row's context: its label, else its IRI; for the whole review when the derived
    classification has none."""
    if row.get("context") is not None:
        return str(row.get("contextLabel") or row["context"])
    return "whole review" if row.get("derivedDirection") is not None else ""


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

"""Verify: compare derived classifications with those the review reports.

The comparison is the SPARQL query ``queries/verify/derived-vs-reported.rq``; Python only
collects the rows whose status is not "match". Reported classifications are optional: a
derived classification the review does not report ("missing reported") is not compared,
only counted — for a primary review the derived classification *is* the finding. Any
other row that is not a match (a direction that differs, a reported classification the
rules do not derive) fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from kg.rdf.engine import Engine
from kg.sparql.files import read_query
from kg.stages.derive import Rule

VERIFY_QUERY = Path("verify") / "derived-vs-reported.rq"


@dataclass(frozen=True)
class Difference:
    """One sub-factor and context where derived and reported disagree (or one is missing);
    ``context`` None: classifications for the whole review."""

    rule: str
    subfactor: str
    label: str
    context: str | None
    derived: str | None
    reported: str | None
    reported_words: str | None
    status: str


@dataclass(frozen=True)
class VerifyReport:
    """All comparisons of one build."""

    compared: int
    differences: list[Difference]
    unreported: int = 0  # derived classifications the data reports nothing to compare with

    @property
    def ok(self) -> bool:
        return not self.differences


def _local(term: object) -> str | None:
    if term is None:
        return None
    text = str(term)
    return text.rsplit("#", 1)[-1] if "#" in text else text


def verify(engine: Engine, rules: list[Rule], base: str, queries_dir: Path) -> VerifyReport:
    """Run the verify query once per rule and gather the differences."""
    query = read_query(queries_dir / VERIFY_QUERY)
    compared, unreported, differences = 0, 0, []
    for rule in rules:
        rows = engine.select(query.text, {"rule": URIRef(rule.iri(base))}).dicts()
        for row in rows:
            if str(row["status"]) == "missing reported":
                unreported += 1
                continue
            compared += 1
            if str(row["status"]) == "match":
                continue
            differences.append(
                Difference(
                    rule=rule.stem,
                    subfactor=str(row["subfactor"]),
                    label=str(row["subfactorLabel"] or _local(row["subfactor"])),
                    context=None if row["context"] is None else str(row["context"]),
                    derived=_local(row["derivedDirection"]),
                    reported=_local(row["reportedDirection"]),
                    reported_words=None
                    if row["reportedLabel"] is None
                    else str(row["reportedLabel"]),
                    status=str(row["status"]),
                )
            )
    return VerifyReport(compared, differences, unreported)


def summary(report: VerifyReport) -> str:
    """What verification compared, in a line (the build's log)."""
    if report.compared == 0:
        return (
            f"the data reports no classification: {report.unreported} derived "
            "classification(s) are the findings, compared with nothing"
        )
    line = f"{report.compared} classifications match the reported ones"
    if report.unreported:
        line += f"; {report.unreported} derived classification(s) not reported, not compared"
    return line

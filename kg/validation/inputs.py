"""What validation reads besides the data: the shapes files and the check queries
(``*-violation.rq``, each row a violation).

Nothing is fetched from the network: the shapes are parsed offline (kg.rdf.offline),
``owl:imports`` triples are dropped from them, and a SHACL-SPARQL query that names
another service or graph (SERVICE, FROM, LOAD) is refused before any validator sees it,
and so is a check query that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import Graph
from rdflib.namespace import OWL, SH

from kg.rdf.offline import RdfFileError, parse_file
from kg.sparql.files import QueryError, check_offline, parse_header
from kg.validation.report import CHECK_COMPONENT, VIOLATION, ValidationResult
from kg.validation.terms import term_str


class ValidationSetupError(Exception):
    """Shapes or check queries cannot be read (the data was not looked at)."""


def shape_files(shapes_dir: Path) -> list[Path]:
    """The shapes files, in name order."""
    return sorted(Path(shapes_dir).glob("*.ttl"))


def load_shapes(shapes_dir: Path) -> Graph:
    """Parse every ``shapes_dir/*.ttl`` into one shapes graph (owl:imports dropped)."""
    files = shape_files(shapes_dir)
    if not files:
        raise ValidationSetupError(f"{shapes_dir}: no *.ttl shapes files")
    graph = Graph()
    for path in files:
        try:
            parse_file(graph, path, "turtle")
        except RdfFileError as exc:
            raise ValidationSetupError(str(exc)) from exc
    refuse_remote_queries(graph, files)
    graph.remove((None, OWL.imports, None))
    return graph


#: The SHACL properties whose value is SPARQL text that a validator runs.
_SPARQL_TEXTS = (SH.select, SH.ask, SH.construct, SH.update)


def refuse_remote_queries(shapes: Graph, files: list[Path]) -> None:
    """Refuse a SHACL-SPARQL query of ``shapes`` that would reach the network (SERVICE,
    FROM, LOAD), naming the file (one of ``files``) and the shape, whichever validator
    would run it."""
    for prop in _SPARQL_TEXTS:
        for node, text in shapes.subject_objects(prop):
            try:
                check_offline(str(text))
            except QueryError as exc:
                owner = next(shapes.subjects(SH.sparql, node), node)
                name = str(prop).rpartition("#")[2]
                # the file that holds this query text (the node may be a blank node)
                where = next(
                    (f for f in files if (None, prop, text) in parse_file(Graph(), f, "turtle")),
                    files[0].parent,
                )
                raise ValidationSetupError(
                    f"{where}: refused: the sh:{name} query of {owner.n3()}: {exc}"
                ) from exc


@dataclass(frozen=True)
class CheckQuery:
    """A ``*-violation.rq`` file: its header and its text."""

    path: Path
    title: str
    question: str
    text: str

    @property
    def name(self) -> str:
        """The file name, e.g. ``subfactor-without-evidence-violation.rq``."""
        return self.path.name


def load_checks(checks_dir: Path) -> list[CheckQuery]:
    """Every ``checks_dir/*-violation.rq``, in name order."""
    checks: list[CheckQuery] = []
    for path in sorted(Path(checks_dir).glob("*-violation.rq")):
        text = path.read_text(encoding="utf-8")
        header = parse_header(text)
        if "title" not in header:
            raise ValidationSetupError(f"{path}: no '# title:' header line")
        try:
            check_offline(text)  # both validators run checks on their store directly
        except QueryError as exc:
            raise ValidationSetupError(f"{path}: refused: {exc}") from exc
        checks.append(CheckQuery(path, header["title"], header.get("question", ""), text))
    return checks


def check_result(
    check: CheckQuery, bound: Mapping[str, rdflib.term.Node], sources: Mapping[str, str]
) -> ValidationResult:
    """One row of a check query as a violation: the focus is its ``?focus`` (or first
    bound value), the message the query's title followed by the row's bindings."""
    focus = bound.get("focus", next(iter(bound.values()), None))
    focus_s = term_str(focus) if focus is not None else ""
    detail = ", ".join(f"{k}={term_str(v)}" for k, v in bound.items())
    return ValidationResult(
        severity=VIOLATION,
        focus=focus_s,
        path=None,
        component=CHECK_COMPONENT,
        message=f"{check.title}: {detail}" if detail else check.title,
        shape=check.name,
        value=None,
        source_file=sources.get(focus_s),
    )

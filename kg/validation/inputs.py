"""What validation reads besides the data: the shapes files and the check queries
(``*-violation.rq``, each row a violation).

Nothing is fetched from the network: ``owl:imports`` triples are dropped from the shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import Graph
from rdflib.namespace import OWL

from kg.sparql.files import parse_header
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
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises parser-specific types
            raise ValidationSetupError(f"{path}: {exc}") from exc
    graph.remove((None, OWL.imports, None))
    return graph


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

"""Query: find a query by name, bind its declared parameters, run it, format the results."""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Literal, URIRef

from kg.prefixes import compact as compact_iri
from kg.rdf.engine import Engine, Rows
from kg.sparql.bounds import check_bounds
from kg.sparql.files import (
    QueryError,
    QueryFile,
    Term,
    bind_parameters,
    read_query,
    strip_for_scan,
)

SEARCH_DIRS = ("cq", "checks", "derive", "verify")
FORMATS = ("table", "csv", "tsv", "json")


@dataclass(frozen=True)
class QueryResult:
    """Rows of a SELECT, or the triples of a CONSTRUCT as rows (subject, predicate, object)."""

    query: QueryFile
    rows: Rows


def available(queries_dir: Path) -> dict[str, Path]:
    """Every query name that ``govsm query NAME`` resolves, with its file."""
    names: dict[str, Path] = {}
    for sub in SEARCH_DIRS:
        for path in sorted((queries_dir / sub).glob("*.rq")):
            names.setdefault(path.stem, path)
    return names


def resolve(name: str, queries_dir: Path) -> QueryFile:
    """A query by NAME (searched in cq/, checks/, derive/, verify/) or by FILE.rq path."""
    if name.endswith(".rq"):
        path = Path(name)
        if path.is_file():
            return read_query(path)
        raise QueryError(f"no such query file: {name}")
    names = available(queries_dir)
    if name in names:
        return read_query(names[name])
    close = difflib.get_close_matches(name, list(names), n=5, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise QueryError(f"unknown query {name!r}.{hint} Available: {', '.join(sorted(names))}")


def declared_data(query: QueryFile) -> tuple[str, ...]:
    """Data folders a query needs besides data/ (its ``# data:`` header: comma-separated
    paths relative to the repository, e.g. ``examples/cpsv-ap``)."""
    value = query.header.get("data", "").strip()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``name=value`` strings to a mapping (the value may contain '=')."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"parameter {pair!r} is not of the form name=value")
        given[name.strip()] = value
    return given


def run(
    engine: Engine,
    query: QueryFile,
    params: Mapping[str, str],
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """Bind the parameters (checked against the header; prefixed names by ``prefixes``,
    the build's table, kg.prefixes.for_base) and run the query."""
    bindings: dict[str, Term] = bind_parameters(query, params, prefixes)
    check_bounds(query.text)  # the engines run in this process: a stack overflow kills it
    if _is_construct(query.text):
        triples = engine.construct(query.text, bindings)
        return QueryResult(query, Rows(["subject", "predicate", "object"], sorted(triples)))
    return QueryResult(query, engine.select(query.text, bindings))


def _is_construct(text: str) -> bool:
    scan = strip_for_scan(text).upper()
    return "CONSTRUCT" in scan and scan.index("CONSTRUCT") < scan.index("WHERE")


def compact(term: Term | None) -> str:
    """A short, readable form of a term: a prefixed name where the prefix table allows."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        value = str(term)
        short = compact_iri(value)
        return short if short != value else f"<{value}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


def to_json(rows: Rows) -> str:
    """SPARQL 1.1 Query Results JSON."""
    bindings = [
        {v: _json_term(t) for v, t in zip(rows.variables, row, strict=True) if t is not None}
        for row in rows.rows
    ]
    doc = {"head": {"vars": rows.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_delimited(rows: Rows, delimiter: str) -> str:
    """CSV (plain values) or TSV (N-Triples terms), as the SPARQL results formats define."""
    buffer = io.StringIO()
    if delimiter == ",":
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(rows.variables)
        for row in rows.rows:
            writer.writerow(["" if t is None else str(t) for t in row])
        return buffer.getvalue()
    lines = ["\t".join("?" + v for v in rows.variables)]
    for row in rows.rows:
        lines.append("\t".join("" if t is None else t.n3() for t in row))
    return "\n".join(lines) + "\n"

"""Result formats of the endpoint: their media types, content negotiation, and the
writers of SELECT/ASK results (JSON, XML, CSV, TSV).

SELECT and ASK results are written by pyoxigraph's own serialisers (Rust, ~6-12x faster
than Python at 10,000 rows) whenever the row cap can be left to the engine: the query is
run with ``LIMIT cap+1`` appended (:func:`limited`), so the engine stops one row past the
cap, and :func:`native_solutions` counts the rows in the written answer and, when there
is one too many, cuts the last one (the truncation notice is the caller's headers).
The Python writers over pyoxigraph terms (:func:`write_solutions`) remain for a query
the appended LIMIT does not fit (its own LIMIT, a trailing VALUES block).

Graph results (CONSTRUCT, DESCRIBE) are written by pyoxigraph itself (Turtle,
N-Triples, RDF/XML), JSON-LD by kg.rdf.jsonld, compacted with the build's context (the
site's context.jsonld; inline, the terms the answer uses). Negotiation is
:func:`kg.web.negotiation.preferred` (q-values, wildcards, the most specific range
wins); ties go to the first format of each table, so ``*/*`` gets JSON results or Turtle.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.rdf.jsonld import Context, graph_document
from kg.web.negotiation import preferred

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One result format: short name, Content-Type, the media types that ask for it, and
    its W3C format IRI (for the service description)."""

    name: str
    content_type: str
    media_types: tuple[str, ...]
    iri: str


TABULAR: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        ("application/sparql-results+json", "application/json"),
        FORMATS_NS + "SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        ("application/sparql-results+xml", "application/xml"),
        FORMATS_NS + "SPARQL_Results_XML",
    ),
    Format("csv", "text/csv; charset=utf-8", ("text/csv",), FORMATS_NS + "SPARQL_Results_CSV"),
    Format(
        "tsv",
        "text/tab-separated-values; charset=utf-8",
        ("text/tab-separated-values",),
        FORMATS_NS + "SPARQL_Results_TSV",
    ),
)
BOOLEAN: tuple[Format, ...] = TABULAR[:2]  # CSV and TSV have no boolean form
GRAPH: tuple[Format, ...] = (
    Format(
        "ttl",
        "text/turtle; charset=utf-8",
        ("text/turtle", "application/x-turtle"),
        FORMATS_NS + "Turtle",
    ),
    Format(
        "jsonld",
        "application/ld+json",
        ("application/ld+json", "application/json"),
        FORMATS_NS + "JSON-LD",
    ),
    Format(
        "nt",
        "application/n-triples",
        ("application/n-triples", "text/plain"),
        FORMATS_NS + "N-Triples",
    ),
    Format(
        "rdf",
        "application/rdf+xml",
        ("application/rdf+xml", "application/xml"),
        FORMATS_NS + "RDF_XML",
    ),
)
KINDS = {"tabular": TABULAR, "boolean": BOOLEAN, "graph": GRAPH}
SHORT_NAMES = tuple(f.name for f in TABULAR + GRAPH)
# A short name of the other family means its counterpart ("json" for a CONSTRUCT is
# JSON-LD), so one `format=json` works for every query of a catalogue.
_COUNTERPART = {"json": "jsonld", "xml": "rdf", "jsonld": "json", "rdf": "xml"}
_OX_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_OX_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format."""


# XML escapes of our own: xml.sax.saxutils imports urllib.request (http, email, ssl),
# megabytes in every worker process for a few replacements.
def escape(text: str) -> str:
    """``text`` as XML character data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(value: str) -> str:
    """``value`` as a double-quoted XML attribute value."""
    value = escape(value).replace('"', "&quot;")
    return '"' + value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def by_name(name: str) -> Format:
    """The format with this short name."""
    for fmt in TABULAR + GRAPH:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


# Names other clients and endpoints use (SPARQLWrapper sends its return format as
# ``format``/``output``/``results``: turtle, n3, rdf+xml, json-ld, ...).
ALIASES = {
    "turtle": "ttl",
    "n3": "ttl",
    "json-ld": "jsonld",
    "rdf+xml": "rdf",
    "rdfxml": "rdf",
    "ntriples": "nt",
    "n-triples": "nt",
    "srj": "json",
    "srx": "xml",
}


def requested(value: str) -> str:
    """The short name a ``format`` parameter asks for (a short name, a common alias or a
    media type)."""
    wanted = value.strip().lower()
    if wanted in SHORT_NAMES:
        return wanted
    if wanted in ALIASES:
        return ALIASES[wanted]
    media = wanted.split(";")[0].strip()
    for fmt in TABULAR + GRAPH:
        if media in fmt.media_types:
            return fmt.name
    raise UnknownFormat(
        f"unknown format {value!r}: use one of {', '.join(SHORT_NAMES)} or a media type"
    )


def first_known(values: list[str]) -> str | None:
    """The ``format`` value to use when a client repeats the parameter (SPARQLWrapper
    sends ``format=tsv&format=text/tab-separated-values``): the first one we know, else
    the first one (refused later, naming it); None when there is none."""
    for value in values:
        try:
            requested(value)
        except UnknownFormat:
            continue
        return value
    return values[0] if values else None


@functools.lru_cache(maxsize=512)  # clients send a few Accept headers over and over
def choose(kind: str, accept: str | None, format_param: str | None) -> Format | None:
    """The format of a result of ``kind`` (tabular, boolean, graph) for this request:
    the ``format`` parameter if given (raises UnknownFormat), else the client's most
    preferred acceptable format; None when nothing acceptable exists (406)."""
    table = KINDS[kind]
    if format_param:
        name = requested(format_param)
        for candidate in (name, _COUNTERPART.get(name)):
            for fmt in table:
                if fmt.name == candidate:
                    return fmt
        return None
    return preferred(accept, [(fmt, fmt.media_types) for fmt in table])


# --- writers -------------------------------------------------------------------------


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            dt = quoteattr(term.datatype.value)
            return f"<literal datatype={dt}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_term(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)  # a quoted triple, in N-Triples-star syntax


def write_solutions(fmt: str, variables: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """SELECT results in ``fmt`` (json, xml, csv, tsv); ``None`` is an unbound value."""
    if fmt == "json":
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
        ]
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        out.append("</head>\n<results>\n")
        for row in rows:
            out.append("<result>")
            for v, t in zip(variables, row, strict=True):
                if t is not None:
                    out.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
            out.append("</result>\n")
        out.append("</results>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([_csv_term(t) for t in row])
        return buffer.getvalue().encode("utf-8")
    if fmt == "tsv":
        # SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax (strings escaped, so no tab
        # or newline can appear inside a field).
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"not a tabular format: {fmt}")


def write_boolean(fmt: str, value: bool | ox.QueryBoolean) -> bytes:
    """ASK results in ``fmt`` (json or xml); a pyoxigraph result writes itself."""
    if isinstance(value, ox.QueryBoolean):
        return value.serialize(format=_OX_RESULTS[fmt]) or b""
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head/>\n'
            f"<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"
        ).encode()
    raise ValueError(f"not a boolean format: {fmt}")


def write_graph(
    fmt: str, triples: Sequence[ox.Triple], prefixes: dict[str, str], context: Context
) -> bytes:
    """Graph results in ``fmt`` (ttl, jsonld, nt, rdf): JSON-LD compacted with
    ``context``, the others written by pyoxigraph."""
    if fmt == "jsonld":
        return graph_document(context, triples).encode("utf-8")
    kwargs = {"prefixes": prefixes} if fmt in ("ttl", "rdf") else {}
    data = ox.serialize(triples, format=_OX_FORMATS[fmt], **kwargs)
    return data or b""


# --- native SELECT results under the row cap ------------------------------------------


def limited(query: str, cap: int) -> str:
    """``query`` with ``LIMIT cap+1`` appended, so that the engine stops one row past the
    cap. Appended text can only parse as the outermost query's solution modifier (nothing
    may follow it): where it does not fit (the query has its own LIMIT, or a VALUES
    block after its WHERE) the result does not parse, and the caller runs the query as
    sent. The newline ends a comment the query may end with."""
    return f"{query}\nLIMIT {cap + 1}"


def native_solutions(result: ox.QuerySolutions, fmt: str, cap: int) -> tuple[bytes, int, bool]:
    """SELECT results of a :func:`limited` query written by pyoxigraph in ``fmt``: the
    body, the rows in it and whether the cap cut it (then the row past the cap is
    removed from the body)."""
    body = result.serialize(format=_OX_RESULTS[fmt]) or b""
    rows = row_count(fmt, body)
    if rows <= cap:
        return body, rows, False
    return without_last_row(fmt, body), rows - 1, True


# Where a JSON solution may start: "[{" (the first) or ",{" then a quoted variable name.
# Inside a JSON string a quote is escaped, so '{"' there can only be a string ending in
# "{" and its closing quote, which is followed by one of , } ] : (never a name).
_JSON_STARTS = (b'[{"', b',{"')
_AFTER_STRING = (b",", b"}", b"]", b":")
_QUOTED_FIELD = re.compile(rb'"[^"]*(?:""[^"]*)*"')  # a CSV field in quotes ("" inside)


def row_count(fmt: str, body: bytes) -> int:
    """The solutions in a body pyoxigraph wrote in ``fmt`` (exact, without parsing it
    whole in the common case)."""
    if fmt == "xml":
        return body.count(b"<result>")  # a "<" in text is written &lt;
    if fmt == "tsv":
        return body.count(b"\n") - 1  # terms are escaped: one line per row
    if fmt == "csv":
        # A quote only opens a quoted field (an unquoted one cannot hold it): without
        # the quoted fields, every line break ends a row.
        return _QUOTED_FIELD.sub(b"", body).count(b"\n") - 1
    if b"{}" in body:  # an empty solution (every variable unbound): parse it
        return len(json.loads(body)["results"]["bindings"])
    count = sum(body.count(start) for start in _JSON_STARTS)
    return count - sum(body.count(s + a) for s in _JSON_STARTS for a in _AFTER_STRING)


def without_last_row(fmt: str, body: bytes) -> bytes:
    """A body pyoxigraph wrote in ``fmt`` without its last solution."""
    if fmt == "xml":
        return body[: body.rindex(b"<result>")] + b"</results></sparql>"
    if fmt == "tsv" or (fmt == "csv" and b'"' not in body):
        return body[: body.rindex(b"\n", 0, len(body) - 1) + 1]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(_csv_rows(body)[:-1])
        return buffer.getvalue().encode("utf-8")
    if b"{}" not in body:
        end = len(body)
        while True:
            at = max(body.rfind(start, 0, end) for start in _JSON_STARTS)
            if body[at + 3 : at + 4] not in _AFTER_STRING:
                return body[: at + (1 if body[at : at + 1] == b"[" else 0)] + b"]}}"
            end = at
    doc = json.loads(body)
    del doc["results"]["bindings"][-1]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))

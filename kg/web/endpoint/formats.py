"""Result formats of the endpoint: their media types, content negotiation, and the
writers of SELECT/ASK results (JSON, XML, CSV, TSV) over pyoxigraph terms.

Graph results (CONSTRUCT, DESCRIBE) are written by pyoxigraph itself (Turtle,
N-Triples, RDF/XML), JSON-LD by kg.rdf.jsonld, compacted with the build's context (the
site's context.jsonld; inline, the terms the answer uses). Negotiation is
:func:`kg.web.negotiation.preferred` (q-values, wildcards, the most specific range
wins); ties go to the first format of each table, so ``*/*`` gets JSON results or Turtle.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

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
_OX_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format."""


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


def write_boolean(fmt: str, value: bool) -> bytes:
    """ASK results in ``fmt`` (json or xml)."""
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

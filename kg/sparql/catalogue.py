"""The query catalogue as linked data: every query file of a project's queries folder
described in the SIB sparql-examples convention, so that the catalogue is itself
queryable (``?q a sh:SPARQLExecutable ; rdfs:comment ?question``).

One query file ``queries/FOLDER/STEM.rq`` is one resource ``BASE query/FOLDER/STEM``:

- typed ``sh:SPARQLExecutable`` and, by its query form, ``sh:SPARQLSelectExecutable``,
  ``sh:SPARQLConstructExecutable`` or ``sh:SPARQLAskExecutable`` (SHACL has no
  DESCRIBE executable: a DESCRIBE query has the sparql-examples ontology's
  ``spex:describe`` and the first type only);
- ``sh:select`` / ``sh:construct`` / ``sh:ask`` the query text: the file below its
  comment header, whose lines are published as the statements below instead;
- ``rdfs:label`` the title and ``rdfs:comment`` the question (``@en``);
  ``schema:keywords`` one literal per keyword; ``schema:target`` the dataset's SPARQL
  endpoint ``BASE sparql`` (as VoID and DCAT name it); ``dcterms:subject`` one
  literal per item of the header's ``target`` (what the query is about);
  ``skos:note`` its ``note`` and ``contract``; ``dcterms:requires`` each data
  folder of ``data``; ``dcterms:identifier`` the file's path (``queries/cq/x.rq``);
- ``sh:prefixes BASE query/prefixes``, a node that ``sh:declare``s every prefix of the
  project's table (``sh:prefix``, ``sh:namespace`` as ``xsd:anyURI``; ``id:`` and
  ``rule:`` under the build's base), as SHACL and the sparql-examples files do;
- ``sh:parameter`` one ``sh:Parameter`` per declared parameter, as SHACL-AF declares
  the pre-bound variables of a SPARQL-based function: ``sh:path BASE
  query/FOLDER/STEM#NAME`` (the variable is the path's local name, ``?NAME``),
  ``sh:name``, ``sh:order``, ``sh:optional``, ``sh:description`` (``@en``) and
  ``sh:nodeKind sh:IRI`` or ``sh:datatype`` (``xsd:string``, ``xsd:integer``, ...).

A query file without a ``# title:`` or ``# question:`` line is refused, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from kg.prefixes import PREFIXES, for_base
from kg.sparql.files import PARAMETER_TYPES, QueryError, QueryFile, query_form, read_query

Triple = tuple[Node, Node, Node]

SH = PREFIXES["sh"]
SCHEMA = PREFIXES["schema"]
RDF_TYPE = URIRef(PREFIXES["rdf"] + "type")
# The sparql-examples ontology's property for DESCRIBE queries (SHACL has none).
SPEX_DESCRIBE = "https://purl.expasy.org/sparql-examples/ontology#describe"

#: Query form -> (the property holding the text, the form's executable class or None).
FORMS: dict[str, tuple[str, str | None]] = {
    "SELECT": (SH + "select", SH + "SPARQLSelectExecutable"),
    "CONSTRUCT": (SH + "construct", SH + "SPARQLConstructExecutable"),
    "ASK": (SH + "ask", SH + "SPARQLAskExecutable"),
    "DESCRIBE": (SPEX_DESCRIBE, None),
}
#: Header lines every catalogue query must have (rdfs:label, rdfs:comment).
REQUIRED = ("title", "question")
# A path segment of a query file that can stand in an IRI as it is (lower case, as the
# project's IRIs are).
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9._-]*")


def catalogue_graph_iri(base: str) -> str:
    """The named graph the build writes the catalogue into: ``BASE graph/catalogue``."""
    return f"{base}graph/catalogue"


def prefixes_iri(base: str) -> URIRef:
    """The node that declares the catalogue's prefixes (``sh:prefixes`` of every query)."""
    return URIRef(f"{base}query/prefixes")


def query_iri(base: str, relative: str) -> URIRef:
    """The IRI of the query file at ``relative`` (to the queries folder, e.g.
    ``cq/drivers.rq``): ``BASE query/cq/drivers``."""
    return URIRef(f"{base}query/{relative.removesuffix('.rq')}")


def split_header(text: str) -> tuple[str, str]:
    """The query's comment header (the comment and blank lines it starts with, as
    :func:`kg.sparql.files.parse_header` reads them) and the query below it."""
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        offset += len(line)
    return text[:offset], text[offset:]


def catalogue_files(queries_dir: Path) -> list[tuple[str, QueryFile]]:
    """Every ``*.rq`` under ``queries_dir`` (any subfolder) with its path relative to it,
    sorted; QueryError naming the file for one the catalogue cannot publish."""
    found: list[tuple[str, QueryFile]] = []
    for path in sorted(queries_dir.rglob("*.rq")):
        relative = path.relative_to(queries_dir).as_posix()
        segments = relative.removesuffix(".rq").split("/")
        if not all(_SEGMENT.fullmatch(s) for s in segments):
            raise QueryError(
                f"{path}: a catalogue query's folder and file names become its IRI "
                "(BASE query/FOLDER/NAME): use lower-case letters, digits, '.', '_', '-'"
            )
        file = read_query(path)
        for key in REQUIRED:
            if not file.header.get(key):
                raise QueryError(
                    f"{path}: no '# {key}:' header line (every query is published in the "
                    "catalogue with its title as rdfs:label and its question as rdfs:comment)"
                )
        found.append((relative, file))
    return found


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def describe_query(relative: str, file: QueryFile, base: str) -> list[Triple]:
    """The catalogue entry of one query file (see the module's docstring)."""
    iri = query_iri(base, relative)
    header = file.header
    try:
        form = query_form(file.text)
    except QueryError as error:
        raise QueryError(f"{file.path}: {error}") from None
    text_property, form_class = FORMS[form]
    triples: list[Triple] = [(iri, RDF_TYPE, URIRef(SH + "SPARQLExecutable"))]
    if form_class is not None:
        triples.append((iri, RDF_TYPE, URIRef(form_class)))
    triples += [
        (iri, URIRef(text_property), Literal(split_header(file.text)[1])),
        (iri, URIRef(SH + "prefixes"), prefixes_iri(base)),
        (iri, URIRef(PREFIXES["rdfs"] + "label"), Literal(header["title"], lang="en")),
        (iri, URIRef(PREFIXES["rdfs"] + "comment"), Literal(header["question"], lang="en")),
        (iri, URIRef(SCHEMA + "target"), URIRef(f"{base}sparql")),
        (iri, URIRef(PREFIXES["dcterms"] + "identifier"), Literal(f"queries/{relative}")),
    ]
    literal_lists = (
        ("keywords", SCHEMA + "keywords", None),
        ("target", PREFIXES["dcterms"] + "subject", "en"),
        ("data", PREFIXES["dcterms"] + "requires", None),
    )
    for key, predicate, lang in literal_lists:
        for item in _items(header.get(key, "")):
            triples.append((iri, URIRef(predicate), Literal(item, lang=lang)))
    for key in ("note", "contract"):
        if header.get(key):
            triples.append(
                (iri, URIRef(PREFIXES["skos"] + "note"), Literal(header[key], lang="en"))
            )
    triples += _parameters(iri, file)
    return triples


def _parameters(iri: URIRef, file: QueryFile) -> list[Triple]:
    """One ``sh:Parameter`` per declared parameter (blank nodes: they have no life of
    their own; the build's canonical labels keep them stable)."""
    triples: list[Triple] = []
    for order, param in enumerate(file.parameters):
        node = BNode()
        triples += [
            (iri, URIRef(SH + "parameter"), node),
            (node, RDF_TYPE, URIRef(SH + "Parameter")),
            (node, URIRef(SH + "path"), URIRef(f"{iri}#{param.name}")),
            (node, URIRef(SH + "name"), Literal(param.name)),
            (node, URIRef(SH + "order"), Literal(order)),
            (node, URIRef(SH + "optional"), Literal(param.optional)),
        ]
        if param.description:
            triples.append(
                (node, URIRef(SH + "description"), Literal(param.description, lang="en"))
            )
        datatype = PARAMETER_TYPES[param.type][0]
        if datatype is None:
            triples.append((node, URIRef(SH + "nodeKind"), URIRef(SH + "IRI")))
        else:
            triples.append((node, URIRef(SH + "datatype"), datatype))
    return triples


def prefix_declarations(base: str) -> list[Triple]:
    """The prefixes node: ``sh:declare`` of every prefix of the project's table (``id:``
    and ``rule:`` under ``base``)."""
    node = prefixes_iri(base)
    triples: list[Triple] = [
        (
            node,
            URIRef(PREFIXES["rdfs"] + "label"),
            Literal("Prefixes of the query catalogue", lang="en"),
        )
    ]
    for prefix, namespace in sorted(for_base(base).items()):
        declaration = BNode()
        triples += [
            (node, URIRef(SH + "declare"), declaration),
            (declaration, URIRef(SH + "prefix"), Literal(prefix)),
            (declaration, URIRef(SH + "namespace"), Literal(namespace, datatype=XSD.anyURI)),
        ]
    return triples


def catalogue_triples(queries_dir: Path, base: str) -> list[Triple]:
    """The whole catalogue: every query file of ``queries_dir`` and the prefixes node."""
    triples = prefix_declarations(base)
    for relative, file in catalogue_files(queries_dir):
        triples += describe_query(relative, file, base)
    return triples

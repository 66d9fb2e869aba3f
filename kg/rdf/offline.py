"""Reading a local RDF file with rdflib without touching the network: the one parse that
every rdflib read of a project file goes through (ontology modules, alignments, catalog
targets, extra TBox and ABox files, shapes). Data files are read by the engines
(kg.rdf.engine), Turtle and N-Triples only.

rdflib would reach out, or blow up, in two places, so neither is left to it:

- **JSON-LD**: rdflib's parser dereferences every context named by a string (at the
  top, in an array, a scoped context, an ``@import``). A document that names one is
  refused (kg.rdf.jsonld.offline.check_offline), and the rest is turned into RDF by
  PyLD with a document loader that refuses every URL (the second lock): rdflib's
  JSON-LD parser is never called.
- **XML** (RDF/XML, and the ontology catalog): the DOCTYPE is read first by expat,
  stopping at the root element, before a single entity is expanded (:func:`read_prolog`).
  An external DTD, an external, parameter or nested entity ("billion laughs"), or
  references that would expand past a bound are refused (:func:`dtd_refusal`); the flat
  IRI abbreviations OWL tools write (``<!ENTITY owl "http://...#">``) are accepted.
  Importers, whose formats never need a DOCTYPE, refuse any (:func:`declares_doctype`).

Turtle, N-Triples, TriG and N-Quads name no document to fetch. ``owl:imports`` is data
here, never followed (kg.stages.ontology resolves imports through the catalog, to
local files only).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from rdflib import Dataset, Graph

from kg.rdf.jsonld.offline import RemoteContextRefused, check_offline, to_nquads

#: rdflib parser names by file suffix (owl: and rdf: files of vocabularies are RDF/XML).
RDFLIB_FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".trig": "trig",
    ".nq": "nquads",
}

#: How many bytes the entity references of an XML document may expand to, in all. The
#: entities an RDF/XML file may declare are flat IRI abbreviations (``&owl;``), so the
#: expansion is counted exactly from the document: a few kilobytes for real vocabularies.
MAX_ENTITY_EXPANSION = 16 * 2**20


class RdfFileError(ValueError):
    """A file cannot be read as RDF: which file and why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


class RefusedInput(RdfFileError):
    """A file would make a parser fetch (a remote context) or expand entities."""


@dataclass
class Prolog:
    """What an XML document's prolog declares, read by expat before the root element:
    the DOCTYPE (its external identifier, if any) and each entity declaration."""

    doctype: bool = False
    external_dtd: str | None = None  # the SYSTEM or PUBLIC identifier of the DOCTYPE
    entities: list[tuple[str, str | None, str]] = field(default_factory=list)
    # (name, its replacement text or None, why it is refused or "")


class _Root(Exception):
    """Raised from expat's handler: the root element starts, so the prolog is read."""


def read_prolog(data: bytes) -> Prolog:
    """The prolog of an XML document, read by expat up to the root element: no entity is
    expanded, no external DTD or entity loaded. Malformed input gives what was read
    before the error (the real parse reports it)."""
    prolog = Prolog()
    parser = expat.ParserCreate()

    def doctype(_name: str, system: str | None, public: str | None, _internal: int) -> None:
        prolog.doctype = True
        prolog.external_dtd = system or public

    def entity(name: str, parameter: int, value: str | None, *rest: str | None) -> None:
        _base, system, public, notation = rest
        why = ""
        if parameter:
            why = "a parameter entity"
        elif system or public or notation:
            why = f"an external entity ({system or public or notation})"
        elif value is None or "&" in value or "%" in value:
            why = "an entity built of other entities (the shape of an entity bomb)"
        prolog.entities.append((name, value, why))

    def root(*_: object) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    with contextlib.suppress(_Root, expat.ExpatError):
        parser.Parse(data, True)
    return prolog


def declares_doctype(data: bytes) -> bool:
    """Whether an XML document declares a DOCTYPE at all (read before anything of it is
    processed)."""
    return read_prolog(data).doctype


def dtd_refusal(data: bytes) -> str | None:
    """Why an XML document's DOCTYPE is refused, or None. Accepted: none, or an internal
    subset of flat general entities (IRI abbreviations such as ``&owl;``, which OWL
    tools write) whose references expand to at most :data:`MAX_ENTITY_EXPANSION` bytes.
    Refused: an external DTD, external, parameter or nested entities, and more."""
    prolog = read_prolog(data)
    if prolog.external_dtd:
        return f"refused: the XML DOCTYPE names an external DTD ({prolog.external_dtd})"
    expansion = 0
    for name, value, why in prolog.entities:
        if why:
            return f"refused: the XML DOCTYPE declares {why}: {name}"
        expansion += len(value or "") * data.count(f"&{name};".encode())
    if expansion > MAX_ENTITY_EXPANSION:
        return (
            f"refused: the XML entity references expand to {expansion} bytes "
            f"(more than {MAX_ENTITY_EXPANSION})"
        )
    return None


def rdflib_format(path: Path) -> str:
    """The rdflib parser name for a file, from its suffix."""
    try:
        return RDFLIB_FORMATS[path.suffix.lower()]
    except KeyError as exc:
        raise RdfFileError(path, f"unknown RDF file suffix {path.suffix!r}") from exc


def parse_file(graph: Graph, path: Path, fmt: str | None = None) -> Graph:
    """Parse the local file ``path`` into ``graph`` (format from its suffix unless given),
    offline; a refusal is a :class:`RefusedInput`, a syntax error an :class:`RdfFileError`,
    both naming the file."""
    path = Path(path)
    fmt = fmt or rdflib_format(path)
    try:
        if fmt == "json-ld":
            _parse_jsonld(graph, path)
        else:
            refusal = dtd_refusal(path.read_bytes()) if fmt in ("xml", "trix") else None
            if refusal:
                raise RefusedInput(path, refusal)
            graph.parse(path, format=fmt)
    except RdfFileError:
        raise
    except RemoteContextRefused as exc:  # its message names the file
        raise RefusedInput(path, "refused: " + str(exc).removeprefix(f"{path}: ")) from exc
    except Exception as exc:  # rdflib and PyLD raise many parser-specific types
        raise RdfFileError(path, str(exc) or type(exc).__name__) from exc
    return graph


def _parse_jsonld(graph: Graph, path: Path) -> None:
    """JSON-LD by PyLD (which may fetch nothing), its N-Quads read by rdflib. Every
    statement lands in ``graph``; a context-aware graph keeps the named graphs."""
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    check_offline(doc, str(path))
    nquads = to_nquads(doc, base=path.resolve().as_uri())
    if graph.context_aware:
        graph.parse(data=nquads, format="nquads")
        return
    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    for s, p, o, _g in dataset.quads():
        graph.add((s, p, o))

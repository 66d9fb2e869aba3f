"""Reading a local RDF file with rdflib without touching the network: the one parse that
every rdflib read of a file in the build goes through (ontology modules, alignments,
catalog targets, extra TBox and ABox files, shapes, the rdflib engine's sources).

rdflib would reach out, or blow up, in two places, so neither is left to it:

- **JSON-LD**: rdflib's parser dereferences every context named by a string (at the
  top, in an array, a scoped context, an ``@import``). A document that names one is
  refused (kg.rdf.jsonld.offline.check_offline), and the rest is turned into RDF by
  PyLD with a document loader that refuses every URL (the second lock): rdflib's
  JSON-LD parser is never called.
- **XML** (RDF/XML, and the ontology catalog): a document that declares a DOCTYPE is
  refused before any parser reads it — an internal subset is where entity bombs
  ("billion laughs") and external entities come in, and no RDF/XML file needs one. The
  DOCTYPE is found by expat stopping at the root element (:func:`declares_doctype`),
  before a single entity is declared.

Turtle, N-Triples, TriG and N-Quads name no document to fetch. ``owl:imports`` is data
here, never followed (kg.stages.ontology resolves imports through the catalog, to
local files only).
"""

from __future__ import annotations

import json
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

DOCTYPE_REFUSED = (
    "refused: the XML declares a DOCTYPE (entity declarations and external entities "
    "are not accepted; remove the <!DOCTYPE ...> line)"
)


class RdfFileError(ValueError):
    """A file cannot be read as RDF: which file and why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


class RefusedInput(RdfFileError):
    """A file would make a parser fetch (a remote context) or expand entities."""


class _Doctype(Exception):
    """Raised from expat's handler: the document declares a DOCTYPE."""


class _Root(Exception):
    """Raised from expat's handler: the root element starts, so the prolog had none."""


def declares_doctype(data: bytes) -> bool:
    """Whether an XML document's prolog declares a DOCTYPE, found by expat before anything
    of it is processed; malformed input answers False (the real parse reports it)."""
    parser = expat.ParserCreate()

    def doctype(*_: object) -> None:
        raise _Doctype

    def root(*_: object) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _Doctype:
        return True
    except (_Root, expat.ExpatError):
        return False
    return False


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
            if fmt in ("xml", "trix") and declares_doctype(path.read_bytes()):
                raise RefusedInput(path, DOCTYPE_REFUSED)
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

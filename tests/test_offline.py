"""No outbound connection from any build input or any query (issue 19).

A counting loopback listener (tests/support) stands for the network. The project the
build reads points at it wherever it can: ontology modules in Turtle, N-Triples,
RDF/XML and JSON-LD reached through the catalog, a catalog entry and an ``owl:imports``
naming listener IRIs, data with ``owl:imports`` and ``rdfs:seeAlso`` of listener IRIs,
shapes and queries with SERVICE and FROM. What can be read offline is read and the
listener sees nothing; what would need the network (a JSON-LD context named by URL, a
catalog entry that is a URL, an import the catalog does not map, a SPARQL query naming
another service or graph) or declares an XML DOCTYPE (external entities, entity bombs)
is refused at once: exit 2, the file named.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import Listener, listener, service_over
from typer.testing import CliRunner

from kg.cli.app import app
from kg.stages.reason import java_version
from kg.web.server import make_app

runner = CliRunner()
SETTLE_S = 0.3  # time for a connection, had one been opened, to reach the listener
REFUSAL_S = 10.0  # a refusal is immediate (the billion-laughs module took 93 s before)
needs_java = pytest.mark.skipif(java_version() is None, reason="Java (for HermiT) not installed")

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MODULE = "https://example.org/offline/module"


@pytest.fixture(scope="module")
def counting() -> Iterator[Listener]:
    """One listener for the module: every test checks it saw no connection at all."""
    with listener() as running:
        yield running


def no_connection(counting: Listener) -> None:
    time.sleep(SETTLE_S)
    assert counting.accepted == 0, f"{counting.accepted} outbound connection(s)"


# --- ontology files pointing at the listener ----------------------------------------------


def catalog(entries: dict[str, str], doctype: str = "") -> str:
    """An OASIS catalog (as Protégé writes it) mapping each IRI to ``entries[IRI]``."""
    rows = "".join(f'  <uri name="{iri}" uri="{uri}"/>\n' for iri, uri in entries.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n{rows}</catalog>\n'
    )


def root_module(iri: str, imports: list[str], extra: str = "") -> str:
    """A Turtle module ``iri`` importing ``imports``."""
    listed = "".join(f" ; <{OWL}imports> <{i}>" for i in imports)
    return f"<{iri}> a <{OWL}Ontology>{listed} .\n{extra}"


def jsonld_module(context: object, iri: str = MODULE, see: str = "") -> str:
    """A JSON-LD ontology module with ``context`` as its ``@context``."""
    doc = {"@context": context, "@id": iri, "@type": f"{OWL}Ontology"}
    if see:
        doc[f"{RDFS}seeAlso"] = {"@id": see}
    return json.dumps(doc)


def rdfxml_module(iri: str = MODULE, doctype: str = "", label: str = "x", see: str = "") -> str:
    """An RDF/XML ontology module (``doctype`` before its root element, if given)."""
    also = f'<rdfs:seeAlso rdf:resource="{see}"/>' if see else ""
    return (
        f'<?xml version="1.0"?>\n{doctype}<rdf:RDF xmlns:rdf="{RDF}" xmlns:rdfs="{RDFS}" '
        f'xmlns:owl="{OWL}"><owl:Ontology rdf:about="{iri}"><rdfs:label>{label}</rdfs:label>'
        f"{also}</owl:Ontology></rdf:RDF>\n"
    )


#: Ten entities, each ten of the one before: 10^10 characters once expanded.
LAUGHS = "".join(f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(9))
BILLION_LAUGHS = f'<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa">{LAUGHS}]>\n'
ROOT = root_module("https://example.org/offline", [MODULE])


def _jsonld(context: Callable[[str], object]) -> Callable[[str], dict[str, str]]:
    return lambda url: {
        "govsm.ttl": ROOT,
        "catalog-v001.xml": catalog({MODULE: "module.jsonld"}),
        "module.jsonld": jsonld_module(context(url)),
    }


def _rdfxml(doctype: Callable[[str], str], label: str) -> Callable[[str], dict[str, str]]:
    return lambda url: {
        "govsm.ttl": ROOT,
        "catalog-v001.xml": catalog({MODULE: "module.rdf"}),
        "module.rdf": rdfxml_module(MODULE, doctype(url), label),
    }


#: Ontology folders that must be refused: case -> (files for a listener URL, what the
#: refusal names).
REFUSED: dict[str, tuple[Callable[[str], dict[str, str]], str]] = {
    "jsonld-string-context": (_jsonld(lambda url: url), "module.jsonld"),
    "jsonld-array-context": (
        _jsonld(lambda url: [{"ex": "https://example.org/"}, url]),
        "module.jsonld",
    ),
    "jsonld-scoped-context": (
        _jsonld(lambda url: {"knows": {"@id": "https://example.org/knows", "@context": url}}),
        "module.jsonld",
    ),
    "jsonld-import": (_jsonld(lambda url: {"@import": url}), "module.jsonld"),
    "rdfxml-external-entity": (
        _rdfxml(
            lambda url: f'<!DOCTYPE rdf:RDF SYSTEM "{url}" [<!ENTITY e SYSTEM "{url}">]>\n', "&e;"
        ),
        "module.rdf",
    ),
    "rdfxml-billion-laughs": (_rdfxml(lambda url: BILLION_LAUGHS, "&j;"), "module.rdf"),
    "catalog-maps-to-a-url": (
        lambda url: {"govsm.ttl": ROOT, "catalog-v001.xml": catalog({MODULE: url})},
        "catalog-v001.xml",
    ),
    "catalog-billion-laughs": (
        lambda url: {
            "govsm.ttl": ROOT,
            "catalog-v001.xml": catalog(
                {MODULE: "module.rdf"}, BILLION_LAUGHS.replace("rdf:RDF", "catalog")
            ),
            "module.rdf": rdfxml_module(),
        },
        "catalog-v001.xml",
    ),
    "import-not-in-catalog": (
        lambda url: {
            "govsm.ttl": root_module("https://example.org/offline", [url]),
            "catalog-v001.xml": catalog({}),
        },
        "is not in",
    ),
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@needs_java
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_ontology_that_would_fetch_is_refused_at_once(
    tmp_path: Path, counting: Listener, case: str
) -> None:
    make, named = REFUSED[case]
    url = f"http://127.0.0.1:{counting.port}/context.jsonld"
    ontology = write(tmp_path / "ontology", make(url))
    start = time.monotonic()
    result = runner.invoke(app, ["reason", "--ontology-dir", str(ontology)])
    elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert named in result.output, result.output
    assert "refused" in result.output or "offline only" in result.output, result.output
    assert elapsed < REFUSAL_S, f"{elapsed:.1f} s to refuse"
    no_connection(counting)

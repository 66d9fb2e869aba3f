"""The W3C SPARQL 1.1 Protocol test suite (vendored in ``tests/w3c/sparql11-protocol``), read
from its manifest with rdflib: every entry that applies to a read-only query service
runs as written (method, path, headers, body in its declared encoding) and its expected
status, result format and boolean are checked; the entries that do not apply are listed
with the reason, and a test asserts that every entry is one or the other.

The suite's data (graphs named ``http://kasei.us/2009/09/sparql/data/dataN.rdf``, each
holding ``<dataN.rdf> a foaf:Document``) is built here as a small dist folder.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection
from starlette.testclient import TestClient
from support import service_over

from kg.web.server import make_app

MANIFEST = Path(__file__).resolve().parent / "w3c" / "sparql11-protocol" / "manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
DATA = "http://kasei.us/2009/09/sparql/data/data{}.rdf"
SRX = "{http://www.w3.org/2005/sparql-results#}"

_UPDATE_MUST_SUCCEED = (
    "an update the suite expects to succeed (2xx); this service is read-only and answers "
    "403 to every update, which test_endpoint_security.py checks for each update form"
)
NOT_APPLICABLE = {
    "update_dataset_default_graph": _UPDATE_MUST_SUCCEED,
    "update_dataset_default_graphs": _UPDATE_MUST_SUCCEED,
    "update_dataset_named_graphs": _UPDATE_MUST_SUCCEED,
    "update_dataset_full": _UPDATE_MUST_SUCCEED,
    "update_post_form": _UPDATE_MUST_SUCCEED,
    "update_post_direct": _UPDATE_MUST_SUCCEED,
    "update_base_uri": _UPDATE_MUST_SUCCEED,
}
# The negative update tests (bad_update_*) expect a 4xx and do apply: a read-only service
# must refuse them too (it answers 403, or 415 for a body without a media type).
TABULAR_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


@dataclass
class Step:
    """One HTTP request of a manifest entry and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    expected_format: str | None
    expected_boolean: bool | None


def load_manifest() -> tuple[list[str], dict[str, list[Step]]]:
    """The manifest's entries (in order) and their request steps."""
    g = rdflib.Graph().parse(MANIFEST, format="turtle")
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    entries = list(Collection(g, g.value(manifest, MF.entries)))
    steps: dict[str, list[Step]] = {}
    for entry in entries:
        name = str(entry).rsplit("#", 1)[1]
        action = g.value(entry, MF.action)
        out = []
        for request in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(g, header_list):
                    headers[str(g.value(header, HT.fieldName))] = str(
                        g.value(header, HT.fieldValue)
                    )
            body = None
            body_node = g.value(request, HT.body)
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding)
            resp = g.value(request, HT.resp)
            boolean = g.value(resp, MF.expectedBoolean)
            fmt = g.value(resp, MF.expectedFormat)
            out.append(
                Step(
                    method=str(g.value(request, HT.methodName)),
                    path=str(g.value(request, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    statuses={str(s).rsplit("#", 1)[1] for s in g.objects(resp, MF.expectedStatus)},
                    expected_format=str(fmt) if fmt is not None else None,
                    expected_boolean=boolean.toPython() if boolean is not None else None,
                )
            )
        steps[name] = out
    return [str(e).rsplit("#", 1)[1] for e in entries], steps


# Vendored in the repository: a missing manifest is an error at collection, not a skip.
ENTRIES, STEPS = load_manifest()
APPLICABLE = [name for name in ENTRIES if name not in NOT_APPLICABLE]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    dist = tmp_path_factory.mktemp("w3c") / "dist"
    (dist / "site").mkdir(parents=True)
    lines = []
    for i in range(4):
        iri = DATA.format(i)
        lines.append(
            f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            f"<http://xmlns.com/foaf/0.1/Document> <{iri}> .\n"
        )
    (dist / "govsm.nq").write_text("".join(lines), encoding="utf-8")
    with (
        service_over(dist, workers=1) as service,
        TestClient(make_app(dist / "site", service=service)) as c,
    ):
        yield c


def status_class(code: int) -> str:
    return f"StatusCode{code // 100}xx"


def check_format(step: Step, ctype: str, body: bytes) -> None:
    media = ctype.split(";")[0].strip()
    if step.expected_format == "tabular":
        assert media in TABULAR_TYPES, ctype
    elif step.expected_format == "boolean":
        assert media in ("application/sparql-results+json", "application/sparql-results+xml")
    elif step.expected_format == "RDF":
        assert media in RDF_TYPES, ctype
        rdflib.Graph().parse(data=body, format=RDF_TYPES[media])
    if step.expected_boolean is not None:
        if media == "application/sparql-results+json":
            value = json.loads(body)["boolean"]
        else:
            value = ET.fromstring(body).find(f"{SRX}boolean").text == "true"
        assert value is step.expected_boolean


def test_every_manifest_entry_is_run_or_listed() -> None:
    assert len(ENTRIES) == 34, "the manifest changed: review the mapping"
    assert set(NOT_APPLICABLE) <= set(ENTRIES), set(NOT_APPLICABLE) - set(ENTRIES)
    assert set(APPLICABLE) | set(NOT_APPLICABLE) == set(ENTRIES)
    assert not set(APPLICABLE) & set(NOT_APPLICABLE)
    # Every applicable entry is a single request (the multi-step ones are updates).
    assert all(len(STEPS[name]) == 1 for name in APPLICABLE)


@pytest.mark.parametrize("name", APPLICABLE)
def test_w3c_protocol(client: TestClient, name: str) -> None:
    (step,) = STEPS[name]
    response = client.request(step.method, step.path, headers=step.headers, content=step.body)
    assert status_class(response.status_code) in step.statuses, (
        f"{name}: {response.status_code} {response.text[:300]}"
    )
    if response.status_code < 300:
        check_format(step, response.headers["content-type"], response.content)

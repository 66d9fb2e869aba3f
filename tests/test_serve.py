"""govsm serve: the linked-data server (kg.web.server.make_app) through starlette's TestClient.

Runs against tests/fixtures/site/, a tiny site that follows the site layout contract
(for an IRI BASE+P: P.html, P.ttl, P.jsonld, P.nt, P.rdf; /.well-known/void; dumps/).
The same matrix runs against a fresh build of the review's data in test_serve_live.py.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import shutil
from pathlib import Path

import brotli
import pytest
import rdflib
from rdflib import OWL, RDF, URIRef
from rdflib.namespace import VOID
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send
from support.conneg import (
    BROWSER_ACCEPT,
    FILES,
    MEDIA,
    METHOD_PATHS,
    METHODS,
    NOT_FOUND,
    RESOURCES,
    Case,
    cases,
    check_case,
    check_method,
    check_not_found,
    client_fetch,
)

from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI
from kg.web.compression import MIN_SIZE, Compression, accepted_encodings
from kg.web.server import make_app, negotiate

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITE = ROOT / "tests" / "fixtures" / "site"

LABELS = [
    URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
    URIRef("http://purl.org/dc/terms/title"),
]


# --- helpers (also used by test_serve_live.py) ---------------------------------------


def parse_body(body: bytes, fmt: str, public_id: str, site: Path) -> rdflib.Graph:
    """Parse a response body offline. A JSON-LD document that names the site's
    context.jsonld by URL gets the local copy (rdflib would otherwise fetch it)."""
    graph = rdflib.Graph()
    data = body.decode("utf-8")
    if fmt == "json-ld":
        doc = json.loads(data)
        local = json.loads((site / "context.jsonld").read_text(encoding="utf-8"))["@context"]

        def inline(ctx: object) -> object:
            if isinstance(ctx, str) and ctx.endswith("context.jsonld"):
                return local
            if isinstance(ctx, list):
                return [inline(c) for c in ctx]
            return ctx

        for node in doc if isinstance(doc, list) else [doc]:
            if isinstance(node, dict) and "@context" in node:
                node["@context"] = inline(node["@context"])
        data = json.dumps(doc)
    graph.parse(data=data, format=fmt, publicID=public_id)
    return graph


def subject_of(path: str, base: str) -> list[URIRef]:
    """The IRIs a resource path may have: the build's base (instances, dataset) or the
    fixed ontology IRI (ontology terms never move with the base)."""
    iri, _ = RESOURCES[path]
    if iri == ONTOLOGY_IRI:
        return [URIRef(iri)]
    return [URIRef(base + path[1:]), URIRef(iri)]


def label_of(site: Path, path: str, base: str) -> str:
    """The resource's label, read from its Turtle document."""
    graph = rdflib.Graph().parse(site / f"{path[1:]}.ttl", format="turtle")
    for subject in subject_of(path, base):
        for p in LABELS:
            for value in graph.objects(subject, p):
                return str(value)
    raise AssertionError(f"no label for {path} in {site}")


def check_matrix_cell(client: TestClient, site: Path, base: str, path: str, accept: str) -> None:
    """One resource x one media type: 303 with Vary, 200 with the type, a body that
    parses to the expected triple (or, for HTML, shows the label)."""
    ext, ctype, fmt = MEDIA[accept]
    first = client.get(path, headers={"Accept": accept})
    assert first.status_code == 303, (path, accept, first.status_code)
    assert first.headers["location"] == f"{path}.{ext}"
    assert "accept" in first.headers["vary"].lower()
    assert first.headers["access-control-allow-origin"] == "*"
    second = client.get(first.headers["location"], headers={"Accept": accept})
    assert second.status_code == 200
    assert second.headers["content-type"] == ctype
    if "content-encoding" in second.headers:  # a large document, compressed as it streams
        assert "content-length" not in second.headers
    else:
        assert int(second.headers["content-length"]) == len(second.content)
    assert second.headers.get("etag") and second.headers.get("last-modified")
    if fmt is None:
        text = html.unescape(second.text)
        assert label_of(site, path, base) in text
        return
    assert second.headers["access-control-allow-origin"] == "*"
    graph = parse_body(second.content, fmt, base + path[1:], site)
    _, rdf_type = RESOURCES[path]
    subjects = subject_of(path, base)
    assert any((s, RDF.type, rdf_type) in graph for s in subjects), (path, accept, subjects)


def asgi_get(app, path: str, method: str = "GET", raw_path: bytes | None = None):  # noqa: ANN001, ANN201
    """Call the ASGI app with an exact path (TestClient/httpx would normalise '..')."""
    messages: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path or path.encode("utf-8", "surrogateescape"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = messages[0]["status"]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return status, body


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(make_app(FIXTURE_SITE, DEFAULT_BASE), follow_redirects=False)


@pytest.fixture()
def site_copy(tmp_path: Path) -> Path:
    """A copy of the fixture site with a secret file beside it (outside the site)."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    (tmp_path / "secret.txt").write_text("top secret\n", encoding="utf-8")
    return site


# --- the matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("accept", sorted(MEDIA))
@pytest.mark.parametrize("path", sorted(RESOURCES))
def test_matrix(client: TestClient, path: str, accept: str) -> None:
    check_matrix_cell(client, FIXTURE_SITE, DEFAULT_BASE, path, accept)


FIXTURE_CASES = cases(list(RESOURCES))


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c.id for c in FIXTURE_CASES])
def test_conneg_table(client: TestClient, case: Case) -> None:
    """The matrix Apache with the generated .htaccess meets too (test_static_hosting)."""
    check_case(client_fetch(client), case)


def test_ontology_term_is_the_ontology_document(client: TestClient) -> None:
    # The fragment never reaches the server: /ontology#Study is /ontology.
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.headers["location"] == "/ontology.ttl"
    graph = rdflib.Graph().parse(data=client.get("/ontology.ttl").text, format="turtle")
    assert (URIRef(GOVSM + "Study"), RDF.type, OWL.Class) in graph


def test_application_json_means_json_ld(client: TestClient) -> None:
    response = client.get("/id/study/mergel-2016", headers={"Accept": "application/json"})
    assert response.status_code == 303
    assert response.headers["location"] == "/id/study/mergel-2016.jsonld"


def test_following_the_redirect(client: TestClient) -> None:
    follow = TestClient(make_app(FIXTURE_SITE), follow_redirects=True)
    response = follow.get("/dataset", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.url.path == "/dataset.ttl"
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"


# --- negotiation ----------------------------------------------------------------------

ALL = ["html", "ttl", "jsonld", "nt", "rdf"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "html"),
        ("", "html"),
        ("*/*", "html"),
        ("text/*", "html"),
        (BROWSER_ACCEPT, "html"),
        ("text/turtle;q=0.5, application/rdf+xml", "rdf"),
        ("application/n-triples;q=0.9, text/turtle;q=0.1", "nt"),
        ("text/html;q=0, */*", "ttl"),  # next in the server's order
        ("text/*;q=0.5, text/turtle", "ttl"),
        ("text/*, text/html;q=0.1", "ttl"),  # the most specific range gives html its q
        ("application/ld+json;q=0.8, application/json;q=0.2", "jsonld"),
        ("application/json", "jsonld"),
        ("TEXT/TURTLE", "ttl"),
        ("application/rdf+xml;q=1.0, text/turtle;q=1.0", "ttl"),  # tie: server order
        ("text/turtle;q=0.3, application/ld+json;q=0.7, text/html;q=0.5", "jsonld"),
        ("garbage", "html"),  # nothing usable: as if absent
        ("text/turtle;q=abc, application/n-triples", "nt"),  # a malformed q is 0
        ("image/png", None),
        ("text/plain", None),
        ("text/turtle;q=0", None),
        ("*/*;q=0", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, ALL) == expected


def test_negotiate_only_among_available() -> None:
    assert negotiate("text/turtle, */*;q=0.1", ["html", "nt"]) == "html"
    assert negotiate("text/turtle", ["html", "nt"]) is None


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "*/*", "text/*"])
def test_browser_and_wildcards_get_html(client: TestClient, accept: str) -> None:
    response = client.get("/id/study/mergel-2016", headers={"Accept": accept})
    assert response.headers["location"] == "/id/study/mergel-2016.html"


def test_q_values_through_the_server(client: TestClient) -> None:
    accept = "text/html;q=0.2, text/turtle;q=0.4, application/rdf+xml;q=0.9"
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.headers["location"] == "/ontology.rdf"


def test_not_acceptable(client: TestClient) -> None:
    response = client.get("/id/study/mergel-2016", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["vary"] == "Accept"
    assert response.headers["content-type"].startswith("text/plain")
    for media_type in MEDIA:
        assert media_type in response.text
    assert "mergel-2016.ttl" in response.text


# --- documents, landing page, well-known, dumps ----------------------------------------


@pytest.mark.parametrize(("path", "ctype"), sorted(FILES.items()))
def test_files_have_their_types(client: TestClient, path: str, ctype: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == ctype
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_well_known_void_is_turtle_with_the_dataset(client: TestClient) -> None:
    response = client.get("/.well-known/void")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (URIRef(DEFAULT_BASE + "dataset"), RDF.type, VOID.Dataset) in graph
    assert response.headers["access-control-allow-origin"] == "*"


def test_sparql_is_not_served_yet(client: TestClient) -> None:
    assert client.get("/sparql").status_code == 404


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found(client: TestClient, path: str) -> None:
    check_not_found(client_fetch(client), path)


def test_the_base_path_is_served_too(client: TestClient) -> None:
    # A server answering for w3id.org/govsm/ itself receives /govsm/… paths.
    response = client.get("/govsm/id/study/mergel-2016", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["location"] == "/govsm/id/study/mergel-2016.ttl"
    assert client.get(response.headers["location"]).status_code == 200


def test_location_is_percent_encoded(site_copy: Path) -> None:
    (site_copy / "id" / "study" / "café 1.ttl").write_text("", encoding="utf-8")
    client = TestClient(make_app(site_copy), follow_redirects=False)
    response = client.get("/id/study/caf%C3%A9%201", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["location"] == "/id/study/caf%C3%A9%201.ttl"
    assert "<caf%C3%A9%201.ttl>" in response.headers["link"]
    assert client.get(response.headers["location"]).status_code == 200


# --- HEAD, conditional requests -------------------------------------------------------


def test_head(client: TestClient) -> None:
    get = client.get("/id/study/mergel-2016.ttl")
    head = client.head("/id/study/mergel-2016.ttl")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["etag"] == get.headers["etag"]
    redirect = client.head("/id/study/mergel-2016", headers={"Accept": "text/turtle"})
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/id/study/mergel-2016.ttl"
    assert redirect.content == b""


def test_conditional_get(client: TestClient) -> None:
    first = client.get("/ontology.ttl")
    tag = first.headers["etag"]
    again = client.get("/ontology.ttl", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    since = client.get(
        "/ontology.ttl", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    other = client.get("/ontology.ttl", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


# --- read-only ------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", METHOD_PATHS)
def test_other_methods_are_405(client: TestClient, method: str, path: str) -> None:
    check_method(client_fetch(client), path, method)
    response = client.request(method, path, content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


# --- nothing outside the site, no listings -------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/id/../../secret.txt",
        "/id/study/../../../secret.txt",
        "/./../secret.txt",
        "/..",
        "/../",
        "//secret.txt",
        "/..\\secret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "/" + str(Path("/etc/passwd")),
        "/secret.txt\x00.ttl",
    ],
)
def test_no_path_traversal(site_copy: Path, path: str) -> None:
    app = make_app(site_copy)
    status, body = asgi_get(app, path)
    assert status == 404, path
    assert b"top secret" not in body and b"root:" not in body


def test_encoded_traversal_is_refused(site_copy: Path) -> None:
    # The ASGI server decodes %2e%2e to '..' in scope["path"]: that is what we check.
    app = make_app(site_copy)
    status, body = asgi_get(app, "/../secret.txt", raw_path=b"/%2e%2e/secret.txt")
    assert status == 404 and b"top secret" not in body


def test_symlinks_out_of_the_site_are_not_followed(site_copy: Path) -> None:
    (site_copy / "leak.ttl").symlink_to(site_copy.parent / "secret.txt")
    (site_copy / "leak-dir").symlink_to(site_copy.parent)
    client = TestClient(make_app(site_copy))
    assert client.get("/leak.ttl").status_code == 404
    assert client.get("/leak", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/leak-dir/secret.txt").status_code == 404


@pytest.mark.parametrize(
    "path", ["/id/", "/id", "/dumps/", "/dumps", "/id/study/", "/.well-known/"]
)
def test_no_directory_listings(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "mergel" not in response.text


# --- Content-Encoding (kg.web.compression) ------------------------------------------------


def _large_site(site: Path) -> bytes:
    """A 40 KB Turtle document in ``site`` (the fixture's files are all under MIN_SIZE)."""
    body = "".join(
        f"<https://w3id.org/govsm/id/x/{i}> <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"label {i}" .\n'
        for i in range(500)
    ).encode()
    (site / "large.ttl").write_bytes(body)
    return body


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.4", "gzip"),
        ("*", "br"),
        ("identity", None),
        ("", None),
    ],
)
def test_large_answers_are_compressed_as_the_client_accepts(
    site_copy: Path, accept_encoding: str, coding: str | None
) -> None:
    body = _large_site(site_copy)
    client = TestClient(make_app(site_copy))
    response = client.get("/large.ttl", headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert response.content == body  # decoded by httpx
    assert "accept-encoding" in response.headers["vary"].lower()
    assert response.headers.get("content-encoding") == coding
    if coding is None:
        assert int(response.headers["content-length"]) == len(body)
        assert not response.headers["etag"].startswith("W/")
    else:
        assert "content-length" not in response.headers and "accept-ranges" not in response.headers
        assert response.num_bytes_downloaded < len(body) / 4
        tag = response.headers["etag"]
        assert tag.startswith("W/")  # the same content in another coding
        again = client.get("/large.ttl", headers={"If-None-Match": tag})
        assert again.status_code == 304


def test_small_answers_and_head_are_not_compressed(site_copy: Path) -> None:
    _large_site(site_copy)
    client = TestClient(make_app(site_copy))
    small = client.get("/dataset.ttl", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in small.headers
    assert int(small.headers["content-length"]) == len(small.content)
    head = client.head("/large.ttl", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in head.headers and head.content == b""


def test_a_precompressed_file_beside_a_dump_is_sent_as_is(site_copy: Path) -> None:
    body = _large_site(site_copy)
    brotli_file = site_copy / "large.ttl.br"
    brotli_file.write_bytes(brotli.compress(body, quality=11))
    client = TestClient(make_app(site_copy))
    response = client.get("/large.ttl", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "br"
    assert response.content == body
    assert int(response.headers["content-length"]) == brotli_file.stat().st_size
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    head = client.head("/large.ttl", headers={"Accept-Encoding": "br"})
    assert head.headers["content-length"] == response.headers["content-length"]
    # gzip only: compressed on the fly; a sibling older than the file is not used
    assert (
        client.get("/large.ttl", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"]
        == "gzip"
    )
    os.utime(brotli_file, ns=(0, 0))
    stale = client.get("/large.ttl", headers={"Accept-Encoding": "br"})
    assert stale.content == body and "content-length" not in stale.headers


def test_an_event_stream_is_never_compressed() -> None:
    async def events(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(3):
            chunk = b"data: " + b"x" * MIN_SIZE + b"\n\n"
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    response = TestClient(Compression(events)).get("/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.content.count(b"data: ") == 3


def test_accepted_encodings_follow_q_values() -> None:
    assert accepted_encodings("gzip, br") == ["br", "gzip"]
    assert accepted_encodings("gzip;q=1, br;q=0.9") == ["gzip", "br"]
    assert accepted_encodings("*;q=0.1, br;q=0") == ["gzip"]
    assert accepted_encodings("deflate, identity") == []
    assert accepted_encodings("gzip;q=x") == []
    assert accepted_encodings(None) == []


def test_small_files_are_sent_from_the_event_loop(
    site_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small file is read in the event loop (no thread hand-off per request: most of
    its CPU); a large one, or a byte range, still streams from a thread."""
    import anyio.to_thread

    from kg.web import server

    threads: list[str] = []
    original = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        threads.append(getattr(func, "__name__", "?"))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    body = _large_site(site_copy)
    client = TestClient(make_app(site_copy))
    small = client.get("/dataset.ttl")
    assert small.status_code == 200 and small.headers["accept-ranges"] == "bytes"
    assert small.content == (site_copy / "dataset.ttl").read_bytes()
    assert threads == []
    part = client.get("/dataset.ttl", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == small.content[:10]
    monkeypatch.setattr(server, "SMALL_FILE", len(body) - 1)
    threads.clear()
    large = client.get("/large.ttl", headers={"Accept-Encoding": "identity"})
    assert large.content == body and threads
